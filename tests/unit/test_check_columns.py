"""W-V4 栏目不更新 limbs 1–3 through `evaluate`, at every boundary of the baseline rules."""

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
SITE = "http://127.0.0.1:8001"
FETCH = FetchResult(url=f"{SITE}/", status=200, fetched_at="2024-03-31T09:00:00")
FRESH_HOME = HomeFacts(
    url=f"{SITE}/",
    fetch=FETCH,
    measured=True,
    items=[ListItem(title="今日要闻", url=f"{SITE}/a/1.html", date=T.isoformat())],
)
_serial = iter(range(10_000))


def days_ago(days: int) -> str:
    return (T - timedelta(days=days)).isoformat()


def column(
    category: str,
    latest: str | None = None,
    *,
    name: str | None = None,
    level: int = 1,
    blank: bool = False,
    undated: int = 0,
    measured: bool = True,
    reason: str | None = None,
    url: str | None = None,
) -> ColumnFacts:
    n = next(_serial)
    url = url or f"{SITE}/col{n}/"
    item = ListItem(title=f"{category}条目{n}", url=f"{url}1.html", date=latest) if latest else None
    return ColumnFacts(
        column=ColumnRef(name=name or f"{category}{n}", url=url, category=category, level=level),
        fetch=FetchResult(url=url, status=200 if measured else None, error=reason),
        measured=measured,
        reason=reason,
        items_count=(1 if latest else 0) + undated,
        undated_count=undated,
        latest=latest,
        latest_item=item,
        blank=blank,
        blank_reason="暂无信息" if blank else None,
    )


def check(columns: list[ColumnFacts]) -> Verdict:
    return evaluate(FRESH_HOME, columns, RULES, T)


def only(verdict: Verdict, indicator: str) -> Finding:
    found = [f for f in verdict.findings if f.indicator == indicator]
    assert len(found) == 1, verdict.findings
    return found[0]


def indicators(verdict: Verdict) -> set[str]:
    return {f.indicator for f in verdict.findings if f.level != "warning"}


@pytest.mark.parametrize(("age", "expected"), [(13, PASS), (14, PASS), (15, FAIL)])
def test_dynamic_news_two_week_boundary(age: int, expected: str) -> None:
    verdict = check([column("动态要闻", days_ago(age)) for _ in range(5)])

    assert verdict.verdict == expected
    if expected == FAIL:
        limb1 = only(verdict, "W-V4-1")
        assert (limb1.level, limb1.holds, limb1.name) == ("veto", True, "栏目不更新")
        assert (
            limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"
        )
        assert limb1.rule_version == "gov-2019-19"
        assert len(limb1.evidence) == 5
        assert limb1.evidence[0].date == "2024-03-16"
        assert "（动态要闻，一级栏目）：最新条目「动态要闻条目" in limb1.evidence[0].detail
        assert "发布于2024-03-16，距监测时间点15天" in limb1.evidence[0].detail
    else:
        assert indicators(verdict) == set()


@pytest.mark.parametrize(
    ("latest", "expected"),
    [("2023-09-29", FAIL), ("2023-09-30", PASS), ("2023-10-01", PASS)],  # T - 6 months = 09-30
)
def test_notice_six_month_boundary(latest: str, expected: str) -> None:
    verdict = check([column("通知公告", latest) for _ in range(5)])

    assert verdict.verdict == expected
    if expected == FAIL:
        limb1 = only(verdict, "W-V4-1")
        assert (
            limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"
        )
        assert {e.date for e in limb1.evidence} == {"2023-09-29"}
    else:
        assert verdict.findings == []


@pytest.mark.parametrize(
    ("latest", "expected"),
    [("2023-03-30", FAIL), ("2023-03-31", PASS), ("2023-04-01", PASS)],  # T - 1 year = 03-31
)
def test_personnel_one_year_boundary(latest: str, expected: str) -> None:
    verdict = check([column("人事", latest) for _ in range(10)])

    assert verdict.verdict == expected
    if expected == FAIL:
        limb2 = only(verdict, "W-V4-2")
        assert (limb2.level, limb2.holds) == ("veto", True)
        assert limb2.message == "应更新但长期未更新的栏目数量超过(含)10个"
        assert "（人事，一级栏目）" in limb2.evidence[0].detail
        assert "W-V4-1" not in indicators(verdict)  # 人事 is not part of limb 1
    else:
        assert verdict.findings == []


