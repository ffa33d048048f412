"""The 通报 tables: 合格率 arithmetic against the real bulletins, roll-ups, Markdown, CSV, JSONL."""

from __future__ import annotations

import csv
import json
from decimal import ROUND_UP
from pathlib import Path

import pytest

from checkers.model import FAIL, PASS, UNMEASURED, Evidence, Finding, Verdict
from services.bus.schema import Site, SiteVerdict
from services.reporting.report import (
    GUIZHOU,
    KAIFENG,
    MIANYANG,
    ZHAOTONG,
    RateStyle,
    build_report,
    default_title,
    markdown_of,
    pass_rate,
    problem_list,
    region_of,
    render_markdown,
    rollup,
    scope_name,
    write_csv,
    write_verdicts_jsonl,
)
from tests.conftest import AT

BLANK = "空白栏目数量超过(含)5个"
STALE_HOME = "监测时间点前2周内首页无信息更新"


# (checked sites, problem sites, style, printed, where the bulletin printed it)
SEED_FIGURES = [
    (416, 11, GUIZHOU, "97.36%", "贵州 2020Q1 总体合格率"),
    (9, 0, GUIZHOU, "100%", "贵州 2020Q1 贵阳市…合格率达100%"),
    (5, 2, ZHAOTONG, "60%", "昭通 2021Q1 附件1 市直部门 5 2"),
    (1, 1, ZHAOTONG, "0", "昭通 2021Q1 附件1 昭阳区 1 1"),
    (1, 0, ZHAOTONG, "100%", "昭通 2021Q1 附件1 镇雄县 1 0"),
    (17, 7, ZHAOTONG, "58.8%", "昭通 2021Q1 网站 17 个 7 个不合格"),
    (17, 2, ZHAOTONG, "88.2%", "昭通 2020Q4 网站"),
    (17, 1, ZHAOTONG, "94.1%", "昭通 2020Q3 网站"),
    (18, 2, ZHAOTONG, "88.9%", "昭通 2020Q2 网站 (half up: cut would give 88.8)"),
    (300, 10, ZHAOTONG, "96.7%", "昭通 2021Q1 新媒体"),
    (150, 33, ZHAOTONG, "78%", "昭通 2021Q2 新媒体 (78.0 printed 78)"),
    (130, 33, ZHAOTONG, "74.6%", "昭通 2021Q2 微信"),
    (230, 16, ZHAOTONG, "93%", "昭通 2020Q2 新媒体 (93.04)"),
    (88, 3, ZHAOTONG, "96.6%", "昭通 2020Q4 微信"),
    (90, 4, ZHAOTONG, "95.6%", "昭通 2020Q3 新媒体"),
    (78, 13, ZHAOTONG, "83.3%", "昭通 2020Q1 新媒体"),
    (8, 1, ZHAOTONG, "87.5%", "昭通 2020Q1 微博"),
    (294, 3, KAIFENG, "98.9%", "开封 2024Q1 新媒体 294 个合格 291 个"),
    (43, 9, KAIFENG, "79%", "开封 2024Q1 34 of 43 answered within a day"),
    (43, 38, KAIFENG, "11.6%", "开封 2024Q1 5 of 43 not answered"),
]


@pytest.mark.parametrize("sites, problems, style, printed, where", SEED_FIGURES)
def test_pass_rate_prints_each_bulletin_figure(
    sites: int, problems: int, style: RateStyle, printed: str, where: str
) -> None:
    assert pass_rate(sites, problems, style) == printed, where


def test_guizhou_style_is_the_default_and_the_styles_really_differ() -> None:
    assert pass_rate(416, 11) == "97.36%"  # 405/416 = 97.3557…: half up, cut would give 97.35
    assert pass_rate(294, 3) == "98.98%"
    assert pass_rate(294, 3, ZHAOTONG) == "99%"  # half up; 开封 printed the cut 98.9%


