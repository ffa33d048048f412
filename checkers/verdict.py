"""Run every check on one site's facts and combine the findings into the site Verdict."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from checkers import availability
from checkers.columns import UNMEASURED_PREFIX, check_columns, read_columns
from checkers.homepage import check_homepage
from checkers.interaction import check_interaction
from checkers.model import FAIL, PASS, UNMEASURED, Finding, SiteContext, Verdict
from checkers.rules import RuleSet
from checkers.score import measure_deductions, score_site
from checkers.security import check_security
from checkers.service import check_service
from crawler.model import ColumnFacts, HomeFacts, Probe

# The checks that decide the verdict when they cannot be made: with the home page unread or no
# column read, a site is 未能检测. Every other check that cannot be made is only listed.
SITE_DECIDING = ("W-V3", "W-V4")


def evaluate(
    home: HomeFacts,
    columns: list[ColumnFacts],
    rules: RuleSet,
    at: date,
    site: SiteContext | None = None,
    probes: Iterable[Probe] = (),
) -> Verdict:
    """不合格 if a veto holds or the score is below the line; else 未能检测 if a check deciding a
    veto could not be made at all (home page unread, no column read); else 合格.

    `site`: what the registry says (标识码, 门户/部门, external services); `probes`: the site's
    availability probe log (W-V2 is unmeasured with fewer than a week of probes, which does not
    hold back a 合格). Columns that could not be read count towards nothing and are listed.
    """
    site = site or SiteContext()
    readings = read_columns(columns, at, rules)
    distinct = [reading.facts for reading in readings]
    findings = check_homepage(home, readings, rules, at) + check_columns(readings, rules, at)
    if rules.availability is not None:
        findings += availability.check_availability(
            probes,
            rules.availability,
            availability.time_point(at),
            rules.version,
        )
    findings += check_interaction(home, distinct, rules, at)
    findings += check_service(home, distinct, rules, site)
    findings += check_security(home, distinct, rules)

    vetoed = any(f.level == "veto" and f.holds for f in findings)
    measures = measure_deductions(home, readings, rules, at, site)
    deductions, score = score_site(measures, rules, site, vetoed)
    findings += deductions

    blocked = [
        _unmeasured_line(f)
        for f in findings
        if f.level == "unmeasured" and f.indicator in SITE_DECIDING
    ]
    if not home.measured:
        # One plain reason for the 通报's 未能检测 list: the checks it blocked follow from it.
        blocked = [f"首页无法读取：{home.reason or '原因未记录'}"]
    unmeasured = blocked + [
        f"栏目「{r.facts.column.name}」{r.facts.column.url}：{r.reason}"
        for r in readings
        if r.state == "unmeasured"
    ]
    unmeasured += [
        _unmeasured_line(f)
        for f in findings
        if f.level == "unmeasured" and f.indicator not in SITE_DECIDING
    ]

    fail_below = rules.score.fail_below if rules.score else None
    if vetoed or (score is not None and fail_below is not None and score < fail_below):
        verdict = FAIL
    elif blocked:
        verdict = UNMEASURED
    else:
        verdict = PASS
    return Verdict(
        verdict=verdict,
        findings=findings,
        unmeasured=unmeasured,
        score=score,
        blocked_by=blocked if verdict == UNMEASURED else [],
    )


def _unmeasured_line(finding: Finding) -> str:
    return f"{finding.indicator} {finding.name}：{finding.message.removeprefix(UNMEASURED_PREFIX)}"
