"""The account registry (全国政务新媒体信息报送系统 export): CSV/XLSX, bad rows by line and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from services.bus.media_schema import Account
from services.media_registry import AccountRegistryInvalid, check_accounts, load_accounts

HEADER = "政务新媒体标识码,账号名称,平台,主管单位,地区,账号地址/ID\n"
ROWS = (
    "530621M008WX0001,微梭山,微信公众号,鲁甸县人民政府办公室,鲁甸县,MzA5NjYwMDY5Mg==\n"
    "410225M001DY0001,兰考市场监管,抖音,兰考县人民政府办公室,兰考县,https://www.douyin.test/u/1\n"
    "410200M014WB0001,文明开封市刑侦支队,新浪微博,市公安局,市直,5512345678\n"
)


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_reads_rows_with_platform_keys_and_region_codes(tmp_path: Path) -> None:
    accounts, errors, warnings = check_accounts(write(tmp_path, HEADER + ROWS))
    assert errors == [] and warnings == []
    assert accounts[0] == Account(
        "530621M008WX0001",
        "微梭山",
        "wechat",
        "鲁甸县人民政府办公室",
        "鲁甸县",
        "MzA5NjYwMDY5Mg==",
        "530621",
    )
    assert [a.platform for a in accounts] == ["wechat", "douyin", "weibo"]
    assert accounts[2].region_code == "410200"


def test_bad_rows_are_named_by_line_and_column(tmp_path: Path) -> None:
    bad = (
        "530621M008WX0001,重复,微信,某单位,鲁甸县,abc\n"  # line 5: duplicate code
        "530621M009WX0001,,微信,某单位,鲁甸县,abc\n"  # line 6: no name
        "530621M010XX0001,某号,脸书,某单位,鲁甸县,abc\n"  # line 7: unknown platform
        "530621M011WX0001,某号,微博,某单位,鲁甸县,ftp://x\n"  # line 8: not http(s)
        "530621M012WX0001,某号,微博,某单位,鲁甸县,has space\n"  # line 9: neither URL nor ID
    )
    path = write(tmp_path, HEADER + ROWS + bad)
    accounts, errors, _ = check_accounts(path)
    assert len(accounts) == 3
    lines = [str(e) for e in errors]
    assert (
        lines[0]
        == f"{path}:5: field 政务新媒体标识码: duplicate 530621M008WX0001: first used on line 2"
    )
    assert lines[1] == f"{path}:6: field 账号名称: missing (empty cell)"
    assert lines[2].startswith(f"{path}:7: field 平台: '脸书' is not a known platform")
    assert lines[3].startswith(f"{path}:8: field 账号地址/ID: 'ftp://x' is not an http")
    assert lines[4].startswith(f"{path}:9: field 账号地址/ID: 'has space' is neither")
    with pytest.raises(AccountRegistryInvalid):
        load_accounts(path)


def test_unusual_code_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "KF-0001,开封发布,微博,市委宣传部,市直,123\n")
    accounts, errors, warnings = check_accounts(path)
    assert errors == [] and len(accounts) == 1
    assert "does not look like a 政务新媒体标识码" in str(warnings[0])
    assert accounts[0].region_code == ""


def test_missing_header_columns_are_one_error(tmp_path: Path) -> None:
    path = write(tmp_path, "账号名称,平台\n某号,微信\n")
    _, errors, _ = check_accounts(path)
    assert len(errors) == 1 and "missing header columns" in str(errors[0])
    assert "主管单位" in str(errors[0])


def test_xlsx_with_a_title_row_and_bulletin_header_names(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2024年第一季度政务新媒体台账"])
    sheet.append(["新媒体标识码", "政务新媒体名称", "政务新媒体类型", "主管单位", "县市区", "链接"])
    sheet.append(
        ["530623M008XL0001", "盐津交警", "今日头条", "盐津县公安局", "盐津县", "https://t.test/1"]
    )
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    accounts, errors, _ = check_accounts(path)
    assert errors == []
    assert accounts[0].platform == "toutiao" and accounts[0].region_name == "盐津县"
