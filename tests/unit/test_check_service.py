"""W-V6 服务不实用 through `evaluate`: the service entry, the 办事指南 sample at its [M] lines (reported
until an overlay enforces them), departments without external services, the 办事统计 deduction."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

from checkers.model import FAIL, PASS, Finding, SiteContext, Verdict
from checkers.rules import RuleSet, load_rules
from checkers.verdict import evaluate
from crawler.model import (
    ColumnFacts,
    ColumnRef,
    EntryLink,
    FetchResult,
    GuideFacts,
    HomeFacts,
    ListItem,
)
from crawler.service import ELEMENTS

T = date(2024, 6, 30)
RULES = load_rules()
SITE = "http://127.0.0.1:8202"
TALK_LINK = EntryLink(name="我要写信", url=f"{SITE}/wyxx/")
ALL = list(ELEMENTS)


def home(measured: bool = True, services: list[EntryLink] | None = None) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/",
        fetch=FetchResult(url=f"{SITE}/", status=200 if measured else None),
        measured=measured,
        items=[ListItem(title="要闻", date=T.isoformat())],
        channels=[TALK_LINK],
        services=services or [],
    )


def column(name: str, category: str, latest: date = T, **facts: object) -> ColumnFacts:
    url = f"{SITE}/{abs(hash(name)) % 10_000}/"
    return ColumnFacts(
        column=ColumnRef(name=name, url=url, category=category),
        fetch=FetchResult(url=url, status=200),
        measured=True,
        latest=latest.isoformat(),
        items_count=10,
        **facts,  # type: ignore[arg-type]
    )


NEWS = column("工作动态", "动态要闻")


def guide(i: int, missing: int) -> GuideFacts:
    return GuideFacts(url=f"{SITE}/bszn/g{i}.html", title=f"事项{i}", elements=ALL[missing:])


def sample(failing: int, total: int, missing: int = 5) -> ColumnFacts:
    guides = [guide(i, missing if i < failing else 0) for i in range(total)]
    return column("办事指南", "办事服务", guides=guides)


def judge(
    *columns: ColumnFacts, page: HomeFacts | None = None, rules: RuleSet = RULES, **site: object
) -> Verdict:
    return evaluate(page or home(), [NEWS, *columns], rules, T, SiteContext(**site))  # type: ignore[arg-type]


def w_v6(verdict: Verdict) -> list[Finding]:
    return [f for f in verdict.findings if f.indicator.startswith("W-V6")]


def enforcing(tmp_path: Path) -> RuleSet:
    overlay = tmp_path / "enforce.toml"
    overlay.write_text('version = "省-2025"\n[service]\nenforce = true\n', encoding="utf-8")
    return load_rules(None, [overlay])


def test_no_service_column_and_no_entry_link_fails_the_site() -> None:
    verdict = judge()

    assert verdict.verdict == FAIL
    [veto] = [f for f in w_v6(verdict) if f.level == "veto"]
    assert (veto.indicator, veto.name, veto.message) == ("W-V6-1", "服务不实用", "未提供办事服务")
    assert veto.evidence[0].detail == (
        "首页及1个栏目中未发现办事服务类栏目，也未发现名为办事服务、政务服务、网上办事的入口"
    )


def test_an_entry_link_to_the_provincial_service_platform_is_an_entry() -> None:
    link = EntryLink(name="贵州政务服务网", url="http://127.0.0.3/")
    other = EntryLink(name="便民服务", url=f"{SITE}/bmfw/")  # not one of the entry names

    assert [f.indicator for f in w_v6(judge(page=home(services=[link])))] == ["W-V6-2"]
    assert "W-V6-1" in {f.indicator for f in w_v6(judge(page=home(services=[other])))}


def test_entry_unknown_when_the_home_page_was_not_read() -> None:
    verdict = judge(page=home(measured=False))

    entry = next(f for f in verdict.findings if f.indicator == "W-V6-1")
    assert (entry.level, entry.message) == (
        "unmeasured",
        "未能检测：首页未能读取，无法确认是否提供办事服务",
    )


def test_guides_missing_four_types_do_not_count_five_do() -> None:
    four = judge(sample(failing=10, total=10, missing=4))
    five = judge(sample(failing=1, total=10, missing=5))

    assert w_v6(four) == []
    [finding] = w_v6(five)
    assert (finding.level, finding.holds, five.verdict) == ("observation", False, PASS)
    assert finding.message == (
        "办事指南重点要素类别缺失超过(含)5类的事项数量超过(含)抽查事项的10%（规则待核实）"
    )
    assert finding.evidence[0].detail == (
        "办事指南「事项0」缺少5类要素：事项名称、设定依据、申请条件、办理材料、办理地点"
    )
    assert finding.evidence[-1].detail == "抽查办事指南10个，要素缺失超过(含)5类的1个，占10%"


def test_enforced_overlay_fails_at_ten_percent_not_below(tmp_path: Path) -> None:
    rules = enforcing(tmp_path)
    below = judge(sample(failing=1, total=11), rules=rules)  # 9.1 %
    at_line = judge(sample(failing=1, total=10), rules=rules)  # 10 %

    assert below.verdict == PASS
    assert [(f.level, f.message) for f in w_v6(below)] == [
        ("observation", "抽查办事指南11个，要素缺失超过(含)5类的1个")
    ]
    assert at_line.verdict == FAIL
    [veto] = w_v6(at_line)
    assert (veto.level, veto.holds, veto.rule_version) == ("veto", True, "gov-2019-19+省-2025")
    assert veto.message == ("办事指南重点要素类别缺失超过(含)5类的事项数量超过(含)抽查事项的10%")


def test_no_guide_in_the_sample_is_unmeasured() -> None:
    news_pages = [
        GuideFacts(url=f"{SITE}/a{i}.html", measured=False, reason="不是办事指南页面")
        for i in range(3)
    ]

    verdict = judge(column("办事服务", "办事服务", guides=news_pages))

    assert verdict.verdict == PASS
    assert [(f.indicator, f.level, f.message) for f in w_v6(verdict)] == [
        (
            "W-V6-2",
            "unmeasured",
            "未能检测：未抽查到办事指南页面（读取3个页面：不是办事指南页面等）",
        )
    ]


def test_department_without_external_services_is_not_checked_for_services() -> None:
    verdict = judge(kind="部门", external_services=False)

    assert verdict.verdict == PASS
    assert [(f.indicator, f.level, f.message) for f in w_v6(verdict)] == [
        ("W-V6", "observation", "无对外服务职能的部门，不检查办事服务相关指标")
    ]


def test_service_statistics_not_updated_in_three_months_cost_two_points() -> None:
    limit = T - relativedelta(months=3)
    stale = judge(sample(0, 1), column("办件统计", "other", latest=limit - timedelta(days=1)))
    fresh = judge(sample(0, 1), column("办件统计", "other", latest=limit))
    absent = judge(sample(0, 1))

    [deduction] = [f for f in stale.findings if f.indicator == "W-D-service_stats_stale"]
    assert (deduction.level, deduction.points, stale.score) == ("deduction", 2.0, 98)
    assert deduction.message == "在监测时间点前3个月内，未及时更新办事统计数据，扣2分"
    assert fresh.score == 100
    assert not [f for f in fresh.findings if f.indicator == "W-D-service_stats_stale"]
    [unknown] = [f for f in absent.findings if f.indicator == "W-D-service_stats_stale"]
    assert (unknown.level, unknown.message) == (
        "unmeasured",
        "未能检测：未发现办件统计、办事统计类栏目",
    )