def test_mianyang_67_percent_does_not_follow_from_53_and_18() -> None:
    # 35/53 = 66.04 %: half up gives 66 %; the bulletin's 67 % needs rounding *up*.
    assert pass_rate(53, 18, MIANYANG) == "66%"
    assert pass_rate(53, 18, RateStyle(decimals=0, rounding=ROUND_UP, strip_zeros=True)) == "67%"


def test_pass_rate_never_rounds_to_100_or_0_across_a_real_count() -> None:
    assert pass_rate(201, 1, MIANYANG) == "99%"  # 99.50 would round half up to 100
    assert pass_rate(300, 299, MIANYANG) == "1%"  # 0.33 would round to 0
    assert pass_rate(0, 0) == "—"
    with pytest.raises(ValueError, match="problems <= sites, got 3 of 2"):
        pass_rate(2, 3)


GZ = "520000"


def site(site_id: str, name: str, kind: str = "门户", region_code: str | None = None) -> Site:
    code = region_code or site_id[:6]
    return Site(site_id, name, f"http://{site_id}.site.test/", code, kind=kind)


def verdict(
    s: Site,
    result: str,
    messages: tuple[str, ...] = (),
    unmeasured: tuple[str, ...] = (),
    checked_at: str = "2024-03-20T10:00:00",
) -> SiteVerdict:
    findings = [
        Finding(
            "W-V4-3",
            "空白栏目",
            "veto",
            m,
            evidence=[Evidence(url=s.url, detail="暂无信息", date="2024-03-01")],
        )
        for m in messages
    ]
    findings.append(Finding("W-V3", "首页不更新", "veto", STALE_HOME, holds=False))
    return SiteVerdict(
        sweep_id="gz-2024q1",
        at="2024-03-15",
        quarter="2024Q1",
        site=s,
        verdict=Verdict(result, findings, list(unmeasured)),
        checked_at=checked_at,
    )


AUDIT = site("5200000019", "贵州省审计厅", "部门")
PORTAL = site("5200000001", "贵州省人民政府")
FORESTRY = site("5206000041", "铜仁市林业局", "部门")
SINAN = site("5206240001", "思南政府网")
DEJIANG = site("5206260030", "中国德江")
LEISHAN = site("5226340005", "雷山县人民政府")
KAILI = site("5226010001", "凯里市人民政府")
TAX = site("bm29000002", "国家税务总局", "部门", "100000")

VERDICTS = [
    verdict(AUDIT, FAIL, (BLANK,)),
    verdict(PORTAL, PASS),
    verdict(FORESTRY, FAIL, (BLANK, STALE_HOME, BLANK)),
    verdict(SINAN, PASS),
    verdict(DEJIANG, UNMEASURED, unmeasured=("首页无法访问",)),
    verdict(LEISHAN, PASS),
    verdict(KAILI, UNMEASURED, unmeasured=("首页无法访问",)),
    verdict(TAX, PASS),
    # a 复查 of 思南: the later verdict wins and 思南 still counts once
    verdict(SINAN, FAIL, (STALE_HOME,), checked_at="2024-03-21T09:00:00"),
]


def test_region_of_city_and_county_levels() -> None:
    assert region_of(AUDIT) == (GZ, "省直部门")
    assert region_of(PORTAL) == (GZ, "省直部门")
    assert region_of(FORESTRY) == ("520600", "铜仁市")
    assert region_of(SINAN) == ("520600", "铜仁市")
    assert region_of(LEISHAN) == ("522600", "黔东南自治州")
    assert region_of(SINAN, "county") == ("520624", "思南县")
    assert region_of(FORESTRY, "county") == ("520600", "市直部门")
    assert region_of(TAX) == ("100000", "国务院部门")
    assert region_of(site("4412910008", "肇庆高新区"), "county") == ("441291", "441291")
    with pytest.raises(ValueError, match="region level"):
        region_of(SINAN, "town")


