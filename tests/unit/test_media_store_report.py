"""政务新媒体 in the results store and in `govsweep report`: account verdicts and 转载 checks arrive
as result messages, the store keeps them per sweep and quarter, and the one 通报 shows them beside
the websites in every format."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import msgspec
import pytest
from openpyxl import load_workbook

from checkers.model import FAIL, PASS, UNMEASURED, Finding, Verdict
from checkers.reposts import MISSING, ON_TIME, ImportantItem, RepostOutcome
from crawler.platforms.base import AccountFacts
from services.bus.media_schema import Account, AccountVerdict, RepostCheck, RepostUnit
from services.bus.schema import Site, SiteVerdict
from services.cli.common import UsageError
from services.cli.report_cmd import report
from services.config import Config
from services.reporting.store import Store
from services.roles.aggregator import Aggregator, store_path

STALE = "监测时间点前两周内无更新"
QUARTER = "2024Q1"


def account(n: int, platform: str, code: str = "410203") -> Account:
    return Account(f"{code}M00{n:07d}", f"账号{n}", platform, f"单位{n}", "开封市", f"id{n}", code)


def account_verdict(
    a: Account, result: str, sweep: str = "media-a", checked_at: str = "2024-03-20T10:00:00"
) -> AccountVerdict:
    findings = [Finding("M-V2", "更新", "veto", STALE)] if result == FAIL else []
    unmeasured = ["平台拒绝访问 (refused)"] if result == UNMEASURED else []
    facts = AccountFacts(url=a.address, measured=result != UNMEASURED)
    return AccountVerdict(
        sweep, "2024-03-20", QUARTER, a, Verdict(result, findings, unmeasured), facts, checked_at
    )


def publish(aggregator: Aggregator, kind: str, message: msgspec.Struct, key: str) -> bool:
    data = msgspec.json.encode(message)
    return aggregator.apply(f"govsweep.results.{kind}.{key}", data)


WEIBO = [account(n, "weibo") for n in range(1, 5)]  # 4 微博: 1 不合格
WECHAT = [account(n, "wechat") for n in range(5, 8)]  # 3 微信: 1 未能检测
OTHER_REGION = account(9, "douyin", "520100")
ITEMS = [
    ImportantItem("关于做好春季防火工作的通知", "https://gov.test/1", "2024-03-01", "2024-03-05")
]
UNITS = [
    RepostUnit(
        "政府网站",
        "4102030001",
        "某区政府网站",
        "开封市",
        [RepostOutcome(ITEMS[0].title, ON_TIME, "2024-03-02")],
    ),
    RepostUnit(
        "政务新媒体",
        WEIBO[0].account_id,
        "账号1（新浪微博）",
        "单位1",
        [RepostOutcome(ITEMS[0].title, MISSING)],
    ),
]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = Config(state_dir=str(tmp_path / "state"), metrics_port=-1)
    store = Store(store_path(config))
    aggregator = Aggregator(store)
    site = Site("4102030001", "某区政府网站", "http://a.test/", "410203")
    publish(
        aggregator,
        "verdict",
        SiteVerdict("sweep-a", "2024-03-20", QUARTER, site, Verdict(PASS), "2024-03-20T09:00:00"),
        "sweep-a.4102030001",
    )
    # A first account sweep where 账号2 was 不合格, then a second one: the later measured verdict
    # stands; a 未能检测 in the later sweep does not replace an earlier measured one.
    first = [account_verdict(a, FAIL if a is WEIBO[1] else PASS) for a in WEIBO + WECHAT]
    later = [
        account_verdict(WEIBO[2], FAIL, "media-b", "2024-03-25T10:00:00"),
        account_verdict(WECHAT[0], UNMEASURED, "media-b", "2024-03-25T10:00:00"),
        account_verdict(WECHAT[1], UNMEASURED, "media-b", "2024-03-25T10:00:00"),
        account_verdict(WEIBO[1], PASS, "media-b", "2024-03-25T10:00:00"),
        account_verdict(OTHER_REGION, PASS, "media-b", "2024-03-25T10:00:00"),
    ]
    for v in first + later:
        assert publish(aggregator, "account", v, f"{v.sweep_id}.{v.account.account_id}")
    assert not publish(aggregator, "account", later[0], f"media-b.{WEIBO[2].account_id}")
    check = RepostCheck("media-b", "2024-03-25", QUARTER, ITEMS, UNITS, "2024-03-25T11:00:00")
    assert publish(aggregator, "reposts", check, "media-b")
    store.close()
    return config


def test_store_keeps_the_quarters_standing_account_verdicts(config: Config) -> None:
    store = Store(store_path(config))
    try:
        standing = {v.account.account_id: v for v in store.quarter_account_verdicts(QUARTER)}
        check = store.repost_check(QUARTER)
        assert store.account_quarters() == [QUARTER]
        assert store.repost_check("2023Q4") is None
    finally:
        store.close()
    assert len(standing) == 8
    assert standing[WEIBO[1].account_id].verdict.verdict == PASS  # fixed in the later sweep
    assert standing[WEIBO[2].account_id].verdict.verdict == FAIL
    assert standing[WECHAT[0].account_id].verdict.verdict == PASS  # measured beats 未能检测
    assert standing[WECHAT[2].account_id].sweep_id == "media-a"
    assert check is not None and [u.key for u in check.units] == [u.key for u in UNITS]


def test_report_has_the_new_media_section_in_every_format(config: Config, tmp_path: Path) -> None:
    md = tmp_path / "q.md"
    assert report(config, QUARTER, None, None, md) == 0
    text = md.read_text(encoding="utf-8")
    # 8 accounts: 微博 4 (1 不合格), 微信 3 (all measured), 抖音 1.
    assert text.startswith("# 河南省2024年第一季度政府网站和政务新媒体检查情况")
    assert "## 三、政务新媒体检查情况" in text
    assert "此次对8个政务新媒体进行了检查，合格7个，不合格1个，合格率为87.50%" in text
    assert "政务微博4个，发现不合格1个，合格率为75.00%" in text
    assert "| 新浪微博 | 4 | 3 | 1 | 0 | 75.00% |" in text
    assert f"| 1 | 账号3 | 单位3 | 新浪微博 | {STALE} |" in text
    assert "## 四、重要信息转载情况" in text
    assert "对1条重要信息检查转载及时性：按时转载1次，逾期转载0次，未转载1次" in text
    assert "| 1 | 政务新媒体 | 账号1（新浪微博） | 关于做好春季防火工作的通知 | 未转载 |" in text
    # The websites' part is still there, before it.
    assert text.index("## 附件1 检查情况") < text.index("2024年第一季度政务新媒体检查情况")

    folder = tmp_path / "csv"
    assert report(config, QUARTER, None, "csv", folder) == 0
    with (folder / "政务新媒体检查情况.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1:] == [
        ["微信公众号", "3", "3", "0", "0", "100%"],
        ["新浪微博", "4", "3", "1", "0", "75.00%"],
        ["抖音", "1", "1", "0", "0", "100%"],
        ["合计", "8", "7", "1", "0", "87.50%"],
    ]
    assert (folder / "重要信息转载情况.csv").exists()

    xlsx = tmp_path / "q.xlsx"
    assert report(config, QUARTER, None, None, xlsx) == 0
    book = load_workbook(xlsx)
    assert book["不合格的政务新媒体"]["B3"].value == "账号3"
    assert "合格率为87.50%" in book["总体情况"]["A11"].value

    docx = tmp_path / "q.docx"
    assert report(config, QUARTER, None, None, docx) == 0
    with zipfile.ZipFile(docx) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert "三、政务新媒体检查情况" in body and "账号3" in body


def test_a_regions_report_keeps_its_own_accounts_and_units(config: Config, tmp_path: Path) -> None:
    md = tmp_path / "r.md"
    assert report(config, QUARTER, "4102", None, md) == 0
    text = md.read_text(encoding="utf-8")
    assert "此次对7个政务新媒体进行了检查" in text  # the 抖音 account of 520100 is not 开封's
    assert "以1家政府网站和1个文字信息类政务新媒体为样本" in text


def test_no_account_results_means_no_section(tmp_path: Path) -> None:
    config = Config(state_dir=str(tmp_path / "state"), metrics_port=-1)
    store = Store(store_path(config))
    site = Site("4102030001", "某区政府网站", "http://a.test/", "410203")
    Aggregator(store).apply(
        "govsweep.results.verdict.s.4102030001",
        msgspec.json.encode(
            SiteVerdict("s", "2024-03-20", QUARTER, site, Verdict(PASS), "2024-03-20T09:00:00")
        ),
    )
    store.close()
    assert report(config, QUARTER, None, None, tmp_path / "q.md") == 0
    text = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert text.startswith("# 河南省2024年第一季度政府网站检查情况")
    assert "政务新媒体" not in text
    with pytest.raises(UsageError, match="no verdicts for 2023Q4"):
        report(config, "2023Q4", None, None, tmp_path / "old.md")


def test_a_quarter_of_accounts_only_is_reported(tmp_path: Path) -> None:
    config = Config(state_dir=str(tmp_path / "state"), metrics_port=-1)
    store = Store(store_path(config))
    verdict = account_verdict(WEIBO[0], PASS)
    assert publish(Aggregator(store), "account", verdict, f"media-a.{WEIBO[0].account_id}")
    store.close()
    assert report(config, QUARTER, None, None, tmp_path / "q.md") == 0
    text = (tmp_path / "q.md").read_text(encoding="utf-8")
    assert "截至2024年3月20日，本季度无政府网站检查结果。" in text
    assert "此次对1个政务新媒体进行了检查，合格1个，不合格0个，合格率为100%" in text
