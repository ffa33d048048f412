"""Rebuild the tables of two real bulletins (../shared/seeds/) from verdicts shaped like theirs.

贵州 2020Q1 (seed 000): 416 sites, 11 problem sites, 总体合格率97.36%; 附件3 names the 11 sites by
region; 贵阳、遵义、六盘水、安顺、毕节 reach 100%. The seed does not carry 附件1's per-city site counts,
so those are spread here over the cities (the problem counts per region are the bulletin's).
昭通 2020Q4 and 2021Q1 (seed 004): 17 sites, per-county 附件1 rows, 88.2% and 58.8%.
"""

from __future__ import annotations

from checkers.model import FAIL, PASS, Finding, Verdict
from services.bus.schema import Site, SiteVerdict
from services.reporting.report import (
    ZHAOTONG,
    build_report,
    problem_list,
    rollup,
)

BLANK = "空白栏目数超过5个"
STALE = "更新不达标栏目数超过10个"
INTERACTION = "互动回应差"
SERVICE = "服务不实用"
VETO_IDS = {BLANK: "W-V4-3", STALE: "W-V4-2", INTERACTION: "W-V5", SERVICE: "W-V6"}


def verdict(site_id: str, name: str, problem: str | None = None, **kw) -> SiteVerdict:
    findings = [Finding(VETO_IDS[problem], problem, "veto", problem)] if problem else []
    return SiteVerdict(
        sweep_id=kw.get("sweep", "gz-2020q1"),
        at=kw.get("at", "2020-03-06"),
        quarter=kw.get("quarter", "2020Q1"),
        site=Site(site_id, name, f"http://{site_id}.gov.test/", site_id[:6]),
        verdict=Verdict(
            FAIL if problem or kw.get("score") else PASS, findings, score=kw.get("score")
        ),
        checked_at=kw.get("checked_at", "2020-03-06T12:00:00"),
    )


# 贵州 2020Q1 附件3 问题网站名单, as printed (地区, 标识码, 名称, 主要问题).
GUIZHOU_PROBLEMS = [
    ("部门", "5200000019", "贵州省审计厅", BLANK),
    ("铜仁市", "5206000041", "铜仁市林业局", BLANK),
    ("铜仁市", "5206240001", "思南政府网", BLANK),
    ("铜仁市", "5206260030", "中国德江", STALE),
    ("黔东南自治州", "5226000001", "黔东南州投资促进局", BLANK),
    ("黔东南自治州", "5226000004", "贵州凯里经济开发区", INTERACTION),
    ("黔东南自治州", "5226000022", "黔东南州发展和改革委员会", BLANK),
    ("黔东南自治州", "5226000049", "黔东南州科学技术局", SERVICE),
    ("黔东南自治州", "5226340005", "雷山县人民政府", INTERACTION),
    ("黔南自治州", "5227260009", "花灯之乡 独山网", BLANK),
    ("黔西南自治州", "5223240006", "晴隆县人民政府门户网站", STALE),
]
# 93 province-level sites (1 portal + 附件2's 92 部门 sites); the other 323 spread over the cities.
GUIZHOU_SITES = {
    "5200": 93,
    "5201": 45,
    "5202": 25,
    "5203": 50,
    "5204": 25,
    "5205": 35,
    "5206": 36,
    "5226": 50,
    "5227": 35,
    "5223": 22,
}


def guizhou_verdicts() -> list[SiteVerdict]:
    verdicts = [verdict(sid, name, problem) for _, sid, name, problem in GUIZHOU_PROBLEMS]
    failing = {v.site.site_id for v in verdicts}
    for city, count in GUIZHOU_SITES.items():
        have = sum(1 for sid in failing if sid.startswith(city))
        serial = 0
        while have < count:
            serial += 1
            site_id = f"{city}00{serial:04d}"
            if site_id not in failing:
                verdicts.append(verdict(site_id, f"网站{site_id}"))
                have += 1
    return verdicts


def test_guizhou_2020q1_overall_rate_and_per_city_rows() -> None:
    verdicts = guizhou_verdicts()
    rows = rollup(verdicts)
    table = {r.region: (r.sites, r.problems, r.pass_rate) for r in rows}
    assert table["合计"] == (416, 11, "97.36%")
    assert table["省直部门"] == (93, 1, "98.92%")
    assert table["铜仁市"] == (36, 3, "91.67%")
    assert table["黔东南自治州"] == (50, 5, "90.00%")
    assert table["黔南自治州"] == (35, 1, "97.14%")
    assert table["黔西南自治州"] == (22, 1, "95.45%")
    perfect = [r.region for r in rows if r.pass_rate == "100%"]
    assert perfect == ["贵阳市", "六盘水市", "遵义市", "安顺市", "毕节市"]

    summary = build_report("t", "2020-03-06", "2020Q1", verdicts).summary
    assert summary == (
        "截至2020年3月6日，共有政府网站416家，完成检查416家，发现问题网站11家，总体合格率97.36%。"
        "其中，贵阳市、六盘水市、遵义市、安顺市、毕节市检查合格率达100%。"
    )


