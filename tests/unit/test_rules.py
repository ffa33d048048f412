"""Rule files: the baseline, windows, overlays and one clear error per fault."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import msgspec
import pytest

from checkers.model import FAIL, PASS
from checkers.rules import RuleError, RuleSet, Threshold, Window, load_rules, window_start
from checkers.verdict import evaluate
from crawler.model import ColumnFacts, ColumnRef, FetchResult, HomeFacts, ListItem

T = date(2024, 3, 31)
SITE = "http://127.0.0.1:8003"
HOME = HomeFacts(
    url=f"{SITE}/",
    fetch=FetchResult(url=f"{SITE}/", status=200),
    measured=True,
    items=[ListItem(title="要闻", date=T.isoformat())],
)


def update_checks_only(rules: RuleSet) -> RuleSet:
    """The rule set without the families other than W-V3/W-V4 (tested in their own files)."""
    return msgspec.structs.replace(
        rules, availability=None, interaction=None, service=None, security=None, score=None
    )


def column(i: int, category: str, latest: str) -> ColumnFacts:
    url = f"{SITE}/c{i}/"
    return ColumnFacts(
        column=ColumnRef(name=f"栏目{i}", url=url, category=category),
        fetch=FetchResult(url=url, status=200),
        measured=True,
        items_count=1,
        latest=latest,
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baseline_holds_the_national_windows_and_lines() -> None:
    rules = load_rules()

    assert rules.version == "gov-2019-19"
    assert rules.homepage.window == Window(days=14)
    duties = {name: duty.window for name, duty in rules.columns.duties.items()}
    assert duties == {
        "动态要闻": Window(days=14),
        "通知公告": Window(months=6),
        "政策文件": Window(months=6),
        "人事": Window(years=1),
        "规划计划": Window(years=1),
    }
    assert rules.columns.combined_stale.threshold == Threshold(op=">=", value=5)
    assert rules.columns.combined_stale.level1_only == ["通知公告", "政策文件"]
    assert rules.columns.long_stale.threshold == Threshold(op=">=", value=10)
    assert rules.columns.blank.threshold == Threshold(op=">=", value=5)


def test_baseline_marks_inferred_values_and_only_those() -> None:
    rules = load_rules()

    assert rules.columns.confidence == {"undated_counts_as_stale": "I"}
    assert rules.columns.duties["人事"].confidence == {"window": "I"}
    assert rules.columns.duties["动态要闻"].confidence == {"warn_days_before": "I"}
    assert rules.homepage.confidence == {"warn_days_before": "I"}
    assert rules.columns.duties["通知公告"].confidence == {}  # [V] S4
    assert rules.columns.blank.confidence == {}


@pytest.mark.parametrize(
    ("at", "window", "start"),
    [
        (date(2024, 3, 31), Window(days=14), date(2024, 3, 17)),
        (date(2024, 3, 31), Window(months=6), date(2023, 9, 30)),  # no 31 September
        (date(2024, 8, 31), Window(months=6), date(2024, 2, 29)),  # leap February
        (date(2024, 2, 29), Window(years=1), date(2023, 2, 28)),
        (date(2024, 3, 31), Window(years=1), date(2023, 3, 31)),
    ],
)
def test_window_start_uses_calendar_months_and_years(at: date, window: Window, start: date) -> None:
    assert window_start(at, window) == start


def test_window_describes_itself_in_the_bulletins_words() -> None:
    assert [Window(days=14).describe(), Window(days=10).describe()] == ["2周", "10天"]
    assert [Window(months=6).describe(), Window(years=1).describe()] == ["6个月", "1年"]


def test_threshold_comparison_semantics() -> None:
    at_least, more_than = Threshold(op=">=", value=5), Threshold(op=">", value=5)

    assert [at_least.crossed(4), at_least.crossed(5)] == [False, True]
    assert [more_than.crossed(5), more_than.crossed(6)] == [False, True]
    assert [at_least.describe(), more_than.describe()] == ["超过(含)5", "超过5"]


def test_malformed_rule_file_gives_one_clear_error_per_fault(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "broken.toml",
        """
        version = "broken"
        [homepage]
        window = { days = "14" }                 # wrong type
        [columns]
        undated_counts_as_stale = true
        colour = 1                               # unknown key
        [columns.duties."动态要闻"]
        window = { days = 14 }
        [columns.combined_stale]
        threshold = { op = ">=", value = 5 }
        any_level = ["动态要闻"]
        level1_only = []
        [columns.long_stale]
        threshold = { op = ">=", value = -10 }   # negative threshold
        [columns.blank]
        threshold = { op = ">=", value = 5 }
        """,
    )

    with pytest.raises(RuleError) as caught:
        load_rules(path)

    assert caught.value.errors == [
        f"{path}: homepage.window.days: Expected `int`, got `str`",
        f"{path}: columns.colour: unknown key (known: undated_counts_as_stale, duties, "
        "combined_stale, long_stale, blank, confidence)",
        f"{path}: columns.long_stale.threshold: value must not be negative, got -10",
    ]
    assert str(caught.value) == "\n".join(caught.value.errors)


def test_semantic_faults_are_named_with_their_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "local.toml",
        """
        version = "x"
        [homepage]
        window = { days = 14, months = 1 }
        warn_days_before = -1
        confidence = { windw = "I" }
        [columns.duties."新闻"]
        window = { days = 0 }
        [columns.combined_stale]
        threshold = { op = "=>", value = 5 }
        """,
    )

    with pytest.raises(RuleError) as caught:
        load_rules(None, [path])

    assert sorted(caught.value.errors) == sorted(
        [
            f"{path}: homepage.window: give exactly one of days, months, years, "
            "got {'days': 14, 'months': 1}",
            f"{path}: homepage.warn_days_before: Expected `int` >= 0, got -1",
            f"{path}: homepage.confidence.windw: names no value of this table",
            f"{path}: columns.duties.新闻.window: days must be positive, got 0",
            f"{path}: columns.duties.新闻: unknown column class '新闻' (known: 动态要闻, 通知公告, "
            "政策文件, 政策解读, 人事, 规划计划, 互动, 办事服务, 概况, 机构职能, other)",
            f"{path}: columns.combined_stale.threshold.op: must be one of '>=', '>', got '=>'",
        ]
    )


def test_faults_in_several_files_are_all_reported(tmp_path: Path) -> None:
    unnamed = write(
        tmp_path, "unnamed.toml", "[columns.blank]\nthreshold = { op = '>', value = 1 }\n"
    )
    garbled = write(tmp_path, "garbled.toml", "version = \n")
    missing = tmp_path / "missing.toml"

    with pytest.raises(RuleError) as caught:
        load_rules(None, [unnamed, garbled, missing])

    errors = caught.value.errors
    assert len(errors) == 3
    assert errors[0] == f'{unnamed}: version: missing (an overlay names itself: version = "…")'
    assert errors[1].startswith(f"{garbled}: not valid TOML: Invalid value (at line 1")
    assert errors[2].startswith(f"{missing}: cannot read the rule file: [Errno 2]")


def test_an_incomplete_new_duty_is_reported_against_the_merged_files(tmp_path: Path) -> None:
    overlay = write(
        tmp_path, "o.toml", 'version = "o"\n[columns.duties."政策解读"]\nwarn_days_before = 3\n'
    )

    with pytest.raises(RuleError) as caught:
        load_rules(None, [overlay])

    assert caught.value.errors == [
        f"gov-2019-19.toml (packaged) + {overlay}: columns.duties.政策解读.window: missing"
    ]


def test_overlay_with_a_seven_day_news_window_flips_the_verdict(tmp_path: Path) -> None:
    overlay = write(
        tmp_path,
        "guizhou.toml",
        'version = "贵州-2024"\n[columns.duties."动态要闻"]\nwindow = { days = 7 }\n',
    )
    eight_days = (T - timedelta(days=8)).isoformat()
    columns = [column(i, "动态要闻", eight_days) for i in range(5)]
    baseline = update_checks_only(load_rules())
    local = update_checks_only(load_rules(None, [overlay]))

    before = evaluate(HOME, columns, baseline, T)
    after = evaluate(HOME, columns, local, T)

    assert local.version == "gov-2019-19+贵州-2024"
    assert before.verdict == PASS
    assert [f.level for f in before.findings] == []
    assert after.verdict == FAIL
    limb1 = next(f for f in after.findings if f.indicator == "W-V4-1")
    assert limb1.message == "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"
    assert limb1.rule_version == "gov-2019-19+贵州-2024"
    # Values the overlay does not name stay as in the baseline.
    assert local.columns.duties["动态要闻"].warn_days_before == 4
    assert local.columns.duties["通知公告"] == baseline.columns.duties["通知公告"]


def test_overlay_replaces_a_window_whole_and_drops_the_baseline_marker(tmp_path: Path) -> None:
    overlay = write(
        tmp_path, "o.toml", 'version = "o"\n[columns.duties."人事"]\nwindow = { months = 6 }\n'
    )

    rules = load_rules(None, [overlay])

    assert rules.columns.duties["人事"].window == Window(months=6)
    assert rules.columns.duties["人事"].confidence == {}
    assert rules.columns.duties["规划计划"].confidence == {"window": "I"}


def test_overlay_adds_a_local_duty_that_counts(tmp_path: Path) -> None:
    overlay = write(
        tmp_path,
        "o.toml",
        'version = "盘锦-2024"\n[columns.duties."政策解读"]\nwindow = { months = 3 }\n'
        '[columns.blank]\nthreshold = { op = ">", value = 5 }\n',
    )
    rules = update_checks_only(load_rules(None, [overlay]))
    columns = [column(i, "政策解读", "2023-11-01") for i in range(2)]

    verdict = evaluate(HOME, columns, rules, T)

    assert verdict.verdict == PASS
    [limb2] = verdict.findings
    assert (limb2.indicator, limb2.level, limb2.message) == (
        "W-V4-2",
        "observation",
        "应更新但长期未更新的栏目2个",
    )
    assert rules.columns.blank.threshold.describe() == "超过5"
