"""M-V2 / M-V3 / M-V1 candidates and local overlays on account posts (checkers.media)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checkers.media import PROBLEM, judge_account, personal_data
from checkers.media_rules import load_media_rules
from checkers.model import FAIL, PASS, UNMEASURED
from checkers.rules import RuleError
from crawler.platforms.base import AccountFacts, Post
from crawler.security import default_lexicon

OVERLAYS = Path(__file__).parent.parent.parent / "checkers" / "rulesets" / "media-overlays"
T = date(2024, 2, 20)
RULES = load_media_rules()


def facts(
    *days: str, original: bool = True, interaction: bool | None = True, text: str = ""
) -> AccountFacts:
    posts = [Post(d, f"标题{i}", original=original, text=text) for i, d in enumerate(days)]
    return AccountFacts("http://127.0.0.1/x", True, posts=posts, interaction=interaction)


def test_post_exactly_two_weeks_before_t_is_an_update() -> None:
    assert judge_account(facts("2024-02-06"), "weibo", T, RULES, None).verdict == PASS
    stale = judge_account(facts("2024-02-05"), "weibo", T, RULES, None)
    assert stale.verdict == FAIL
    [finding] = stale.findings
    assert (finding.indicator, finding.message) == ("M-V2", "监测时间点前两周内无更新")
    assert "最新一条发布于 2024-02-05" in finding.evidence[0].detail


def test_posts_after_t_and_no_posts_at_all() -> None:
    assert judge_account(facts("2024-02-25"), "wechat", T, RULES, None).verdict == FAIL
    empty = judge_account(facts(), "wechat", T, RULES, None)
    assert empty.verdict == FAIL and "未发现任何信息" in empty.findings[0].evidence[0].detail


def test_reposts_count_in_the_baseline_not_where_an_overlay_asks_for_originals(
    tmp_path: Path,
) -> None:
    reposts = facts("2024-02-19", original=False)
    assert judge_account(reposts, "weibo", T, RULES, None).verdict == PASS
    overlay = tmp_path / "originals.toml"
    overlay.write_text('version = "原创"\n[update]\ncount_reposts = false\n', encoding="utf-8")
    strict = load_media_rules([overlay])
    assert strict.version == "media-gov-2019-19+原创"
    assert judge_account(reposts, "weibo", T, strict, None).verdict == FAIL


def test_blocked_platform_is_unmeasured_with_the_reason() -> None:
    blocked = AccountFacts("http://127.0.0.1/x", False, reason="微博拒绝访问 (HTTP 418)")
    verdict = judge_account(blocked, "weibo", T, RULES, None)
    assert verdict.verdict == UNMEASURED and verdict.unmeasured == ["微博拒绝访问 (HTTP 418)"]


def test_interaction_channel_missing_is_a_veto_unknown_is_only_noted() -> None:
    none = judge_account(facts("2024-02-19", interaction=False), "wechat", T, RULES, None)
    assert none.verdict == FAIL and none.findings[0].message == "未提供有效互动功能"
    unknown = judge_account(facts("2024-02-19", interaction=None), "douyin", T, RULES, None)
    assert unknown.verdict == PASS and unknown.unmeasured[0].startswith("M-V3")
    # The adapter's reason why the view does not show it is what the person checking reads.
    told = facts("2024-02-19", interaction=None)
    told.interaction_detail = "百家号作者主页不显示评论是否开放"
    verdict = judge_account(told, "baijiahao", T, RULES, None)
    assert verdict.unmeasured == ["M-V3: 百家号作者主页不显示评论是否开放，需人工核查"]


def test_app_has_no_update_duty_and_its_notes_are_observations() -> None:
    app = AccountFacts("http://127.0.0.1/app", True, notes=["下载页未提供下载地址"])
    verdict = judge_account(app, "app", T, RULES, None)
    assert verdict.verdict == PASS
    assert [(f.indicator, f.level) for f in verdict.findings] == [("M-V4", "observation")]


def test_candidates_never_fail_an_account() -> None:
    text = "坚持一带一路战略。公示：张三 身份证号 11010519491231002X 电话 13812345678"
    verdict = judge_account(facts("2024-02-19", text=text), "wechat", T, RULES, default_lexicon())
    assert verdict.verdict == PASS
    [candidate] = verdict.findings
    assert candidate.level == "candidate" and candidate.message.endswith("（待人工确认）")
    details = " ".join(e.detail for e in candidate.evidence)
    assert "一带一路战略" in details and "身份证号" in details and "手机号" in details


def test_personal_data_ignores_masked_numbers_and_bad_check_digits() -> None:
    kinds = ["身份证号", "手机号", "银行卡号"]
    assert personal_data("电话138****5678，身份证110105********002X", kinds) == []
    assert personal_data("编号110105194912310021", kinds) == []  # wrong check digit
    assert personal_data("卡号6222020200112233445", kinds) == []  # fails Luhn
    assert personal_data("卡号4111111111111111", kinds) == ["银行卡号"]


def test_kaifeng_overlay_lists_problem_accounts_without_failing_them() -> None:
    rules = load_media_rules([OVERLAYS / "kaifeng-2024.toml"])
    once = judge_account(facts("2024-02-18"), "wechat", T, rules, None)
    assert once.verdict == PASS
    assert [(f.indicator, f.level, f.message) for f in once.findings] == [
        ("L-WEEK-2", PROBLEM, "一周未更新两次")
    ]
    twice = judge_account(facts("2024-02-18", "2024-02-13"), "wechat", T, rules, None)
    assert twice.findings == []
    video = judge_account(facts("2024-02-12"), "douyin", T, rules, None)
    assert [f.message for f in video.findings] == ["一周未更新一次"]


def test_zombie_and_ten_day_overlays() -> None:
    rules = load_media_rules([OVERLAYS / "guizhou-2025.toml", OVERLAYS / "minhou-10days.toml"])
    old = judge_account(facts("2023-11-19"), "weibo", T, rules, None)
    messages = {f.message for f in old.findings}
    assert "超过三个月未更新（僵尸账号，应予清理）" in messages and "超过10天未更新" in messages
    recent = judge_account(facts("2024-02-10"), "weibo", T, rules, None)
    assert [f.message for f in recent.findings] == []  # exactly 10 days: updated


def test_overlay_faults_one_line_each(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'version = "坏"\n[[local]]\nid = "X"\nmessage = "m"\nwindow_days = 7\nwindow_months = 1\n'
        'platforms = ["myspace"]\nlevel = "fatal"\n',
        encoding="utf-8",
    )
    with pytest.raises(RuleError) as caught:
        load_media_rules([bad])
    text = "\n".join(caught.value.errors)
    assert "give exactly one of window_days, window_months" in text
    assert "level: 'fatal'" in text and "unknown platform 'myspace'" in text


def test_a_name_other_than_the_registered_one_is_a_registration_problem() -> None:
    shown = facts("2024-02-19")
    shown.name = "大泽落雁（旧）"
    verdict = judge_account(shown, "weibo", T, RULES, None, registered_name="大泽落雁")
    assert verdict.verdict == PASS
    [finding] = verdict.findings
    assert (finding.indicator, finding.level, finding.message) == ("M-REG", PROBLEM, "备案信息有误")
    assert "平台显示名称“大泽落雁（旧）”" in finding.evidence[0].detail
    shown.name = "大泽 落雁"  # spacing and punctuation are not a different name
    assert judge_account(shown, "weibo", T, RULES, None, registered_name="大泽落雁").findings == []