def test_rollup_counts_each_site_once_and_keeps_unmeasured_out_of_problems() -> None:
    rows = rollup(VERDICTS)
    assert [(r.region, r.sites, r.problems, r.unmeasured, r.pass_rate) for r in rows] == [
        ("国务院部门", 1, 0, 0, "100%"),
        ("省直部门", 2, 1, 0, "50.00%"),
        ("铜仁市", 3, 2, 1, "0%"),  # 德江 未能检测: 2 checked, both failed
        ("黔东南自治州", 2, 0, 1, "100%"),
        ("合计", 8, 3, 2, "50.00%"),
    ]


def test_rollup_county_level_like_zhaotong() -> None:
    rows = rollup(VERDICTS, level="county", style=ZHAOTONG)
    assert [(r.region, r.sites, r.problems, r.pass_rate) for r in rows] == [
        ("国务院部门", 1, 0, "100%"),
        ("省直部门", 2, 1, "50%"),
        ("市直部门", 1, 1, "0"),
        ("思南县", 1, 1, "0"),
        ("德江县", 1, 0, "—"),  # nothing checked: no rate
        ("凯里市", 1, 0, "—"),
        ("雷山县", 1, 0, "100%"),
        ("合计", 8, 3, "50%"),
    ]


def test_problem_list_joins_the_holding_vetoes_once_each() -> None:
    rows = problem_list(VERDICTS)
    assert [(r.index, r.region, r.site_id, r.name, r.problems) for r in rows] == [
        (1, "省直部门", "5200000019", "贵州省审计厅", BLANK),
        (2, "铜仁市", "5206000041", "铜仁市林业局", f"{BLANK}；{STALE_HOME}"),
        (3, "铜仁市", "5206240001", "思南政府网", STALE_HOME),
    ]
    assert rows[0].url == "http://5200000019.site.test/"


def test_markdown_report() -> None:
    text = render_markdown("贵州省2024年第一季度政府网站检查情况", "2024-03-15", "2024Q1", VERDICTS)
    assert text.startswith("# 贵州省2024年第一季度政府网站检查情况\n")
    assert (
        "截至2024年3月15日，共有政府网站8家，完成检查6家，发现问题网站3家，总体合格率50.00%。"
        "其中，国务院部门、黔东南自治州检查合格率达100%。"
        "未能检测网站2家（首页无法访问2家），不计入问题网站和合格率。"
    ) in text
    assert "| 铜仁市 | 3 | 2 | 1 | 0% |" in text
    assert "| 合计 | 8 | 3 | 2 | 50.00% |" in text
    assert (
        f"| 2 | 铜仁市 | 5206000041 | 铜仁市林业局 | http://5206000041.site.test/ | {BLANK}；"
        in text
    )
    unmeasured_part = text.split("## 未能检测网站")[1]
    assert "| 1 | 铜仁市 | 5206260030 | 中国德江 | 首页无法访问 |" in unmeasured_part
    assert "| 2 | 黔东南自治州 | 5226010001 | 凯里市人民政府 | 首页无法访问 |" in unmeasured_part
    problems_part = text.split("## 附件2 问题网站名单")[1].split("## 未能检测网站")[0]
    assert "中国德江" not in problems_part


def test_markdown_without_problems_or_unmeasured_says_so() -> None:
    text = render_markdown("t", "2024-03-15", "2024Q1", [verdict(PORTAL, PASS)])
    assert "发现问题网站0家，总体合格率100%" in text
    assert text.count("无。") == 2


def test_csv_files_open_in_excel(tmp_path: Path) -> None:
    summary, problems = write_csv(tmp_path / "out", VERDICTS)
    assert summary.name == "附件1_检查情况.csv"
    assert summary.read_bytes().startswith(b"\xef\xbb\xbf")
    with summary.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["地区", "在运行网站数", "问题网站数", "未能检测数", "合格率"]
    assert table[-1] == ["合计", "8", "3", "2", "50.00%"]
    with problems.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["序号", "地区", "网站标识码", "网站名称", "首页地址", "主要问题"]
    assert [row[2] for row in table[1:]] == ["5200000019", "5206000041", "5206240001"]