def test_guizhou_2020q1_problem_list_matches_annex_3() -> None:
    rows = problem_list(guizhou_verdicts())
    assert [r.index for r in rows] == list(range(1, 12))
    # The bulletin prints the province's own sites as "部门"; govsweep names them 省直部门.
    # It orders 黔西南 last; govsweep orders regions by code.
    printed = {
        (region.replace("部门", "省直部门"), sid, name, p)
        for region, sid, name, p in GUIZHOU_PROBLEMS
    }
    assert {(r.region, r.site_id, r.name, r.problems) for r in rows} == printed
    assert [r.region for r in rows] == ["省直部门"] + ["铜仁市"] * 3 + ["黔西南自治州"] + [
        "黔东南自治州"
    ] * 5 + ["黔南自治州"]


ZHAOTONG_COUNTIES = {
    "530602": "昭阳区",
    "530621": "鲁甸县",
    "530622": "巧家县",
    "530623": "盐津县",
    "530624": "大关县",
    "530625": "永善县",
    "530626": "绥江县",
    "530627": "镇雄县",
    "530628": "彝良县",
    "530629": "威信县",
    "530681": "水富市",
}


def zhaotong(city_ids: list[str], failing: dict[str, dict], quarter: str) -> list[SiteVerdict]:
    """One portal per county and the city's own sites; `failing` gives verdict details by id."""
    kw = {"sweep": f"zt-{quarter}", "quarter": quarter, "at": "2020-12-20"}
    ids = [f"{code}0001" for code in ZHAOTONG_COUNTIES] + city_ids
    return [verdict(sid, f"网站{sid}", **kw, **failing.get(sid, {})) for sid in ids]


CITY_SITES = [f"530600{n:04d}" for n in range(1, 7)]  # the city portal and 5 departments


def test_zhaotong_2020q4_county_rows() -> None:
    # 附件2: 盐津县人民政府 得分低于60分; 永善县人民政府 单项否定.
    verdicts = zhaotong(
        CITY_SITES, {"5306230001": {"score": 55.0}, "5306250001": {"problem": BLANK}}, "2020Q4"
    )
    rows = rollup(verdicts, level="county", style=ZHAOTONG)
    table = [(r.region, r.sites, r.problems, r.pass_rate) for r in rows]
    expected = [("市直部门", 6, 0, "100%")] + [
        (
            name,
            1,
            int(name in ("盐津县", "永善县")),
            "0" if name in ("盐津县", "永善县") else "100%",
        )
        for name in ZHAOTONG_COUNTIES.values()
    ]
    assert table[:-1] == expected  # the bulletin's rows, in GB/T 2260 order
    assert table[-1] == ("合计", 17, 2, "88.2%")
    problems = problem_list(verdicts, level="county")
    assert [(p.region, p.site_id, p.problems) for p in problems] == [
        ("盐津县", "5306230001", "扣分指标得分55分，低于60分"),
        ("永善县", "5306250001", BLANK),
    ]


def test_zhaotong_2021q1_seven_problem_sites_give_58_8() -> None:
    failing = ["5306020001", "5306210001", "5306220001", "5306280001", "5306230001"]
    failing += ["5306000015", "5306000037"]  # 市教育体育局, 市司法局
    city = ["5306000001", "5306000015", "5306000037", "5306000002", "5306000003", "5306000004"]
    verdicts = zhaotong(city, {sid: {"problem": BLANK} for sid in failing}, "2021Q1")
    rows = {
        r.region: (r.sites, r.problems, r.pass_rate)
        for r in rollup(verdicts, level="county", style=ZHAOTONG)
    }
    assert rows["合计"] == (17, 7, "58.8%")
    for county in ("昭阳区", "鲁甸县", "巧家县", "彝良县", "盐津县"):
        assert rows[county] == (1, 1, "0")
    for county in ("镇雄县", "威信县", "大关县", "永善县", "绥江县", "水富市"):
        assert rows[county] == (1, 0, "100%")
    # The bulletin's 附件1 prints 市直部门 "5 2 60%" and leaves the city portal out of the rows
    # (its rows add up to 16 of the 17 sites); govsweep counts the portal with the city's sites.
    assert rows["市直部门"] == (6, 2, "66.7%")
