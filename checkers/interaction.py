"""W-V5 互动回应差: a consultation channel (limb 1) and 留言 answered within 3 months (limb 2), with
early warnings on pending messages and the 留言答复 freshness deduction.

Limb 2 never rests on a guess: a message without a readable 留言时间, or one whose reply is not dated
when it might be late, makes the limb unmeasured (which does not decide the site's verdict).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from checkers.columns import known_columns, missing_entry_veto, parse_date, unmeasured_finding
from checkers.model import Evidence, Finding, Measure
from checkers.rules import DeductionItem, InteractionRules, RuleSet, window_start
from crawler.model import ColumnFacts, HomeFacts, Message

NAME = "互动回应差"
MAX_EVIDENCE = 10  # messages named one by one in a finding
MAX_DOUBTS = 3  # reasons named in an unmeasured finding

MessageState = Literal["late", "pending", "fine", "outside", "doubt"]


class Judged(NamedTuple):
    """One message against limb 2."""

    facts: ColumnFacts
    message: Message
    state: MessageState
    note: str = ""  # why it is a doubt; for late and pending messages, the evidence text
    days_left: int = 0  # pending: days until it passes the reply limit


def check_interaction(
    home: HomeFacts, columns: list[ColumnFacts], rules: RuleSet, at: date
) -> list[Finding]:
    """W-V5-1, W-V5-2 and the warnings; `columns` are the site's distinct columns."""
    rule = rules.interaction
    if rule is None:
        return []
    return _check_channel(home, columns, rule, rules) + _check_replies(columns, rule, rules, at)


def consultation_lists(columns: list[ColumnFacts], exclude: list[str]) -> list[ColumnFacts]:
    """互动 columns that hold 留言 to answer (not 在线访谈, 征集, 信访 … as `exclude` names them)."""
    return [
        facts
        for facts in columns
        if facts.column.category == "互动" and not any(w in facts.column.name for w in exclude)
    ]


# --- limb 1: a consultation channel ------------------------------------------------------------


def _check_channel(
    home: HomeFacts, columns: list[ColumnFacts], rule: InteractionRules, rules: RuleSet
) -> list[Finding]:
    def valid(name: str) -> bool:
        return not any(word in name for word in rule.channel_exclude)

    refs = known_columns(home, columns)
    if any(c.category == "互动" and valid(c.name) for c in refs):
        return []
    if any(valid(link.name) for link in home.channels):
        return []
    if not home.measured:
        reason = "首页未能读取，无法确认是否提供网上咨询建言渠道"
        return [unmeasured_finding("W-V5-1", NAME, reason, rules)]
    detail = (
        f"首页及{len(refs)}个栏目中未发现政民互动、留言、信箱、咨询类栏目或入口"
        f"（{'、'.join(rule.channel_exclude)}类渠道除外）"
    )
    message = "未提供网上有效咨询建言渠道"
    return [missing_entry_veto("W-V5-1", NAME, message, detail, home, rules)]


# --- limb 2: 留言 answered within the limit ----------------------------------------------------


def _check_replies(
    columns: list[ColumnFacts], rule: InteractionRules, rules: RuleSet, at: date
) -> list[Finding]:
    start = window_start(at, rule.window)
    judged: list[Judged] = []
    doubts: list[str] = []
    lists_read = 0
    for facts in consultation_lists(columns, rule.list_exclude):
        state = list_state(facts)
        if state == "unknown":
            doubts.append(f"留言栏目「{facts.column.name}」未能读取（{_why_unread(facts)}）")
            continue
        if state == "none":
            continue
        lists_read += 1
        judged += [judge(facts, message, rule, at) for message in facts.messages]
        if facts.messages_more and not _reaches_before(facts.messages, start):
            doubts.append(
                f"留言栏目「{facts.column.name}」只读取了{facts.pages_read}页，"
                f"未覆盖监测时间点前{rule.window.describe()}的全部留言"
            )
    undated = [j for j in judged if j.state == "doubt"]
    if undated:
        doubts.insert(0, f"{len(undated)}条留言{undated[0].note}等，无法判断是否按时答复")

    late = [j for j in judged if j.state == "late"]
    findings: list[Finding] = []
    if late:
        message = (
            f"监测时间点前{rule.window.describe()}内存在超过{rule.reply_within.describe()}"
            "未回应的有效留言"
        )
        findings.append(
            Finding("W-V5-2", NAME, "veto", message, rules.version, True, evidence=_evidence(late))
        )
    elif doubts:
        reason = "；".join(doubts[:MAX_DOUBTS])
        if len(doubts) > MAX_DOUBTS:
            reason += f"；另有{len(doubts) - MAX_DOUBTS}项"
        findings.append(unmeasured_finding("W-V5-2", NAME, reason, rules))
    elif lists_read == 0:
        findings.append(unmeasured_finding("W-V5-2", NAME, "未找到公开的留言列表", rules))
    return findings + _warning(judged, rule, rules.version)


def list_state(facts: ColumnFacts) -> Literal["list", "none", "unknown"]:
    """A 留言 list was read; the page was read and shows none; or it could not be read."""
    if facts.message_list:
        return "list"
    # A page that did not arrive, or a list only a browser could draw, may hold 留言 unseen.
    if facts.fetch.error is not None or facts.needs_browser or facts.rendered:
        return "unknown"
    return "none"


