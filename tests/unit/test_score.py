"""The deduction score: known points only, caps per indicator, the 60 and 80 lines (59.9 / 60 / 80 /
80.1), 75 × 4/3 for departments without external services, no score once a veto holds."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from checkers.model import FAIL, PASS, Finding, SiteContext, Verdict
from checkers.rules import RuleSet, load_rules
from checkers.verdict import evaluate
from crawler.model import (
    ColumnFacts,
    ColumnRef,
    EntryLink,
    FetchResult,
    Footer,
    HomeFacts,
    ListItem,
)

T = date(2024, 6, 30)
BASELINE = load_rules()
SITE = "http://127.0.0.1:8204"
CODE = "5200000001"
# Everything present except the ICP record and the 党政机关 mark.
FOOTER = Footer(
    site_code=CODE,
    meta_site_code=CODE,
    jiucuo_code=CODE,
    police_record="贵公网安备52010202000001号",
    sitemap_url=f"{SITE}/sitemap.html",
)
REGISTERED = SiteContext(site_code=CODE)


def home(age: int = 0) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/",
        fetch=FetchResult(url=f"{SITE}/", status=200),
        measured=True,
        items=[ListItem(title="要闻", date=(T - timedelta(days=age)).isoformat())],
        footer=FOOTER,
        channels=[EntryLink(name="我要写信", url=f"{SITE}/wyxx/")],
        services=[EntryLink(name="政务服务", url=f"{SITE}/zwfw/")],
    )


def column(name: str, category: str, age: int = 0, level: int = 1) -> ColumnFacts:
    url = f"{SITE}/{abs(hash(name)) % 10_000}/"
    return ColumnFacts(
        column=ColumnRef(name=name, url=url, category=category, level=level),
        fetch=FetchResult(url=url, status=200),
        measured=True,
        latest=(T - timedelta(days=age)).isoformat(),
        items_count=10,
    )


NEWS = column("工作动态", "动态要闻")


def overlay(tmp_path: Path, text: str) -> RuleSet:
    path = tmp_path / "local.toml"
    path.write_text(f'version = "local"\n{text}', encoding="utf-8")
    return load_rules(None, [path])


def judge(rules: RuleSet, *columns: ColumnFacts, site: SiteContext = REGISTERED) -> Verdict:
    return evaluate(home(), [NEWS, *columns], rules, T, site)


def score_line(verdict: Verdict) -> Finding:
    [line] = [f for f in verdict.findings if f.indicator == "W-S"]
    return line


def test_baseline_deducts_five_for_a_stale_policy_column_and_reports_unknown_items() -> None:
    verdict = judge(BASELINE, column("政策文件", "政策文件", age=200))

    assert (verdict.verdict, verdict.score) == (PASS, 95)
    by_item = {f.indicator: f for f in verdict.findings if f.indicator.startswith("W-D-")}
    policy = by_item["W-D-policy_l1_stale"]
    assert (policy.level, policy.points, policy.name) == (
        "deduction",
        5.0,
        "在监测时间点前6个月内，政策文件类一级栏目未更新",
    )
    assert policy.message == "在监测时间点前6个月内，政策文件类一级栏目未更新，扣5分"
    assert policy.evidence[0].detail.startswith("政策文件（政策文件，一级栏目）：")
    assert (by_item["W-D-icp"].level, by_item["W-D-icp"].points) == ("observation", None)
    assert by_item["W-D-icp"].message == "网站底部未标注ICP备案编号（分值未知，未扣分）"
    line = score_line(verdict)
    assert (line.level, line.holds, line.message) == (
        "score",
        False,
        "扣分指标得分95分，高于80分，进入加分指标评分；加分项未知，未加分",
    )
    assert line.evidence[0].detail == "扣分指标按100分计算；发布解读扣5分"


def test_policy_column_at_six_months_is_fresh_and_level_2_does_not_count() -> None:
    at_line = column("政策文件", "政策文件", age=(T - date(2023, 12, 30)).days)
    level2 = column("部门文件", "政策文件", age=400, level=2)

    assert judge(BASELINE, at_line).score == 100
    assert judge(BASELINE, at_line, level2).score == 100
    past = column("政策文件", "政策文件", age=(T - date(2023, 12, 29)).days)
    assert judge(BASELINE, past).score == 95


@pytest.mark.parametrize(
    ("points", "verdict", "message"),
    [
        (40.1, FAIL, "扣分指标得分59.9分，低于60分"),
        (40, PASS, "扣分指标得分60分"),
        (20, PASS, "扣分指标得分80分"),
        (19.9, PASS, "扣分指标得分80.1分，高于80分，进入加分指标评分；加分项未知，未加分"),
    ],
)
def test_the_60_and_80_lines(tmp_path: Path, points: float, verdict: str, message: str) -> None:
    rules = overlay(tmp_path, f"[score.items.icp]\npoints = {points}\n")

    result = judge(rules)

    assert result.verdict == verdict
    line = score_line(result)
    assert (line.message, line.holds) == (message, verdict == FAIL)
    assert [f.message for f in result.findings if f.level == "veto"] == []


def test_deductions_are_capped_per_indicator(tmp_path: Path) -> None:
    rules = overlay(
        tmp_path,
        '[score.groups."功能设计"]\nmax_points = 10\n'
        "[score.items.icp]\npoints = 8\n[score.items.conac]\npoints = 8\n",
    )

    verdict = judge(rules)

    assert verdict.score == 90
    assert sorted(f.points for f in verdict.findings if f.level == "deduction") == [8.0, 8.0]
    assert score_line(verdict).evidence[0].detail == (
        "扣分指标按100分计算；功能设计扣10分（合计16分，上限10分）"
    )


def test_points_per_occurrence(tmp_path: Path) -> None:
    rules = overlay(tmp_path, "[score.items.policy_l1_stale]\neach = true\n")
    stale = [column(f"政策文件{i}", "政策文件", age=200) for i in range(2)]

    verdict = judge(rules, *stale)

    assert verdict.score == 90
    [policy] = [f for f in verdict.findings if f.indicator == "W-D-policy_l1_stale"]
    assert (policy.points, len(policy.evidence)) == (10.0, 2)


def test_departments_are_not_scored_unless_the_rules_say(tmp_path: Path) -> None:
    department = SiteContext(site_code=CODE, kind="部门")
    stale_policy = column("政策文件", "政策文件", age=200)

    unscored = judge(BASELINE, stale_policy, site=department)
    scored = judge(
        overlay(tmp_path, "[score]\ndepartments = true\n"), stale_policy, site=department
    )

    assert (unscored.verdict, unscored.score) == (PASS, None)
    policy = next(f for f in unscored.findings if f.indicator == "W-D-policy_l1_stale")
    assert (policy.level, policy.points, policy.message) == (
        "observation",
        None,
        "在监测时间点前6个月内，政策文件类一级栏目未更新",
    )
    assert not [f for f in unscored.findings if f.indicator == "W-S"]
    assert scored.score == 95


@pytest.mark.parametrize(("points", "score", "verdict"), [(15, 80, PASS), (30.1, 59.87, FAIL)])
def test_departments_without_external_services_score_75_times_4_over_3(
    tmp_path: Path, points: float, score: float, verdict: str
) -> None:
    rules = overlay(
        tmp_path, f"[score]\ndepartments = true\n[score.items.icp]\npoints = {points}\n"
    )
    department = SiteContext(site_code=CODE, kind="部门", external_services=False)

    result = judge(rules, site=department)

    assert (result.score, result.verdict) == (score, verdict)
    assert score_line(result).evidence[0].detail == (
        f"无对外服务职能，扣分指标按75分计算，得分乘以100/75；功能设计扣{points:g}分"
    )
    # The 办事服务 items are not checked at all.
    assert not [f for f in result.findings if f.indicator == "W-D-service_stats_stale"]


def test_no_score_once_a_veto_holds_but_the_items_are_still_reported() -> None:
    verdict = evaluate(home(age=20), [NEWS, column("政策文件", "政策文件", age=200)], BASELINE, T)

    assert verdict.verdict == FAIL
    assert verdict.score is None
    assert not [f for f in verdict.findings if f.indicator == "W-S"]
    policy = next(f for f in verdict.findings if f.indicator == "W-D-policy_l1_stale")
    assert (policy.level, policy.points, policy.message) == (
        "observation",
        None,
        "在监测时间点前6个月内，政策文件类一级栏目未更新",
    )
