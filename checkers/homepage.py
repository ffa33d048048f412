"""W-V3 首页不更新: the home page shows no item dated inside the window back from T."""

from __future__ import annotations

from datetime import date

from checkers.columns import (
    ColumnReading,
    column_evidence,
    is_updated,
    parse_date,
    unmeasured_finding,
    warning_countdown,
)
from checkers.model import Evidence, Finding
from checkers.rules import RuleSet, window_start
from crawler.model import HomeFacts, ListItem

INDICATOR = "W-V3"
NAME = "首页不更新"


def check_homepage(
    home: HomeFacts, readings: list[ColumnReading], rules: RuleSet, at: date
) -> list[Finding]:
    """W-V3 findings; `readings` are the site's columns, used when the home page is only navigation."""
    if not home.measured:
        reason = home.reason or home.fetch.error or "首页未能读取（原因未说明）"
        return [unmeasured_finding(INDICATOR, NAME, reason, rules)]
    dated, doubts = _dated_items(home, at)
    if not dated and not doubts:
        return _check_navigation_page(home, readings, rules, at)

    rule = rules.homepage
    newest = max(dated, key=lambda pair: pair[0]) if dated else None
    if newest and newest[0] >= window_start(at, rule.window):
        if rule.warn_days_before is None:
            return []
        countdown = warning_countdown(newest[0], rule.window, rule.warn_days_before, at)
        if countdown is None:
            return []
        evidence = [_home_evidence(home, *newest, at)]
        message = f"首页{countdown}"
        return [
            Finding(INDICATOR, NAME, "warning", message, rules.version, False, evidence=evidence)
        ]
    if doubts or newest is None:
        # An item we cannot date might be the update that saves the site: no veto on a guess.
        return [unmeasured_finding(INDICATOR, NAME, doubts[0], rules)]
    evidence = [_home_evidence(home, *newest, at)]
    undated = sum(1 for item in home.items if item.date is None)
    if undated:
        detail = f"首页另有{undated}条未标注发布时间的条目，视为不更新"
        evidence.append(Evidence(url=home.url, detail=detail, at=home.fetch.fetched_at))
    return [_veto(rules, evidence)]


def _dated_items(home: HomeFacts, at: date) -> tuple[list[tuple[date, ListItem | None]], list[str]]:
    """Dated home-page items up to T, and why any other dated item could not be used."""
    dated: list[tuple[date, ListItem | None]] = []
    doubts: list[str] = []
    entries: list[tuple[str, ListItem | None]] = [
        (item.date, item) for item in home.items if item.date is not None
    ]
    if home.latest is not None:
        entries.append((home.latest, None))
    for text, item in entries:
        where = f"首页条目「{item.title}」" if item else "首页最新日期"
        day = parse_date(text)
        if day is None:
            doubts.append(f"{where}的日期「{text}」无法识别")
        elif day > at:
            doubts.append(f"{where}的日期{day}晚于监测时间点{at}")
        else:
            dated.append((day, item))
    return dated, doubts


def _check_navigation_page(
    home: HomeFacts, readings: list[ColumnReading], rules: RuleSet, at: date
) -> list[Finding]:
    """No dated item on the home page: it fails only if no 一级栏目 was updated in the window."""
    window = rules.homepage.window
    level1 = [r for r in readings if r.facts.column.level == 1]
    measured = [r for r in level1 if r.state != "unmeasured"]
    if any(is_updated(r, window, at) for r in measured):
        return []
    if not measured:
        reason = "首页仅为栏目导航入口，且没有可检测的一级栏目"
        return [unmeasured_finding(INDICATOR, NAME, reason, rules)]
    unread = len(level1) - len(measured)
    if unread:
        # "所有二级页面无信息更新" cannot be shown while some of them were not read.
        reason = f"首页仅为栏目导航入口，{unread}个一级栏目未能读取，无法确认均未更新"
        return [unmeasured_finding(INDICATOR, NAME, reason, rules)]
    detail = (
        f"首页仅为栏目导航入口（无标注日期的条目），{len(measured)}个一级栏目"
        f"前{window.describe()}内均无信息更新"
    )
    evidence = [
        Evidence(url=home.url, detail=detail, status=home.fetch.status, at=home.fetch.fetched_at)
    ]
    evidence += [column_evidence(r, at) for r in measured]
    return [_veto(rules, evidence)]


def _veto(rules: RuleSet, evidence: list[Evidence]) -> Finding:
    message = f"监测时间点前{rules.homepage.window.describe()}内首页无信息更新"
    return Finding(INDICATOR, NAME, "veto", message, rules.version, True, evidence=evidence)


def _home_evidence(home: HomeFacts, newest: date, item: ListItem | None, at: date) -> Evidence:
    shown = f"首页最新条目「{item.title}」" if item else "首页最新条目"
    return Evidence(
        url=(item.url if item else None) or home.url,
        detail=f"{shown}发布于{newest}，距监测时间点{(at - newest).days}天",
        date=newest.isoformat(),
        status=home.fetch.status,
        at=home.fetch.fetched_at,
    )