def _why_unread(facts: ColumnFacts) -> str:
    return facts.reason or facts.fetch.error or "原因未说明"


def judge(facts: ColumnFacts, message: Message, rule: InteractionRules, at: date) -> Judged:
    """Late: answered (or, unanswered, at T) later than 留言时间 + the limit ("超过": strictly)."""
    asked = parse_date(message.asked) if message.asked else None
    if asked is None:
        return Judged(facts, message, "doubt", "未显示可识别的留言时间")
    if not window_start(at, rule.window) <= asked <= at:
        return Judged(facts, message, "outside")
    deadline = asked + rule.reply_within.delta()
    answered = parse_date(message.answered) if message.answered else None
    if message.answered and answered is None:
        return Judged(facts, message, "doubt", f"答复时间「{message.answered}」无法识别")
    limit = rule.reply_within.describe()
    if answered is not None and answered <= at:
        if answered > deadline:
            note = f"留言时间{asked}，答复时间{answered}，超过{limit}"
            return Judged(facts, message, "late", note)
        return Judged(facts, message, "fine")
    # Not answered by T (an answer dated after T came too late to count at T).
    if at <= deadline:
        status: MessageState = (
            "pending" if message.replied is False or answered is not None else "fine"
        )
        note = f"留言时间{asked}，截至监测时间点已{(at - asked).days}天未答复"
        return Judged(facts, message, status, note, (deadline - at).days)
    if message.replied is False or answered is not None:
        shown = f"（状态：{message.status}）" if message.status else ""
        note = f"留言时间{asked}，截至监测时间点{at}未答复{shown}，超过{limit}"
        return Judged(facts, message, "late", note)
    if message.replied:
        return Judged(facts, message, "doubt", "显示已答复但未显示答复时间")
    return Judged(facts, message, "doubt", "未显示答复时间和办理状态")


def _reaches_before(messages: list[Message], start: date) -> bool:
    """Some message read is older than the window: the pages not read hold no message inside it."""
    asked = [day for day in (parse_date(m.asked) for m in messages if m.asked) if day]
    return bool(asked) and min(asked) < start


def _evidence(judged: list[Judged]) -> list[Evidence]:
    evidence = [
        Evidence(
            url=j.message.url or j.facts.column.url,
            detail=f"栏目「{j.facts.column.name}」留言「{j.message.title}」：{j.note}",
            date=j.message.asked,
            status=j.facts.fetch.status,
            at=j.facts.fetch.fetched_at,
        )
        for j in judged[:MAX_EVIDENCE]
    ]
    if len(judged) > MAX_EVIDENCE:
        evidence.append(Evidence(detail=f"另有{len(judged) - MAX_EVIDENCE}条留言未逐一列出"))
    return evidence


def _warning(judged: list[Judged], rule: InteractionRules, version: str) -> list[Finding]:
    """One warning for the pending messages that pass the limit within warn_days_before."""
    if rule.warn_days_before is None:
        return []
    close = sorted(
        (j for j in judged if j.state == "pending" and j.days_left <= rule.warn_days_before),
        key=lambda j: j.days_left,
    )
    if not close:
        return []
    first = close[0]
    due = f"{first.days_left}天后" if first.days_left else "明日起"
    message = (
        f"留言「{first.message.title}」{first.note}，{due}将超过{rule.reply_within.describe()}"
        "答复期限"
    )
    if len(close) > 1:
        message += f"（另有{len(close) - 1}条留言临近期限）"
    return [Finding("W-V5-2", NAME, "warning", message, version, False, evidence=_evidence(close))]


# --- deduction: 留言答复 not updated ----------------------------------------------------------


def replies_measure(
    columns: list[ColumnFacts], exclude: list[str], item: DeductionItem, at: date
) -> Measure:
    """ "在监测时间点前2个月内未更新留言答复": the newest 答复时间 shown is older than the window."""
    lists = consultation_lists(columns, exclude)
    read = [facts for facts in lists if list_state(facts) == "list" and facts.messages]
    if not read:
        return Measure("replies_stale", None, "未找到公开的留言列表")
    if item.window is None:  # load_rules refuses such a rule file; a hand-built one may have it
        return Measure("replies_stale", None, "规则未给出更新时限")
    answered = [
        (day, facts, message)
        for facts in read
        for message in facts.messages
        if (day := parse_date(message.answered or "")) is not None and day <= at
    ]
    if not answered:
        return Measure("replies_stale", None, "留言列表未显示答复时间")
    newest, facts, message = max(answered, key=lambda entry: entry[0])
    if newest >= window_start(at, item.window):
        return Measure("replies_stale", 0, item.name)
    if any(list_state(f) == "unknown" for f in lists):
        return Measure("replies_stale", None, "部分留言栏目未能读取，无法确认最新答复时间")
    detail = (
        f"最新答复为栏目「{facts.column.name}」留言「{message.title}」，答复时间{newest}，"
        f"距监测时间点{(at - newest).days}天"
    )
    evidence = [Evidence(url=message.url or facts.column.url, detail=detail, date=str(newest))]
    return Measure("replies_stale", 1, item.name, evidence)
