"""The rule sections beyond W-V3/W-V4: baseline values and their markers, one clear error per fault,
overlays of the new sections, and `format_rules` (the `govsweep rules show` listing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import pytest

from checkers.model import UNMEASURED
from checkers.rules import (
    DEDUCTION_ITEMS,
    RuleError,
    Threshold,
    Window,
    format_rules,
    load_rules,
)
from checkers.verdict import evaluate
from crawler.model import FetchResult, HomeFacts, ListItem


def write(tmp_path: Path, text: str, name: str = "local.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baseline_carries_every_family_with_the_confirmed_values() -> None:
    rules = load_rules()

    assert rules.availability is not None and rules.interaction is not None
    assert rules.service is not None and rules.security is not None and rules.score is not None
    assert (rules.availability.days, rules.availability.probes_per_day) == (7, 20)
    assert (rules.availability.timeout_s, rules.availability.veto_ratio) == (15, 0.05)
    assert rules.interaction.window == Window(years=1)
    assert rules.interaction.reply_within == Window(months=3)
    assert rules.score.total == 100 and rules.score.fail_below == 60
    assert rules.score.bonus_above == 80 and rules.score.bonus_total == 30
    assert set(rules.score.items) == set(DEDUCTION_ITEMS)
    known = {key: item.points for key, item in rules.score.items.items() if item.points is not None}
    assert known == {"policy_l1_stale": 5, "service_stats_stale": 2, "replies_stale": 3}


def test_unconfirmed_values_are_marked_and_w_v6_limb_2_is_not_enforced() -> None:
    rules = load_rules()
    assert rules.service is not None and rules.score is not None

    assert rules.service.enforce is False
    assert rules.service.confidence == {
        "entry_names": "I",
        "elements": "P",
        "missing_types": "M",
        "failed_share": "M",
    }
    assert rules.service.missing_types == Threshold(op=">=", value=5)
    assert rules.score.confidence == {"no_service_base": "P"}
    assert rules.score.groups["办事服务"].confidence == {"max_points": "I"}
    assert rules.score.groups["发布解读"].max_points is None  # UNKNOWN: no cap invented


def test_faults_in_the_new_sections_are_each_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'version = "bad"\n'
        "[availability]\nwarn_ratio = 0.1\nveto_ratio = 1.5\n"
        '[service]\nelements = ["事项名称", "经办人"]\n'
        "[score.items.broken_links]\n"
        'group = "功能设计"\nname = "链接"\n'
        '[score.items.icp]\ngroup = "网站安全"\npoints = -1\n',
    )

    with pytest.raises(RuleError) as caught:
        load_rules(None, [path])

    assert sorted(caught.value.errors) == sorted(
        [
            f"{path}: availability.veto_ratio: Expected `float` <= 1.0, got 1.5",
            f"{path}: service.elements[1]: unknown element '经办人' (known: 事项名称, 设定依据, "
            "申请条件, 办理材料, 办理地点, 办理机构, 收费标准, 办理时间, 联系电话, 办理流程)",
            f"{path}: score.items.icp.points: Expected `float` >= 0.0, got -1",
            f"{path}: score.items.broken_links: unknown deduction item (known: "
            + ", ".join(DEDUCTION_ITEMS)
            + ")",
        ]
    )


def test_faults_seen_only_once_the_files_are_merged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'version = "bad"\n[availability]\nwarn_ratio = 0.1\n'
        '[score.items.icp]\ngroup = "网站安全"\n',
    )

    with pytest.raises(RuleError) as caught:
        load_rules(None, [path])

    assert caught.value.errors == [
        f"gov-2019-19.toml (packaged) + {path}: availability.warn_ratio: 0.1 is above veto_ratio "
        "0.05",
        f"gov-2019-19.toml (packaged) + {path}: score.items.icp.group: '网站安全' is not a group "
        "of score.groups (发布解读, 办事服务, 互动交流, 功能设计)",
    ]


def test_a_freshness_item_needs_its_window(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    text = format_rules(load_rules()).replace(
        "score.items.replies_stale.window = { months = 2 }\n", ""
    )
    base.write_text(text, encoding="utf-8")

    with pytest.raises(RuleError) as caught:
        load_rules(base)

    assert caught.value.errors == [
        f"{base}: score.items.replies_stale.window: missing (a freshness item)"
    ]


def test_overlay_windows_are_replaced_whole_in_the_new_sections(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'version = "local"\n[interaction]\nwindow = { months = 6 }\n'
        "[score.items.replies_stale]\nwindow = { days = 30 }\npoints = 4\n",
    )

    rules = load_rules(None, [path])

    assert rules.interaction is not None and rules.score is not None
    assert rules.interaction.window == Window(months=6)
    assert rules.interaction.reply_within == Window(months=3)  # untouched
    item = rules.score.items["replies_stale"]
    assert (item.window, item.points, item.group) == (Window(days=30), 4, "互动交流")


def test_format_rules_lists_values_marks_and_unknowns_and_loads_back(tmp_path: Path) -> None:
    rules = load_rules()

    text = format_rules(rules)

    lines = text.splitlines()
    assert lines[0] == "# 有效规则 gov-2019-19"
    assert 'columns.duties."动态要闻".window = { days = 14 }' in lines
    assert "columns.undated_counts_as_stale = true  # [I] 推断" in lines
    assert "service.failed_share = 0.1  # [M] 回忆，未核实" in lines
    assert "service.enforce = false" in lines
    assert "score.items.policy_l1_stale.points = 5.0" in lines
    assert "# score.items.icp.points：分值未知（UNKNOWN），只报告，不扣分" in lines
    assert '# score.groups."发布解读".max_points：总分值未知（UNKNOWN），扣分不设上限' in lines
    assert load_rules(write(tmp_path, text, "shown.toml")) == rules


def test_format_rules_shows_an_overlay_and_families_left_out(tmp_path: Path) -> None:
    overlay = write(
        tmp_path,
        'version = "贵州-2024"\n[columns.duties."动态要闻"]\nwindow = { days = 7 }\n'
        "[service]\nenforce = true\n",
    )
    rules = load_rules(None, [overlay])
    partial = msgspec.structs.replace(rules, security=None, score=None)

    text = format_rules(partial)

    assert text.splitlines()[0] == "# 有效规则 gov-2019-19+贵州-2024"
    assert 'columns.duties."动态要闻".window = { days = 7 }' in text
    assert "service.enforce = true" in text
    assert "# security：本规则集未包含，不检查" in text
    assert "# score：本规则集未包含，不检查" in text


def test_a_rule_set_without_the_new_families_checks_only_what_it_has(tmp_path: Path) -> None:
    update_only = format_rules(load_rules()).split("\navailability.")[0] + "\n"
    rules = load_rules(write(tmp_path, update_only, "update-only.toml"))
    url = "http://127.0.0.1:8205/"
    page = HomeFacts(
        url=url,
        fetch=FetchResult(url=url, status=200),
        measured=True,
        items=[ListItem(title="要闻", date="2024-06-30")],
    )

    verdict = evaluate(page, [], rules, date(2024, 6, 30))

    assert (rules.availability, rules.interaction, rules.score) == (None, None, None)
    assert verdict.verdict == UNMEASURED
    assert [(f.indicator, f.message) for f in verdict.findings] == [
        ("W-V4", "未能检测：未发现可检测的栏目")
    ]
