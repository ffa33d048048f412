"""W-V4 栏目不更新, limbs 1–3: stale, long-stale and blank columns, plus early warnings."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

from checkers.model import Evidence, Finding, Measure
from checkers.rules import DeductionItem, RuleSet, Threshold, Window, window_start
from crawler.model import ColumnFacts, ColumnRef, HomeFacts

NAME = "栏目不更新"
UNMEASURED_PREFIX = "未能检测："

ColumnState = Literal["unmeasured", "blank", "undated", "dated"]


class ColumnReading(msgspec.Struct, frozen=True):
    """What one column's facts say, before any window is applied."""

    facts: ColumnFacts
    state: ColumnState
    latest: date | None = None  # set when state == "dated"
    reason: str | None = None  # set when state == "unmeasured"


def read_columns(columns: list[ColumnFacts], at: date, rules: RuleSet) -> list[ColumnReading]:
    """Read each distinct column once: a page listed twice (nav and 信息公开) is one column."""
    by_url: dict[str, ColumnFacts] = {}
    for facts in columns:
        seen = by_url.get(facts.column.url)
        if seen is None or (facts.measured and not seen.measured):
            by_url[facts.column.url] = facts
    undated_is_stale = rules.columns.undated_counts_as_stale
    return [_read(facts, at, undated_is_stale) for facts in by_url.values()]


def _read(facts: ColumnFacts, at: date, undated_is_stale: bool) -> ColumnReading:
    if not facts.measured:
        reason = facts.reason or facts.fetch.error or "未能读取（原因未说明）"
        return ColumnReading(facts, "unmeasured", reason=reason)
    if facts.latest is not None:
        latest = parse_date(facts.latest)
        if latest is None:
            return ColumnReading(facts, "unmeasured", reason=f"最新日期「{facts.latest}」无法识别")
        if latest > at:
            # Read after T, or a wrong date: either way it cannot show what the column held at T.
            reason = f"最新条目日期{latest}晚于监测时间点{at}"
            return ColumnReading(facts, "unmeasured", reason=reason)
        return ColumnReading(facts, "dated", latest=latest)
    if facts.blank:
        return ColumnReading(facts, "blank")
    if facts.undated_count or facts.items_count:
        if undated_is_stale:
            return ColumnReading(facts, "undated")
        reason = "条目均未标注发布时间，规则未将其视为未更新"
        return ColumnReading(facts, "unmeasured", reason=reason)
    return ColumnReading(facts, "unmeasured", reason="未读取到条目，也未判定为空白栏目")


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_updated(reading: ColumnReading, window: Window, at: date) -> bool:
    return reading.latest is not None and reading.latest >= window_start(at, window)


def check_columns(readings: list[ColumnReading], rules: RuleSet, at: date) -> list[Finding]:
    """Findings for W-V4-1/2/3 and early warnings; W-V4 unmeasured when no column was read."""
    measured = [reading for reading in readings if reading.state != "unmeasured"]
    if not measured:
        reason = f"全部{len(readings)}个栏目均未能读取" if readings else "未发现可检测的栏目"
        return [unmeasured_finding("W-V4", NAME, reason, rules)]

    col = rules.columns
    stale = [r for r in measured if _is_stale(r, rules, at)]
    combined = [
        r
        for r in stale
        if r.facts.column.category in col.combined_stale.any_level
        or (r.facts.column.category in col.combined_stale.level1_only and r.facts.column.level == 1)
    ]
    blank = [r for r in measured if r.state == "blank"]
    limbs = [
        _limb(
            "W-V4-1",
            combined,
            col.combined_stale.threshold,
            "动态、要闻类栏目及通知公告、政策文件类一级栏目累计{line}个未更新",
            "动态、要闻类栏目及通知公告、政策文件类一级栏目未更新{count}个",
            rules,
            at,
        ),
        _limb(
            "W-V4-2",
            stale,
            col.long_stale.threshold,
            "应更新但长期未更新的栏目数量{line}个",
            "应更新但长期未更新的栏目{count}个",
            rules,
            at,
        ),
        _limb(
            "W-V4-3",
            blank,
            col.blank.threshold,
            "空白栏目数量{line}个",
            "空白栏目{count}个",
            rules,
            at,
        ),
    ]
    return [finding for finding in limbs if finding] + _warnings(measured, rules, at)


def _is_stale(reading: ColumnReading, rules: RuleSet, at: date) -> bool:
    """Past the update duty of its class; a blank column is only ever blank."""
    duty = rules.columns.duties.get(reading.facts.column.category)
    if duty is None or reading.state == "blank":
        return False
    return reading.state == "undated" or not is_updated(reading, duty.window, at)


