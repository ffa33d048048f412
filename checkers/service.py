"""W-V6 服务不实用: a 办事服务 entry (limb 1) and complete 办事指南 in a sample (limb 2), and the
办事统计 freshness deduction.

Limb 2's lines are remembered, not confirmed ([M]): unless the rules enforce it, crossing them is an
observation marked （规则待核实）.
"""

from __future__ import annotations

from datetime import date

from checkers.columns import (
    ColumnReading,
    column_evidence,
    is_updated,
    known_columns,
    missing_entry_veto,
    unmeasured_finding,
)
from checkers.model import Evidence, Finding, Measure, SiteContext
from checkers.rules import DeductionItem, RuleSet, ServiceRules
from crawler.model import ColumnFacts, GuideFacts, HomeFacts

NAME = "服务不实用"
MAX_EVIDENCE = 10


def check_service(
    home: HomeFacts, columns: list[ColumnFacts], rules: RuleSet, site: SiteContext
) -> list[Finding]:
    """W-V6-1 and W-V6-2; `columns` are the site's distinct columns."""
    rule = rules.service
    if rule is None:
        return []
    if not site.external_services:
        message = "无对外服务职能的部门，不检查办事服务相关指标"
        return [Finding("W-V6", NAME, "observation", message, rules.version, False)]
    return _check_entry(home, columns, rule, rules) + _check_guides(columns, rule, rules)


def _check_entry(
    home: HomeFacts, columns: list[ColumnFacts], rule: ServiceRules, rules: RuleSet
) -> list[Finding]:
    refs = known_columns(home, columns)
    if any(c.category == "办事服务" for c in refs):
        return []
    if any(any(name in link.name for name in rule.entry_names) for link in home.services):
        return []
    if not home.measured:
        reason = "首页未能读取，无法确认是否提供办事服务"
        return [unmeasured_finding("W-V6-1", NAME, reason, rules)]
    detail = (
        f"首页及{len(refs)}个栏目中未发现办事服务类栏目，也未发现名为"
        f"{'、'.join(rule.entry_names)}的入口"
    )
    return [missing_entry_veto("W-V6-1", NAME, "未提供办事服务", detail, home, rules)]


def _check_guides(columns: list[ColumnFacts], rule: ServiceRules, rules: RuleSet) -> list[Finding]:
    guides = [guide for facts in columns for guide in facts.guides]
    sampled = [guide for guide in guides if guide.measured]
    if not sampled:
        reason = "未抽查到办事指南页面"
        if guides:
            reason += f"（读取{len(guides)}个页面：{guides[0].reason}等）"
        return [unmeasured_finding("W-V6-2", NAME, reason, rules)]
    failed = [g for g in sampled if rule.missing_types.crossed(len(missing(g, rule)))]
    if not failed:
        return []
    share = len(failed) / len(sampled)
    evidence = [_guide_evidence(g, rule) for g in failed[:MAX_EVIDENCE]]
    evidence.append(
        Evidence(
            detail=f"抽查办事指南{len(sampled)}个，要素缺失{rule.missing_types.describe()}类的"
            f"{len(failed)}个，占{share * 100:.0f}%"
        )
    )
    if share >= rule.failed_share:
        message = (
            f"办事指南重点要素类别缺失{rule.missing_types.describe()}类的事项数量超过(含)抽查事项的"
            f"{rule.failed_share * 100:g}%"
        )
        level, holds = ("veto", True) if rule.enforce else ("observation", False)
        if not rule.enforce:
            message += "（规则待核实）"
        return [Finding("W-V6-2", NAME, level, message, rules.version, holds, evidence=evidence)]
    message = (
        f"抽查办事指南{len(sampled)}个，要素缺失{rule.missing_types.describe()}类的{len(failed)}个"
    )
    return [
        Finding("W-V6-2", NAME, "observation", message, rules.version, False, evidence=evidence)
    ]


def missing(guide: GuideFacts, rule: ServiceRules) -> list[str]:
    return [element for element in rule.elements if element not in guide.elements]


def _guide_evidence(guide: GuideFacts, rule: ServiceRules) -> Evidence:
    lacking = missing(guide, rule)
    title = f"「{guide.title}」" if guide.title else ""
    return Evidence(
        url=guide.url, detail=f"办事指南{title}缺少{len(lacking)}类要素：{'、'.join(lacking)}"
    )


def stats_measure(readings: list[ColumnReading], item: DeductionItem, at: date) -> Measure:
    """ "在监测时间点前3个月内，未及时更新办事统计数据": a column named as the item's `names`."""
    named = [r for r in readings if any(name in r.facts.column.name for name in item.names)]
    measured = [r for r in named if r.state != "unmeasured"]
    if not measured:
        why = "办事统计栏目未能读取" if named else "未发现办件统计、办事统计类栏目"
        return Measure("service_stats_stale", None, why)
    if item.window is None:  # load_rules refuses such a rule file; a hand-built one may have it
        return Measure("service_stats_stale", None, "规则未给出更新时限")
    if any(is_updated(r, item.window, at) for r in measured):
        return Measure("service_stats_stale", 0, item.name)
    evidence = [column_evidence(r, at) for r in measured]
    return Measure("service_stats_stale", 1, item.name, evidence)
