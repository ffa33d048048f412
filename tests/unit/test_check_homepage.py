"""W-V3 首页不更新 through `evaluate`: the 2-week window, undated items, navigation-only pages."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest

from checkers.model import FAIL, PASS, UNMEASURED, Finding, Verdict
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
SITE = "http://127.0.0.1:8002"
FETCH = FetchResult(url=f"{SITE}/", status=200, fetched_at="2024-03-31T09:00:00")
VETO_TEXT = "监测时间点前2周内首页无信息更新"


def days_ago(days: int) -> str:
    return (T - timedelta(days=days)).isoformat()


def home(*items: ListItem, measured: bool = True, reason: str | None = None) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/", fetch=FETCH, measured=measured, reason=reason, items=list(items)
    )


def item(title: str, when: str | None) -> ListItem:
    return ListItem(title=title, url=f"{SITE}/art/{title}.html", date=when)


def column(name: str, latest: str | None, *, level: int = 1, measured: bool = True) -> ColumnFacts:
    url = f"{SITE}/{name}/"
    return ColumnFacts(
        column=ColumnRef(name=name, url=url, category="动态要闻", level=level),
        fetch=FetchResult(url=url, status=200 if measured else None),
        measured=measured,
        reason=None if measured else "timeout",
        items_count=1 if latest else 0,
        latest=latest,
        latest_item=ListItem(title=f"{name}最新", date=latest) if latest else None,
    )


FRESH_COLUMN = column("工作动态", days_ago(1))


def w_v3(verdict: Verdict) -> list[Finding]:
    return [f for f in verdict.findings if f.indicator == "W-V3"]


@pytest.mark.parametrize(("age", "expected"), [(13, PASS), (14, PASS), (15, FAIL)])
def test_two_week_boundary(age: int, expected: str) -> None:
    verdict = evaluate(home(item("新闻", days_ago(age))), [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == expected
    [finding] = w_v3(verdict)
    if expected == FAIL:
        assert (finding.level, finding.holds, finding.name) == ("veto", True, "首页不更新")
        assert finding.message == VETO_TEXT
        assert (
            finding.evidence[0].detail
            == f"首页最新条目「新闻」发布于{days_ago(15)}，距监测时间点15天"
        )
        assert finding.evidence[0].url == f"{SITE}/art/新闻.html"
    else:  # inside the window, but within the 4-day warning zone
        assert finding.level == "warning"
        due = "1天后" if age == 13 else "明日起"
        assert finding.message == f"首页已{age}天未更新，{due}将超过2周更新要求"


@pytest.mark.parametrize(("age", "warned"), [(9, False), (10, True)])
def test_early_warning_starts_on_day_ten(age: int, warned: bool) -> None:
    verdict = evaluate(home(item("新闻", days_ago(age))), [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == PASS
    messages = [f.message for f in w_v3(verdict)]
    assert messages == (["首页已10天未更新，4天后将超过2周更新要求"] if warned else [])


def test_newest_dated_item_decides_and_undated_items_do_not_count() -> None:
    page = home(item("旧闻", days_ago(40)), item("近闻", days_ago(20)), item("无日期", None))
    verdict = evaluate(page, [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == FAIL
    [finding] = w_v3(verdict)
    assert finding.message == VETO_TEXT
    assert finding.evidence[0].date == days_ago(20)
    assert finding.evidence[1].detail == "首页另有1条未标注发布时间的条目，视为不更新"


def test_navigation_page_passes_when_a_level1_column_is_fresh() -> None:
    stale = column("部门动态", days_ago(30))
    verdict = evaluate(home(item("导航", None)), [stale, FRESH_COLUMN], RULES, T)

    assert verdict.verdict == PASS
    assert w_v3(verdict) == []


def test_navigation_page_fails_when_only_level2_columns_are_fresh() -> None:
    columns = [column("部门动态", days_ago(30)), column("乡镇动态", days_ago(1), level=2)]
    verdict = evaluate(home(), columns, RULES, T)

    assert verdict.verdict == FAIL
    [finding] = w_v3(verdict)
    assert (finding.level, finding.holds, finding.message) == ("veto", True, VETO_TEXT)
    assert finding.evidence[0].detail == (
        "首页仅为栏目导航入口（无标注日期的条目），1个一级栏目前2周内均无信息更新"
    )
    assert finding.evidence[1].url == f"{SITE}/部门动态/"
    assert "发布于" + days_ago(30) in finding.evidence[1].detail


def test_navigation_page_without_a_readable_level1_column_is_unmeasured() -> None:
    columns = [column("部门动态", None, measured=False), column("乡镇动态", days_ago(1), level=2)]
    verdict = evaluate(home(), columns, RULES, T)

    assert verdict.verdict == UNMEASURED
    [finding] = w_v3(verdict)
    assert finding.level == "unmeasured"
    assert finding.message == "未能检测：首页仅为栏目导航入口，且没有可检测的一级栏目"


def test_navigation_page_with_an_unread_level1_column_is_not_failed() -> None:
    columns = [column("部门动态", days_ago(30)), column("图片新闻", None, measured=False)]
    verdict = evaluate(home(), columns, RULES, T)

    assert verdict.verdict == UNMEASURED
    [finding] = w_v3(verdict)
    assert (
        finding.message == "未能检测：首页仅为栏目导航入口，1个一级栏目未能读取，无法确认均未更新"
    )


def test_unread_home_page_is_unmeasured_not_failed() -> None:
    verdict = evaluate(home(measured=False, reason="timeout"), [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == UNMEASURED
    [finding] = w_v3(verdict)
    assert (finding.level, finding.holds) == ("unmeasured", False)
    assert finding.message == "未能检测：timeout"
    assert verdict.unmeasured == ["首页无法读取：timeout"]


def test_item_dated_after_t_blocks_the_veto() -> None:
    page = home(item("旧闻", days_ago(30)), item("预告", "2024-04-03"))
    verdict = evaluate(page, [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == UNMEASURED
    [finding] = w_v3(verdict)
    assert finding.message == "未能检测：首页条目「预告」的日期2024-04-03晚于监测时间点2024-03-31"


def test_unreadable_item_date_blocks_the_veto() -> None:
    page = home(item("旧闻", days_ago(30)), item("乱码", "2024-13-45"))
    verdict = evaluate(page, [FRESH_COLUMN], RULES, T)

    assert verdict.verdict == UNMEASURED
    assert w_v3(verdict)[0].message == "未能检测：首页条目「乱码」的日期「2024-13-45」无法识别"
