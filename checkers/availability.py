"""W-V2 站点无法访问: the home-page probes of the week before the monitoring time point.

"监测1周，每天间隔性访问20次以上，超过(含)15秒网站仍打不开的次数累计占比超过(含)5%，即单项否决" (INDICATORS
W-V2, [V] S4). A probe met by a WAF challenge says nothing about whether the site opens: it is
counted apart, neither as a failure nor in the sample. With fewer usable probes than days ×
probes_per_day (140) the check is 未能检测, with the counts; an early warning is raised from
`warn_ratio` (vendor tools warn at 3 %, S12).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction

import msgspec

from checkers.columns import UNMEASURED_PREFIX
from checkers.model import Evidence, Finding
from checkers.rules import AvailabilityRules, load_rules
from crawler.model import Probe

INDICATOR = "W-V2"
NAME = "站点无法访问"
CHINA = timezone(timedelta(hours=8), "CST")
FAILED_LISTED = 20  # failed probes named one by one in the evidence


def baseline_limits() -> AvailabilityRules:
    """The W-V2 lines of the packaged baseline rule file, for callers given none."""
    limits = load_rules().availability
    if limits is None:
        raise ValueError("the baseline rule file has no [availability] table")
    return limits


class ProbeTally(msgspec.Struct):
    """The probes of one site in the window, sorted by what they show."""

    usable: list[Probe] = []  # probes that show whether the page opened in time
    failed: list[Probe] = []  # usable probes whose page did not open within the time limit
    waf: int = 0  # met a WAF challenge: counted apart
    unusable: int = 0  # shorter time limit than the rule's and timed out, or a bad record


def time_point(at: date) -> datetime:
    """The end of day T in China time: the week before it is the probe window of T."""
    return datetime.combine(at + timedelta(days=1), time(0), CHINA)


def tally(probes: Iterable[Probe], rules: AvailabilityRules, until: datetime) -> ProbeTally:
    """Sort the probes started in [until - days, until)."""
    start = until - timedelta(days=rules.days)
    result = ProbeTally(usable=[], failed=[])
    limit_ms = rules.timeout_s * 1000
    for probe in probes:
        started = _started(probe)
        if started is None:
            result.unusable += 1
            continue
        if not start <= started < until:
            continue
        if probe.outcome == "waf":
            result.waf += 1
        elif probe.outcome == "ok":
            result.usable.append(probe)
            if probe.elapsed_ms >= limit_ms:  # opened, but not within the rule's time
                result.failed.append(probe)
        elif probe.outcome == "failed":
            if probe.error == "timeout" and probe.timeout_s < rules.timeout_s:
                result.unusable += 1  # gave up before the rule's 15 s: it might have opened
            else:
                result.usable.append(probe)
                result.failed.append(probe)
        else:
            result.unusable += 1
    return result


def check_availability(
    probes: Iterable[Probe], rules: AvailabilityRules, until: datetime, version: str = ""
) -> list[Finding]:
    """The W-V2 finding over the week before `until` (see time_point)."""
    if until.tzinfo is None:
        raise ValueError(f"check_availability: `until` needs a time zone, got {until.isoformat()}")
    counts = tally(probes, rules, until)
    usable, failed = len(counts.usable), len(counts.failed)
    sample = rules.days * rules.probes_per_day
    if usable < sample:
        reason = (
            f"监测时间点前{rules.days}天内首页有效探测{usable}次，少于{sample}次，"
            f"其中{failed}次未能在{rules.timeout_s:g}秒内打开{_apart(counts)} "
            f"({usable} probes, {failed} failed)"
        )
        message = UNMEASURED_PREFIX + reason
        return [Finding(INDICATOR, NAME, "unmeasured", message, version, False)]
    ratio = Fraction(failed, usable)
    evidence = _evidence(counts, ratio, rules, until)
    if ratio >= Fraction(str(rules.veto_ratio)):
        message = (
            f"监测{rules.days}天，每天间隔性访问{rules.probes_per_day}次以上，超过(含)"
            f"{rules.timeout_s:g}秒网站仍打不开的次数累计占比超过(含){_percent(rules.veto_ratio)}"
        )
        return [Finding(INDICATOR, NAME, "veto", message, version, True, evidence=evidence)]
    if ratio >= Fraction(str(rules.warn_ratio)):
        message = (
            f"首页打不开的次数占比{_percent(float(ratio))}，已达预警线"
            f"{_percent(rules.warn_ratio)}（否决线{_percent(rules.veto_ratio)}）"
        )
        return [Finding(INDICATOR, NAME, "warning", message, version, False, evidence=evidence)]
    message = (
        f"首页打不开的次数占比{_percent(float(ratio))}，低于否决线{_percent(rules.veto_ratio)}"
    )
    return [Finding(INDICATOR, NAME, "observation", message, version, False, evidence=evidence)]


def _started(probe: Probe) -> datetime | None:
    try:
        started = datetime.fromisoformat(probe.at)
    except ValueError:
        return None
    return started if started.tzinfo is not None else None


def _apart(counts: ProbeTally) -> str:
    parts = []
    if counts.waf:
        parts.append(f"遇防火墙(WAF)验证{counts.waf}次，不计入")
    if counts.unusable:
        parts.append(f"无法判定{counts.unusable}次，不计入")
    return f"；另有{'，'.join(parts)}" if parts else ""


def _evidence(
    counts: ProbeTally, ratio: Fraction, rules: AvailabilityRules, until: datetime
) -> list[Evidence]:
    usable, failed = len(counts.usable), len(counts.failed)
    start = until - timedelta(days=rules.days)
    summary = (
        f"{start:%Y-%m-%d %H:%M}至{until:%Y-%m-%d %H:%M}（{until.tzname()}）首页探测{usable}次，"
        f"{failed}次未能在{rules.timeout_s:g}秒内打开，占比{_percent(float(ratio))}{_apart(counts)}"
    )
    url = counts.usable[0].url if counts.usable else None
    evidence = [Evidence(url=url, detail=summary, at=until.isoformat())]
    for probe in sorted(counts.failed, key=lambda p: p.at)[:FAILED_LISTED]:
        what = probe.error or f"HTTP {probe.status}"
        if probe.outcome == "ok":
            what = f"{probe.elapsed_ms} ms 后才打开"
        evidence.append(
            Evidence(url=probe.url, detail=f"探测失败：{what}", status=probe.status, at=probe.at)
        )
    if failed > FAILED_LISTED:
        evidence.append(Evidence(detail=f"另有{failed - FAILED_LISTED}次失败未逐一列出"))
    return evidence


def _percent(ratio: float) -> str:
    return f"{ratio * 100:.2f}".rstrip("0").rstrip(".") + "%"
