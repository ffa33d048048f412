"""Combining findings into the site verdict: 不合格 > 未能检测 > 合格, with what was not measured."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec

from checkers.model import FAIL, PASS, UNMEASURED, Verdict
from checkers.rules import RuleSet, load_rules
from checkers.verdict import evaluate
from crawler.model import ColumnFacts, ColumnRef, FetchResult, HomeFacts, ListItem

T = date(2024, 3, 31)


def update_checks_only(rules: RuleSet) -> RuleSet:
    """The rule set without the families other than W-V3/W-V4 (tested in their own files)."""
    return msgspec.structs.replace(
        rules, availability=None, interaction=None, service=None, security=None, score=None
    )


# The update checks (W-V3, W-V4) alone: the other families have their own tests.
RULES = update_checks_only(load_rules())
SITE = "http://127.0.0.1:8004"


def days_ago(days: int) -> str:
    return (T - timedelta(days=days)).isoformat()


def home(age: int | None = 1, reason: str | None = None) -> HomeFacts:
    fetch = FetchResult(url=f"{SITE}/", status=200 if reason is None else None, error=reason)
    items = [ListItem(title="要闻", date=days_ago(age))] if age is not None else []
    return HomeFacts(
        url=f"{SITE}/", fetch=fetch, measured=reason is None, reason=reason, items=items
    )


def column(
    name: str, category: str = "动态要闻", *, measured: bool = True, **facts: Any
) -> ColumnFacts:
    url = f"{SITE}/{name}/"
    ref = ColumnRef(name=name, url=url, category=category)
    return ColumnFacts(
        column=ref, fetch=FetchResult(url=url, status=200), measured=measured, **facts
    )


def fresh(name: str) -> ColumnFacts:
    return column(name, latest=days_ago(1), items_count=20)


def test_site_with_nothing_wrong_passes_without_findings() -> None:
    verdict = evaluate(home(), [fresh("要闻"), fresh("部门动态")], RULES, T)

    assert verdict == Verdict(verdict=PASS, findings=[], unmeasured=[])


def test_pass_lists_what_could_not_be_measured() -> None:
    blocked = column("图片新闻", measured=False, reason="waf_challenge")
    verdict = evaluate(home(), [fresh("要闻"), blocked], RULES, T)

    assert verdict.verdict == PASS
    assert verdict.findings == []
    assert verdict.unmeasured == [f"栏目「图片新闻」{SITE}/图片新闻/：waf_challenge"]


def test_a_holding_veto_fails_even_when_the_home_page_was_not_read() -> None:
    blanks = [column(f"空{i}", "概况", blank=True, blank_reason="栏目建设中") for i in range(5)]
    verdict = evaluate(home(reason="refused"), blanks, RULES, T)

    assert verdict.verdict == FAIL
    assert [(f.indicator, f.level, f.message) for f in verdict.findings] == [
        ("W-V3", "unmeasured", "未能检测：refused"),
        ("W-V4-3", "veto", "空白栏目数量超过(含)5个"),
    ]
    assert (
        verdict.findings[1].evidence[0].detail == "空0（概况，一级栏目）：栏目无条目（栏目建设中）"
    )
    assert verdict.unmeasured == ["首页无法读取：refused"]


def test_unread_home_page_with_good_columns_is_unmeasured() -> None:
    verdict = evaluate(home(reason="timeout"), [fresh("要闻")], RULES, T)

    assert verdict.verdict == UNMEASURED
    assert [f.message for f in verdict.findings] == ["未能检测：timeout"]


def test_site_without_columns_is_unmeasured() -> None:
    verdict = evaluate(home(), [], RULES, T)

    assert verdict.verdict == UNMEASURED
    [finding] = verdict.findings
    assert (finding.indicator, finding.name, finding.level) == ("W-V4", "栏目不更新", "unmeasured")
    assert finding.message == "未能检测：未发现可检测的栏目"
    assert verdict.unmeasured == ["W-V4 栏目不更新：未发现可检测的栏目"]


def test_observations_and_warnings_do_not_fail_a_site() -> None:
    columns = [fresh("要闻"), column("工作动态", latest=days_ago(11), items_count=3)]
    columns += [column(f"空{i}", "概况", blank=True) for i in range(2)]
    verdict = evaluate(home(age=12), columns, RULES, T)

    assert verdict.verdict == PASS
    assert [(f.level, f.holds, f.message) for f in verdict.findings] == [
        ("warning", False, "首页已12天未更新，2天后将超过2周更新要求"),
        ("observation", False, "空白栏目2个"),
        ("warning", False, "动态要闻类栏目「工作动态」已11天未更新，3天后将超过2周更新要求"),
    ]


def test_both_veto_checks_can_hold_together() -> None:
    stale = [column(f"动态{i}", latest=days_ago(20), items_count=4) for i in range(5)]
    verdict = evaluate(home(age=20), stale, RULES, T)

    assert verdict.verdict == FAIL
    vetoes = [(f.indicator, f.message) for f in verdict.findings if f.level == "veto" and f.holds]
    assert vetoes == [
        ("W-V3", "监测时间点前2周内首页无信息更新"),
        ("W-V4-1", "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"),
    ]
    assert all(f.rule_version == "gov-2019-19" for f in verdict.findings)


def test_verdict_survives_the_bus_encoding() -> None:
    verdict = evaluate(home(age=30), [fresh("要闻")], RULES, T)

    decoded = msgspec.json.decode(msgspec.json.encode(verdict), type=Verdict)

    assert decoded == verdict
    assert decoded.verdict == FAIL
    assert decoded.findings[0].message == "监测时间点前2周内首页无信息更新"
    assert decoded.findings[0].holds is True
