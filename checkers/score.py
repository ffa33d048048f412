"""扣分指标 and 加分指标: deductions with per-indicator caps, the 60 and 80 lines, 75 × 4/3.

Only items whose point value the rules know are deducted; the others are reported without points
(the official table is mostly UNKNOWN, INDICATORS.md §3). A site on which a veto holds is not
scored ("不再对其他指标进行评分"): its deduction items are still reported, without points. The score
is an upper bound of the official one:
a score below the line rests on evidence, a score above it may still hide unknown deductions.
"""

from __future__ import annotations

from datetime import date

from checkers.columns import ColumnReading, policy_measure
from checkers.identity import identity_measure
from checkers.interaction import replies_measure
from checkers.model import Evidence, Finding, Measure, SiteContext
from checkers.rules import RuleSet, ScoreRules
from checkers.service import stats_measure
from crawler.model import HomeFacts

INDICATOR = "W-S"
NAME = "扣分指标得分"


def measure_deductions(
    home: HomeFacts, readings: list[ColumnReading], rules: RuleSet, at: date, site: SiteContext
) -> list[Measure]:
    """Every deduction item of the rules, measured; 办事服务 items are left out for departments
    without external services."""
    score = rules.score
    if score is None:
        return []
    exclude = rules.interaction.list_exclude if rules.interaction else []
    measures = []
    for key, item in score.items.items():
        if not site.external_services and score.groups[item.group].service:
            continue
        if key == "policy_l1_stale":
            measures.append(policy_measure(readings, item, at))
        elif key == "service_stats_stale":
            measures.append(stats_measure(readings, item, at))
        elif key == "replies_stale":
            measures.append(replies_measure([r.facts for r in readings], exclude, item, at))
        else:
            measures.append(identity_measure(key, home, site))
    return measures


def score_site(
    measures: list[Measure], rules: RuleSet, site: SiteContext, vetoed: bool
) -> tuple[list[Finding], float | None]:
    """Findings for the measured items and the score line; the score (None when not scored:
    a veto holds, or a 部门 site under rules that score 门户 only)."""
    score = rules.score
    if score is None:
        return [], None
    scored = not vetoed and (site.kind == "门户" or score.departments)
    findings: list[Finding] = []
    by_group: dict[str, float] = {}
    for measure in measures:
        item = score.items[measure.item]
        indicator = f"W-D-{measure.item}"
        if measure.count is None:
            message = f"未能检测：{measure.detail}"
            findings.append(
                Finding(indicator, item.name, "unmeasured", message, rules.version, False)
            )
            continue
        if measure.count == 0:
            continue
        points = None
        if scored and item.points is not None:
            points = item.points * (measure.count if item.each else 1)
            by_group[item.group] = by_group.get(item.group, 0.0) + points
        if points is not None:
            level, message = "deduction", f"{measure.detail}，扣{points:g}分"
        else:
            level = "observation"
            message = measure.detail + ("（分值未知，未扣分）" if scored else "")
        findings.append(
            Finding(
                indicator,
                item.name,
                level,
                message,
                rules.version,
                True,
                points,
                list(measure.evidence),
            )
        )
    if not scored:
        return findings, None
    value, evidence = _score(by_group, score, site)
    findings.append(_score_finding(value, score, rules.version, evidence))
    return findings, value


def _score(
    by_group: dict[str, float], score: ScoreRules, site: SiteContext
) -> tuple[float, list[Evidence]]:
    """(base − capped deductions) scaled to the total: × 100/75 = × 4/3 without 办事服务."""
    base = score.total if site.external_services else score.no_service_base
    deducted = 0.0
    lines = []
    for group, points in by_group.items():
        cap = score.groups[group].max_points
        capped = points if cap is None else min(points, cap)
        deducted += capped
        lines.append(
            f"{group}扣{capped:g}分"
            + (f"（合计{points:g}分，上限{cap:g}分）" if capped < points else "")
        )
    value = round(max(0.0, base - deducted) * score.total / base, 2)
    how = (
        f"扣分指标按{base:g}分计算"
        if base == score.total
        else (f"无对外服务职能，扣分指标按{base:g}分计算，得分乘以{score.total:g}/{base:g}")
    )
    detail = f"{how}；" + ("；".join(lines) if lines else "无已知分值的扣分项")
    return value, [Evidence(detail=detail)]


def _score_finding(
    value: float, score: ScoreRules, version: str, evidence: list[Evidence]
) -> Finding:
    message = f"扣分指标得分{value:g}分"
    fails = value < score.fail_below
    if fails:
        message += f"，低于{score.fail_below:g}分"
    elif value > score.bonus_above:
        message += f"，高于{score.bonus_above:g}分，进入加分指标评分；加分项未知，未加分"
    return Finding(INDICATOR, NAME, "score", message, version, fails, value, evidence)
