"""The site registry: CSV (UTF-8, GB18030) and XLSX, and every kind of bad row by line number."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from services.bus.schema import Site
from services.registry import RegistryInvalid, check_registry, load_registry

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"
GUIZHOU_SITES = [
    Site("5200000001", "贵州省人民政府", "http://www.gz.test/", "520000", "贵州省", "门户"),
    Site("5200000019", "贵州省审计厅", "http://sjt.gz.test/", "520000", "部门", "部门"),
    Site("5206000041", "铜仁市林业局", "http://lyj.tr.test/", "520600", "铜仁市", "部门"),
    Site("5206240001", "思南政府网", "http://www.sinan.test/", "520624", "铜仁市", "门户"),
    Site(
        "5226340005", "雷山县人民政府", "https://www.leishan.test:8443/", "522634", "黔东南自治州"
    ),
    Site("bm29000002", "国家税务总局", "http://www.tax.test/", "100000", "部门", "部门"),
]


def test_utf8_with_bom_reads_every_row_with_derived_region_codes() -> None:
    sites, errors = check_registry(FIXTURES / "guizhou.csv")
    assert errors == []
    assert sites == GUIZHOU_SITES


def test_gb18030_csv_as_chinese_excel_exports_it(tmp_path: Path) -> None:
    text = (FIXTURES / "guizhou.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "gb.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    sites, errors = check_registry(path)
    assert errors == []
    assert sites == GUIZHOU_SITES


def test_xlsx_first_sheet_with_numeric_ids_and_a_title_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["贵州省政府网站名录"])
    sheet.append(["网站标识码", "网站名称", "网站地址", "地区", "网站类型", "填报单位"])
    sheet.append([5206000041, "铜仁市林业局", "http://lyj.tr.test/", "铜仁市", "部门", "铜仁市"])
    sheet.append([])
    sheet.append(["5206000041", "又一个", "http://x.tr.test/", "铜仁市", "部门", "铜仁市"])
    sheet.append(["5226340005", "雷山县人民政府", "mailto:x", "黔东南", "门户", "雷山县"])
    workbook.create_sheet("second sheet is ignored").append(["网站标识码"])
    path = tmp_path / "sites.xlsx"
    workbook.save(path)

    sites, errors = check_registry(path)
    assert sites == [
        Site(
            "5206000041",
            "铜仁市林业局",
            "http://lyj.tr.test/",
            "520600",
            "铜仁市",
            "部门",
            "铜仁市",
        )
    ]
    assert [(e.line, e.field) for e in errors] == [(5, "网站标识码"), (6, "网站地址")]
    assert "first used on line 3" in errors[0].message


def test_each_kind_of_bad_row_is_reported_by_line_and_valid_rows_are_kept() -> None:
    path = FIXTURES / "bad_rows.csv"
    sites, errors = check_registry(path)
    assert [s.site_id for s in sites] == ["5200000019", "bm29030010"]
    assert sites[1].region_code == "130000"  # the 地区代码 column wins over the bm default
    assert sites[0].unit == "省审计厅"
    found = [(e.line, e.field) for e in errors]
    assert found == [
        (4, "标识码"),  # 8 digits
        (5, "标识码"),  # 99 is no province
        (6, "标识码"),  # duplicate
        (7, "网址"),  # ftp
        (8, "网址"),  # no host
        (9, "网站名称"),  # empty
        (10, "网站类型"),  # 网站
        (12, "地区代码"),  # 1300
        (13, "标识码"),  # 5.20600E+09
        (15, "网址"),  # no scheme
    ]
    messages = {e.line: e.message for e in errors}
    assert "first used on line 3" in messages[6]
    assert "scientific notation" in messages[13]
    assert str(errors[0]).startswith(f"{path}:4: field 标识码: '52000019' is not 10 digits")


def test_missing_headers_is_one_error_naming_them() -> None:
    sites, errors = check_registry(FIXTURES / "missing_headers.csv")
    assert sites == []
    assert len(errors) == 1
    message = errors[0].message
    assert message.startswith("missing header columns:")
    for name in ("首页地址", "网址", "地区/部门", "填报单位", "网站类型"):
        assert name in message
    assert "网站名称" not in message


def test_a_line_in_neither_encoding_is_skipped_and_reported(tmp_path: Path) -> None:
    good = (FIXTURES / "guizhou.csv").read_bytes()
    lines = good.split(b"\n")
    lines[3] = b"5206000041,\xff\xfe\xfd,http://lyj.tr.test/,x,\xff"  # line 4
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\n".join(lines))
    sites, errors = check_registry(path)
    assert [(e.line, e.message) for e in errors] == [
        (4, "bad encoding: not valid utf-8; row skipped")
    ]
    assert "5206000041" not in [s.site_id for s in sites]
    assert len(sites) == len(GUIZHOU_SITES) - 1


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\xff\xfe\x91\x7f,\x00", "NUL bytes"),
        (b"\x80\x80\x80,\xff\n\x81\x20\n", "not UTF-8 or GB18030 text (line 1 is neither)"),
    ],
)
def test_a_file_that_is_not_text_is_one_clear_error(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    sites, errors = check_registry(path)
    assert sites == []
    assert len(errors) == 1
    assert expected in str(errors[0])
    assert "not UTF-8 or GB18030" in errors[0].message


def test_unreadable_inputs_are_errors_not_tracebacks(tmp_path: Path) -> None:
    _, missing = check_registry(tmp_path / "nope.csv")
    assert "cannot read the file" in str(missing[0])
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    _, errors = check_registry(damaged)
    assert errors[0].message.startswith("cannot read XLSX")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    _, errors = check_registry(old)
    assert "old binary .xls" in errors[0].message
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _, errors = check_registry(empty)
    assert "empty" in errors[0].message


def test_load_registry_raises_naming_every_error() -> None:
    assert load_registry(FIXTURES / "guizhou.csv") == GUIZHOU_SITES
    with pytest.raises(RegistryInvalid) as raised:
        load_registry(FIXTURES / "bad_rows.csv")
    assert len(raised.value.errors) == 10
    assert "bad_rows.csv:15: field 网址:" in str(raised.value)