def test_four_blank_columns_are_an_observation() -> None:
    verdict = check(
        [column("动态要闻", days_ago(1))] + [column("概况", blank=True) for _ in range(4)]
    )

    assert verdict.verdict == PASS
    blank = only(verdict, "W-V4-3")
    assert (blank.level, blank.holds, blank.message) == ("observation", False, "空白栏目4个")
    assert all("栏目无条目（暂无信息）" in e.detail for e in blank.evidence)


def test_five_blank_columns_veto() -> None:
    verdict = check(
        [column("动态要闻", days_ago(1))] + [column("概况", blank=True) for _ in range(5)]
    )

    assert verdict.verdict == FAIL
    blank = only(verdict, "W-V4-3")
    assert (blank.level, blank.holds) == ("veto", True)
    assert blank.message == "空白栏目数量超过(含)5个"
    assert len(blank.evidence) == 5
    assert blank.evidence[0].date is None


def long_stale(count: int) -> list[ColumnFacts]:
    """Stale columns outside limb 1: 人事 / 规划计划 past a year, level-2 通知公告 past 6 months."""
    kinds = [
        ("人事", 1, "2022-12-01"),
        ("规划计划", 1, "2022-06-01"),
        ("通知公告", 2, "2023-01-05"),
    ]
    return [column(kinds[i % 3][0], kinds[i % 3][2], level=kinds[i % 3][1]) for i in range(count)]


def test_nine_long_stale_columns_are_an_observation() -> None:
    verdict = check([column("动态要闻", days_ago(0))] + long_stale(9))

    assert verdict.verdict == PASS
    limb2 = only(verdict, "W-V4-2")
    assert (limb2.level, limb2.holds) == ("observation", False)
    assert limb2.message == "应更新但长期未更新的栏目9个"
    assert len(limb2.evidence) == 9
    assert "W-V4-1" not in indicators(verdict)


def test_ten_long_stale_columns_veto() -> None:
    verdict = check([column("动态要闻", days_ago(0))] + long_stale(10))

    assert verdict.verdict == FAIL
    limb2 = only(verdict, "W-V4-2")
    assert (limb2.level, limb2.holds) == ("veto", True)
    assert limb2.message == "应更新但长期未更新的栏目数量超过(含)10个"
    assert "（通知公告，二级栏目）：最新条目" in limb2.evidence[2].detail


def combined_stale(count: int) -> list[ColumnFacts]:
    """Stale limb-1 columns, mixing the classes: news past 2 weeks, 通知公告/政策文件 past 6 months."""
    kinds = [("动态要闻", days_ago(20)), ("通知公告", "2023-09-01"), ("政策文件", "2023-05-01")]
    return [column(*kinds[i % 3]) for i in range(count)]


def test_four_combined_stale_columns_are_an_observation() -> None:
    verdict = check([column("动态要闻", days_ago(0))] + combined_stale(4))

    assert verdict.verdict == PASS
    limb1 = only(verdict, "W-V4-1")
    assert (limb1.level, limb1.holds) == ("observation", False)
    assert limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目未更新4个"


def test_five_combined_stale_columns_veto() -> None:
    verdict = check([column("动态要闻", days_ago(0))] + combined_stale(5))

    assert verdict.verdict == FAIL
    limb1 = only(verdict, "W-V4-1")
    assert (limb1.level, limb1.holds) == ("veto", True)
    assert limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"
    classes = [e.detail.split("（")[1].split("，")[0] for e in limb1.evidence]
    assert sorted(classes) == ["动态要闻", "动态要闻", "政策文件", "通知公告", "通知公告"]


def test_undated_only_columns_count_as_stale_and_say_why() -> None:
    verdict = check([column("动态要闻", undated=12) for _ in range(5)])

    assert verdict.verdict == FAIL
    limb1 = only(verdict, "W-V4-1")
    assert limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"
    assert all("条目均未标注发布时间（12条），视为不更新" in e.detail for e in limb1.evidence)
    assert all(e.date is None for e in limb1.evidence)