def _limb(
    indicator: str,
    counted: list[ColumnReading],
    threshold: Threshold,
    veto_text: str,
    observation_text: str,
    rules: RuleSet,
    at: date,
) -> Finding | None:
    """A veto when the line is crossed, an observation below it, nothing when none counted."""
    if not counted:
        return None  # no evidence, no finding (a line of "> 0" needs one column)
    evidence = [column_evidence(reading, at) for reading in counted]
    if threshold.crossed(len(counted)):
        message = veto_text.format(line=threshold.describe())
        return Finding(indicator, NAME, "veto", message, rules.version, True, evidence=evidence)
    message = observation_text.format(count=len(counted))
    return Finding(indicator, NAME, "observation", message, rules.version, False, evidence=evidence)


def _warnings(measured: list[ColumnReading], rules: RuleSet, at: date) -> list[Finding]:
    findings = []
    for reading in measured:
        column = reading.facts.column
        duty = rules.columns.duties.get(column.category)
        if duty is None or duty.warn_days_before is None or reading.latest is None:
            continue
        if not is_updated(reading, duty.window, at):
            continue
        countdown = warning_countdown(reading.latest, duty.window, duty.warn_days_before, at)
        if countdown:
            message = f"{column.category}类栏目「{column.name}」{countdown}"
            evidence = [column_evidence(reading, at)]
            findings.append(
                Finding("W-V4", NAME, "warning", message, rules.version, False, evidence=evidence)
            )
    return findings


def policy_measure(readings: list[ColumnReading], item: DeductionItem, at: date) -> Measure:
    """Deduction "政策文件类一级栏目未更新": 政策文件 一级栏目 not updated inside the item's window.

    As for W-V4, a blank column is only blank and an all-undated one is not updated (when the
    rules say so); columns that could not be read count for nothing.
    """
    level1 = [
        r
        for r in readings
        if r.facts.column.category == "政策文件"
        and r.facts.column.level == 1
        and r.state != "unmeasured"
    ]
    if not level1:
        return Measure("policy_l1_stale", None, "未找到可检测的政策文件类一级栏目")
    if item.window is None:  # load_rules refuses such a rule file; a hand-built one may have it
        return Measure("policy_l1_stale", None, "规则未给出更新时限")
    stale = [
        r
        for r in level1
        if r.state == "undated" or (r.state == "dated" and not is_updated(r, item.window, at))
    ]
    evidence = [column_evidence(r, at) for r in stale]
    return Measure("policy_l1_stale", len(stale), item.name, evidence)


def warning_countdown(newest: date, window: Window, warn_days_before: int, at: date) -> str | None:
    """ "已10天未更新，4天后将超过2周更新要求" when the window's end is that close, else None."""
    days_left = (newest + window.delta() - at).days
    if not 0 <= days_left <= warn_days_before:
        return None
    age = (at - newest).days
    due = f"{days_left}天后" if days_left else "明日起"
    return f"已{age}天未更新，{due}将超过{window.describe()}更新要求"


def column_evidence(reading: ColumnReading, at: date) -> Evidence:
    """URL, name, class, level and what the newest item was (or why there is none)."""
    facts = reading.facts
    column = facts.column
    label = f"{column.name}（{column.category}，{_level_name(column.level)}）"
    if reading.state == "blank":
        detail = f"{label}：栏目无条目（{facts.blank_reason or '空列表'}）"
    elif reading.state == "undated":
        count = facts.undated_count or facts.items_count
        detail = f"{label}：条目均未标注发布时间（{count}条），视为不更新"
    else:
        item = facts.latest_item
        shown = f"最新条目「{item.title}」" if item else "最新条目"
        age = (at - reading.latest).days if reading.latest else 0
        detail = f"{label}：{shown}发布于{reading.latest}，距监测时间点{age}天"
    return Evidence(
        url=column.url,
        detail=detail,
        date=reading.latest.isoformat() if reading.latest else None,
        status=facts.fetch.status,
        at=facts.fetch.fetched_at,
    )


def known_columns(home: HomeFacts, columns: list[ColumnFacts]) -> list[ColumnRef]:
    """Every column the site showed, once: those of the home page and those read."""
    return list({c.url: c for c in [*home.columns, *(f.column for f in columns)]}.values())


def missing_entry_veto(
    indicator: str, name: str, message: str, detail: str, home: HomeFacts, rules: RuleSet
) -> Finding:
    """A veto for an entry the site must offer (咨询渠道, 办事服务) and does not, shown on its home page."""
    evidence = [
        Evidence(url=home.url, detail=detail, status=home.fetch.status, at=home.fetch.fetched_at)
    ]
    return Finding(indicator, name, "veto", message, rules.version, True, evidence=evidence)


def unmeasured_finding(indicator: str, name: str, reason: str, rules: RuleSet) -> Finding:
    message = f"{UNMEASURED_PREFIX}{reason}"
    return Finding(indicator, name, "unmeasured", message, rules.version, False)


def _level_name(level: int) -> str:
    return {1: "一级栏目", 2: "二级栏目", 3: "三级栏目"}.get(level, f"{level}级栏目")
