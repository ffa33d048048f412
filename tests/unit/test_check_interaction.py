"""W-V5 互动回应差 through `evaluate` with the baseline rules: the channel limb, the 3-month limb at
its boundaries, what cannot be measured, early warnings and the 留言答复 deduction."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta

from checkers.model import FAIL, PASS, UNMEASURED, Finding, SiteContext, Verdict
from checkers.rules import load_rules
from checkers.verdict import evaluate
from crawler.model import (
    ColumnFacts,
    ColumnRef,
    EntryLink,
    FetchResult,
    HomeFacts,
    ListItem,
    Message,
)

T = date(2024, 6, 30)
RULES = load_rules()
SITE = "http://127.0.0.1:8201"
VETO_TEXT = "监测时间点前1年内存在超过3个月未回应的有效留言"


def day(text: str) -> date:
    return date.fromisoformat(text)


def home(measured: bool = True, channels: list[EntryLink] | None = None) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/",
        fetch=FetchResult(url=f"{SITE}/", status=200 if measured else None),
        measured=measured,
        reason=None if measured else "连接被拒绝 (refused)",
        items=[ListItem(title="要闻", date=T.isoformat())],
        channels=channels or [],
    )


def column(name: str, category: str, **facts: object) -> ColumnFacts:
    url = f"{SITE}/{abs(hash(name)) % 10_000}/"
    facts.setdefault("measured", True)
    facts.setdefault("latest", T.isoformat())
    facts.setdefault("items_count", 10)
    return ColumnFacts(
        column=ColumnRef(name=name, url=url, category=category),
        fetch=FetchResult(url=url, status=200),
        **facts,  # type: ignore[arg-type]
    )


NEWS = column("工作动态", "动态要闻")
SERVICE = column("办事服务", "办事服务")


def talk(*messages: Message, name: str = "咨询投诉", **facts: object) -> ColumnFacts:
    return column(name, "互动", message_list=True, messages=list(messages), **facts)


def msg(asked: date | None, answered: date | None = None, replied: bool | None = None) -> Message:
    return Message(
        title="关于道路维修的咨询",
        url=f"{SITE}/hdjl/1.html",
        asked=asked.isoformat() if asked else None,
        answered=answered.isoformat() if answered else None,
        replied=True if answered else replied,
        status=None if replied is None else ("已回复" if replied else "办理中"),
    )


def judge(*columns: ColumnFacts, page: HomeFacts | None = None, at: date = T) -> Verdict:
    return evaluate(page or home(), [NEWS, SERVICE, *columns], RULES, at)


def w_v5(verdict: Verdict, level: str | None = None) -> list[Finding]:
    return [
        f
        for f in verdict.findings
        if f.indicator.startswith("W-V5") and (level is None or f.level == level)
    ]


ASKED = day("2024-01-01")  # + 3 calendar months = 2024-04-01


def test_answer_exactly_three_months_later_is_not_over() -> None:
    verdict = judge(talk(msg(ASKED, day("2024-04-01"))))

    assert verdict.verdict == PASS
    assert w_v5(verdict) == []


def test_answer_at_2_9_months_passes_and_at_3_1_months_fails() -> None:
    early = judge(talk(msg(ASKED, day("2024-03-29"))))
    late = judge(talk(msg(ASKED, day("2024-04-04"))))

    assert early.verdict == PASS
    assert w_v5(early) == []
    assert late.verdict == FAIL
    [veto] = w_v5(late, "veto")
    assert (veto.indicator, veto.name, veto.message) == ("W-V5-2", "互动回应差", VETO_TEXT)
    assert veto.evidence[0].detail == (
        "栏目「咨询投诉」留言「关于道路维修的咨询」：留言时间2024-01-01，答复时间2024-04-04，超过3个月"
    )
    assert veto.evidence[0].date == "2024-01-01"


def test_unanswered_message_counts_until_t_one_day_past_three_months() -> None:
    at_limit = T - relativedelta(months=3)  # 2024-03-30: T is exactly 3 months later
    fine = judge(talk(msg(at_limit, replied=False)))
    late = judge(talk(msg(at_limit - timedelta(days=1), replied=False)))

    assert fine.verdict == PASS
    assert [(f.level, f.message) for f in w_v5(fine)] == [
        (
            "warning",
            "留言「关于道路维修的咨询」留言时间2024-03-30，截至监测时间点已92天未答复，"
            "明日起将超过3个月答复期限",
        )
    ]
    assert late.verdict == FAIL
    [veto] = w_v5(late, "veto")
    assert veto.message == VETO_TEXT
    assert veto.evidence[0].detail.endswith(
        "留言时间2024-03-29，截至监测时间点2024-06-30未答复（状态：办理中），超过3个月"
    )


def test_one_year_window_includes_its_first_day_only() -> None:
    first_day = T - relativedelta(years=1)
    inside = judge(talk(msg(first_day, replied=False)))
    outside = judge(talk(msg(first_day - timedelta(days=1), replied=False)))

    assert inside.verdict == FAIL
    assert [f.indicator for f in w_v5(inside, "veto")] == ["W-V5-2"]
    assert outside.verdict == PASS
    assert w_v5(outside) == []


def test_an_answer_dated_after_t_leaves_the_message_unanswered_at_t() -> None:
    verdict = judge(talk(msg(day("2024-02-01"), answered=day("2024-07-05"))))

    assert verdict.verdict == FAIL
    assert w_v5(verdict, "veto")[0].message == VETO_TEXT


def test_warning_starts_two_weeks_before_the_limit() -> None:
    fifteen_left = judge(talk(msg(day("2024-04-15"), replied=False)))  # over on 2024-07-15
    fourteen_left = judge(talk(msg(day("2024-04-14"), replied=False)))

    assert w_v5(fifteen_left) == []
    [warning] = w_v5(fourteen_left)
    assert (warning.level, warning.holds, fourteen_left.verdict) == ("warning", False, PASS)
    assert warning.message.endswith("已77天未答复，14天后将超过3个月答复期限")


def test_undated_or_unclear_messages_leave_limb_2_unmeasured_and_the_site_judged() -> None:
    verdict = judge(
        talk(msg(None, replied=False), msg(day("2024-01-01"), replied=True)),
    )

    assert verdict.verdict == PASS
    [finding] = w_v5(verdict)
    assert (finding.indicator, finding.level) == ("W-V5-2", "unmeasured")
    assert finding.message == "未能检测：2条留言未显示可识别的留言时间等，无法判断是否按时答复"
    assert verdict.blocked_by == []
    assert "W-V5-2 互动回应差：2条留言未显示可识别的留言时间等，无法判断是否按时答复" in (
        verdict.unmeasured
    )


def test_a_late_message_fails_the_site_even_beside_unclear_ones() -> None:
    verdict = judge(talk(msg(None), msg(day("2024-01-01"), replied=False)))

    assert verdict.verdict == FAIL
    assert [f.level for f in w_v5(verdict)] == ["veto"]


def test_no_message_list_is_unmeasured_not_a_veto() -> None:
    landing = column("政民互动", "互动")  # read, shows links, no 留言 list

    verdict = judge(landing)

    assert verdict.verdict == PASS
    assert [(f.indicator, f.level, f.message) for f in w_v5(verdict)] == [
        ("W-V5-2", "unmeasured", "未能检测：未找到公开的留言列表")
    ]


def test_an_unreadable_consultation_column_is_unmeasured() -> None:
    blocked = column("领导信箱", "互动", measured=False, reason="被防火墙(WAF)拦截")
    blocked.fetch.error = "waf_challenge"

    verdict = judge(blocked, talk(msg(day("2024-05-01"), day("2024-05-03"))))

    assert verdict.verdict == PASS
    [finding] = w_v5(verdict)
    assert finding.message == "未能检测：留言栏目「领导信箱」未能读取（被防火墙(WAF)拦截）"


def test_interviews_and_surveys_are_not_judged() -> None:
    old = msg(day("2024-01-01"), replied=False)

    verdict = judge(talk(old, name="在线访谈"), talk(old, name="调查征集"), column("咨询", "互动"))

    assert verdict.verdict == PASS
    assert [f.message for f in w_v5(verdict)] == ["未能检测：未找到公开的留言列表"]


def test_pages_left_unread_inside_the_year_leave_the_limb_unmeasured() -> None:
    recent = msg(day("2024-06-01"), day("2024-06-02"))
    cut = talk(recent, messages_more=True, pages_read=5)
    complete = talk(recent, msg(day("2023-05-01"), day("2023-05-02")), messages_more=True)

    assert w_v5(judge(cut))[0].message == (
        "未能检测：留言栏目「咨询投诉」只读取了5页，未覆盖监测时间点前1年的全部留言"
    )
    assert w_v5(judge(complete)) == []


def test_no_consultation_channel_fails_the_site() -> None:
    petitions = column("网上信访", "other")
    verdict = judge(petitions)

    assert verdict.verdict == FAIL
    [veto] = w_v5(verdict, "veto")
    assert (veto.indicator, veto.message) == ("W-V5-1", "未提供网上有效咨询建言渠道")
    assert veto.evidence[0].detail == (
        "首页及3个栏目中未发现政民互动、留言、信箱、咨询类栏目或入口（信访、纪检、举报类渠道除外）"
    )
    assert veto.evidence[0].url == f"{SITE}/"


def test_a_channel_named_for_petitions_or_reports_does_not_count() -> None:
    reports = column("纪检举报信箱", "互动")  # classed 互动 by a looser classifier
    link = EntryLink(name="网上信访", url=f"{SITE}/xf/")

    verdict = judge(reports, page=home(channels=[link]))

    assert [f.indicator for f in w_v5(verdict, "veto")] == ["W-V5-1"]


def test_a_channel_link_on_the_home_page_is_a_channel() -> None:
    link = EntryLink(name="我要写信", url="http://127.0.0.2/12345/")

    verdict = judge(page=home(channels=[link]))

    assert [f.indicator for f in w_v5(verdict)] == ["W-V5-2"]  # no list: unmeasured only
    assert verdict.verdict == PASS


def test_channel_unknown_when_the_home_page_was_not_read() -> None:
    verdict = evaluate(home(measured=False), [], RULES, T)

    assert verdict.verdict == UNMEASURED
    channel = next(f for f in verdict.findings if f.indicator == "W-V5-1")
    assert (channel.level, channel.message) == (
        "unmeasured",
        "未能检测：首页未能读取，无法确认是否提供网上咨询建言渠道",
    )
    # The verdict is held back by the unread home page, not by W-V5.
    assert verdict.blocked_by == ["首页无法读取：连接被拒绝 (refused)"]


def test_replies_not_updated_in_two_months_cost_three_points() -> None:
    stale = judge(talk(msg(day("2024-04-01"), day("2024-04-29"))), at=T)
    fresh = judge(talk(msg(day("2024-04-01"), day("2024-04-30"))), at=T)

    [deduction] = [f for f in stale.findings if f.indicator == "W-D-replies_stale"]
    assert (deduction.level, deduction.points) == ("deduction", 3.0)
    assert deduction.message == "在监测时间点前2个月内未更新留言答复，扣3分"
    assert deduction.evidence[0].detail == (
        "最新答复为栏目「咨询投诉」留言「关于道路维修的咨询」，答复时间2024-04-29，距监测时间点62天"
    )
    assert stale.score == 97
    assert [f for f in fresh.findings if f.indicator == "W-D-replies_stale"] == []
    assert fresh.score == 100


def test_a_province_overlay_can_shorten_the_reply_limit(tmp_path: Path) -> None:
    overlay = tmp_path / "local.toml"
    overlay.write_text(
        'version = "local"\n[interaction]\nreply_within = { months = 1 }\n', encoding="utf-8"
    )
    local = load_rules(None, [overlay])
    site = [NEWS, SERVICE, talk(msg(day("2024-05-01"), day("2024-06-05")))]

    assert evaluate(home(), site, RULES, T).verdict == PASS
    verdict = evaluate(home(), site, local, T, SiteContext())
    assert verdict.verdict == FAIL
    assert w_v5(verdict, "veto")[0].message == "监测时间点前1年内存在超过1个月未回应的有效留言"