def test_blank_columns_are_not_counted_as_stale() -> None:
    verdict = check([column("动态要闻", blank=True) for _ in range(5)])

    assert verdict.verdict == FAIL
    assert indicators(verdict) == {"W-V4-3"}
    assert only(verdict, "W-V4-3").message == "空白栏目数量超过(含)5个"


def test_level2_notices_count_for_limb2_not_limb1() -> None:
    verdict = check([column("通知公告", "2023-06-01", level=2) for _ in range(5)])

    assert verdict.verdict == PASS
    assert "W-V4-1" not in indicators(verdict)
    limb2 = only(verdict, "W-V4-2")
    assert limb2.message == "应更新但长期未更新的栏目5个"
    assert "（通知公告，二级栏目）" in limb2.evidence[0].detail


def test_unmeasured_columns_count_towards_nothing() -> None:
    blocked = [column("动态要闻", measured=False, reason="waf_challenge") for _ in range(5)]
    verdict = check([column("动态要闻", days_ago(2), name="工作动态")] + blocked)

    assert verdict.verdict == PASS
    assert verdict.findings == []
    assert len(verdict.unmeasured) == 5
    assert verdict.unmeasured[0].endswith("：waf_challenge")
    assert verdict.unmeasured[0].startswith("栏目「动态要闻")


def test_every_column_unmeasured_makes_w_v4_unmeasured() -> None:
    verdict = check([column("动态要闻", measured=False, reason="timeout") for _ in range(3)])

    assert verdict.verdict == UNMEASURED
    finding = only(verdict, "W-V4")
    assert (finding.level, finding.holds) == ("unmeasured", False)
    assert finding.message == "未能检测：全部3个栏目均未能读取"
    assert "W-V4 栏目不更新：全部3个栏目均未能读取" in verdict.unmeasured


def test_column_dated_after_t_is_unmeasured_not_stale() -> None:
    stale = [column("动态要闻", days_ago(30)) for _ in range(4)]
    verdict = check(stale + [column("动态要闻", "2024-04-02", name="工作动态")])

    assert verdict.verdict == PASS
    assert (
        only(verdict, "W-V4-1").message == "动态、要闻类栏目及通知公告、政策文件类一级栏目未更新4个"
    )
    assert any("工作动态" in u and "晚于监测时间点2024-03-31" in u for u in verdict.unmeasured)


def test_a_column_listed_twice_is_counted_once() -> None:
    twice = column("动态要闻", days_ago(40), url=f"{SITE}/dup/")
    verdict = check([column("动态要闻", days_ago(40)) for _ in range(3)] + [twice, twice])

    assert verdict.verdict == PASS
    assert only(verdict, "W-V4-1").message.endswith("未更新4个")


@pytest.mark.parametrize("read_first", [True, False])
def test_a_column_read_once_of_twice_is_measured(read_first: bool) -> None:
    url = f"{SITE}/twice/"
    copies = [
        column("动态要闻", days_ago(40), url=url),
        column("动态要闻", measured=False, reason="timeout", url=url),
    ]
    stale = [column("动态要闻", days_ago(40)) for _ in range(4)]
    verdict = check(stale + (copies if read_first else copies[::-1]))

    assert verdict.verdict == FAIL
    assert len(only(verdict, "W-V4-1").evidence) == 5
    assert verdict.unmeasured == []


def test_classes_without_a_duty_are_not_stale() -> None:
    verdict = check([column("政策解读", "2020-01-01") for _ in range(10)])

    assert verdict.verdict == PASS
    assert verdict.findings == []


@pytest.mark.parametrize(
    ("age", "warning"),
    [
        (9, None),
        (10, "动态要闻类栏目「工作动态」已10天未更新，4天后将超过2周更新要求"),
        (14, "动态要闻类栏目「工作动态」已14天未更新，明日起将超过2周更新要求"),
        (15, None),  # past the window: stale, no longer a warning
    ],
)
def test_early_warning_for_news_columns(age: int, warning: str | None) -> None:
    verdict = check([column("动态要闻", days_ago(age), name="工作动态")])

    warnings = [f for f in verdict.findings if f.level == "warning"]
    assert [w.message for w in warnings] == ([warning] if warning else [])
    assert verdict.verdict == PASS
    if warning:
        assert (warnings[0].indicator, warnings[0].holds) == ("W-V4", False)
        assert warnings[0].evidence[0].url.startswith(f"{SITE}/col")