def test_verdicts_jsonl_one_object_per_site(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.jsonl"
    write_verdicts_jsonl(path, VERDICTS)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 8
    sinan = next(r for r in records if r["site_id"] == "5206240001")
    assert sinan["verdict"] == FAIL  # the 复查 verdict
    assert sinan["region"] == "铜仁市"
    assert sinan["sweep_id"] == "gz-2024q1" and sinan["at"] == "2024-03-15"
    assert sinan["findings"][0]["message"] == STALE_HOME
    assert sinan["findings"][0]["evidence"][0]["detail"] == "暂无信息"
    dejiang = next(r for r in records if r["site_id"] == "5206260030")
    assert dejiang["unmeasured"] == ["首页无法访问"]


def test_the_bulletin_is_issued_like_an_office_issues_it() -> None:
    """Province in the title, the issuing office and a 年月日 date, reasons without English codes."""
    crawler_reasons = (
        "首页无法读取：连接被拒绝 (refused)",
        "W-V3 首页不更新：首页仅为栏目导航入口，1个一级栏目未能读取，无法确认均未更新",
        "栏目「通知公告」http://x.site.test/tzgg/：被防火墙(WAF)拦截 (waf_challenge)",
        "未在检测时限内完成 (sweep timeout)",
    )
    verdicts = [verdict(PORTAL, PASS), verdict(SINAN, UNMEASURED, unmeasured=crawler_reasons)]
    office = "贵州省人民政府办公厅"
    title = default_title("2024Q1", scope_name(verdicts), office)
    assert title == "贵州省人民政府办公厅关于2024年第一季度贵州省政府网站检查情况的通报"
    assert default_title("2024Q1", scope_name(verdicts)) == "贵州省2024年第一季度政府网站检查情况"
    report = build_report(title, "2024-03-15", "2024Q1", verdicts, issuer=office, issued=AT)
    text = markdown_of(report)
    assert "监测时间点：2024年3月15日　季度：2024年第一季度" in text
    body, attachments = text.split("## 附件1")
    assert body.rstrip().endswith(f"{office}  \n{AT.year}年{AT.month}月{AT.day}日")
    for code in ("refused", "waf_challenge", "timeout", "W-V3", "2024Q1", "2024-03-15"):
        assert code not in text, code
    assert "首页无法读取：连接被拒绝；首页不更新：首页仅为栏目导航入口" in attachments
    assert "被防火墙(WAF)拦截" in attachments  # the Chinese reason stays, with its own words
    # Without a configured office the 通报 is not signed.
    unsigned = markdown_of(build_report(title, "2024-03-15", "2024Q1", verdicts))
    assert office + "  \n" not in unsigned


def test_formula_injection_names_are_inert_in_csv(tmp_path: Path) -> None:
    """OWASP: a cell starting with = + - @ tab or CR gets a leading ' so Excel reads it as text."""
    evil = ['=HYPERLINK("http://evil.test/","点击")', "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
    verdicts = [
        verdict(site(f"520000{n:04d}", name), FAIL, (BLANK,)) for n, name in enumerate(evil, 1)
    ]
    paths = write_csv(tmp_path, verdicts)
    with paths[1].open(encoding="utf-8-sig", newline="") as handle:
        names = [row[3] for row in list(csv.reader(handle))[1:]]
    assert sorted(names) == sorted("'" + name for name in evil)
    assert not [n for n in names if n.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_markdown_escapes_html_and_links() -> None:
    names = ["<script>alert(1)</script>", "[点我](javascript:alert(1))"]
    verdicts = [
        verdict(site(f"520000{n:04d}", name), FAIL, (BLANK,)) for n, name in enumerate(names, 1)
    ]
    text = render_markdown("<b>通报</b>", "2020-03-06", "2020Q1", verdicts)
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;b&gt;通报&lt;/b&gt;" in text
    assert "[点我]" not in text and "\\[点我\\]" in text
