"""W-V2 站点无法访问 over a probe list: the 5 % line, the 140-probe sample, WAF probes apart."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
import pytest

from checkers.availability import (
    CHINA,
    baseline_limits,
    check_availability,
    tally,
    time_point,
)
from checkers.rules import load_rules
from crawler.model import Probe

T = date(2024, 3, 20)
UNTIL = time_point(T)
RULES = baseline_limits()


def week(outcomes: list[str], errors: dict[int, str] | None = None, **kw) -> list[Probe]:
    """Probes spread evenly over the week before T, the n-th with outcomes[n]."""
    step = timedelta(days=7) / len(outcomes)
    start = UNTIL - timedelta(days=7)
    return [
        Probe(
            site_id="5200000001",
            url="http://127.0.0.1:1/",
            at=(start + i * step).isoformat(),
            outcome=outcome,
            status=200 if outcome == "ok" else 502,
            error=None if outcome == "ok" else (errors or {}).get(i, "http_502"),
            **kw,
        )
        for i, outcome in enumerate(outcomes)
    ]


def mix(total: int, failed: int, waf: int = 0) -> list[str]:
    return ["failed"] * failed + ["waf"] * waf + ["ok"] * (total - failed - waf)


def test_time_point_is_the_end_of_day_t_in_china() -> None:
    assert UNTIL == datetime(2024, 3, 21, 0, 0, tzinfo=CHINA)
    assert UNTIL.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("total", "failed", "level", "holds"),
    [
        (140, 7, "veto", True),  # 5.0 %: "超过(含)5%"
        (140, 6, "warning", False),  # 4.29 %: past the 3 % warning line
        (140, 4, "observation", False),  # 2.86 %
        (140, 0, "observation", False),
        (1000, 49, "warning", False),  # 4.9 %
        (1000, 50, "veto", True),  # 5.0 %
        (1000, 30, "warning", False),  # 3.0 %: the warning line is "(含)" too
        (1000, 29, "observation", False),
    ],
)
def test_the_lines(total: int, failed: int, level: str, holds: bool) -> None:
    [finding] = check_availability(week(mix(total, failed)), RULES, UNTIL, "gov-2019-19")
    assert (finding.indicator, finding.level, finding.holds) == ("W-V2", level, holds)
    assert finding.rule_version == "gov-2019-19"
    assert f"首页探测{total}次，{failed}次未能在15秒内打开" in finding.evidence[0].detail
    assert len(finding.evidence) == 1 + min(failed, 20) + (failed > 20)
    if level == "veto":
        assert "超过(含)15秒网站仍打不开的次数累计占比超过(含)5%" in finding.message


def test_fewer_than_140_probes_is_unmeasured_with_the_counts() -> None:
    [finding] = check_availability(week(mix(139, 30)), RULES, UNTIL)
    assert finding.level == "unmeasured" and not finding.holds
    assert finding.message.startswith("未能检测：")
    assert "(139 probes, 30 failed)" in finding.message and "少于140次" in finding.message


def test_waf_probes_are_counted_apart() -> None:
    # 160 probes, 20 met a WAF challenge: 140 usable, 4 failed (2.86 %), not 24 of 160 (15 %).
    [finding] = check_availability(week(mix(160, 4, waf=20)), RULES, UNTIL)
    assert finding.level == "observation"
    assert "遇防火墙(WAF)验证20次，不计入" in finding.evidence[0].detail
    # With 30 WAF probes only 130 remain: too few to judge, whatever the failures.
    [finding] = check_availability(week(mix(160, 20, waf=30)), RULES, UNTIL)
    assert finding.level == "unmeasured" and "(130 probes, 20 failed)" in finding.message


def test_window_edges() -> None:
    probes = week(mix(140, 0))
    edge = probes[0]
    assert datetime.fromisoformat(edge.at) == UNTIL - timedelta(days=7)  # included
    at_until = Probe(site_id="x", url="u", at=UNTIL.isoformat(), outcome="failed")
    before = Probe(
        site_id="x",
        url="u",
        at=(UNTIL - timedelta(days=7, seconds=1)).isoformat(),
        outcome="failed",
    )
    counts = tally([*probes, at_until, before], RULES, UNTIL)
    assert (len(counts.usable), len(counts.failed)) == (140, 0)


def test_slow_and_short_probes() -> None:
    outcomes = mix(142, 0)
    probes = week(outcomes)
    probes[0].elapsed_ms = 15_000  # opened, but not within 15 s: "超过(含)15秒" is a failure
    probes[1].elapsed_ms = 14_999
    # A probe that gave up after 5 s may have opened by 15 s: it cannot be counted either way.
    probes[2] = Probe(
        site_id="x", url="u", at=probes[2].at, outcome="failed", error="timeout", timeout_s=5.0
    )
    probes[3] = Probe(site_id="x", url="u", at="2024-03-15 10:00", outcome="failed")  # no zone
    counts = tally(probes, RULES, UNTIL)
    assert (len(counts.usable), len(counts.failed), counts.unusable) == (140, 1, 2)
    assert counts.failed[0] is probes[0]


def test_the_warning_line_is_configurable() -> None:
    with pytest.raises(ValueError, match="time zone"):
        check_availability([], RULES, datetime(2024, 3, 21))
    [finding] = check_availability(
        week(mix(140, 5)), msgspec.structs.replace(RULES, warn_ratio=0.04), UNTIL
    )
    assert finding.level == "observation"  # 3.57 % is under a 4 % warning line
    [finding] = check_availability(week(mix(140, 5)), RULES, UNTIL)
    assert finding.level == "warning"
    assert "已达预警线3%" in finding.message


def test_no_probes_at_all() -> None:
    [finding] = check_availability([], RULES, UNTIL)
    assert finding.level == "unmeasured" and "(0 probes, 0 failed)" in finding.message


def test_the_rule_files_availability_table_is_taken_as_it_is() -> None:
    rules = load_rules()
    assert rules.availability is not None
    [finding] = check_availability(week(mix(140, 7)), rules.availability, UNTIL, rules.version)
    assert (finding.level, finding.holds, finding.rule_version) == ("veto", True, rules.version)
