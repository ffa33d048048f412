"""Run every check on one site's facts and combine the findings into the site Verdict."""

from __future__ import annotations

from datetime import date

from checkers.columns import UNMEASURED_PREFIX, check_columns, read_columns
from checkers.homepage import check_homepage
from checkers.model import FAIL, PASS, UNMEASURED, Verdict
from checkers.rules import RuleSet
from crawler.model import ColumnFacts, HomeFacts


def evaluate(home: HomeFacts, columns: list[ColumnFacts], rules: RuleSet, at: date) -> Verdict:
    """不合格 if any veto holds; else 未能检测 if a veto check could not be made; else 合格.

    A veto check cannot be made when the home page was not read or no column was read; columns
    that could not be read count towards nothing and are listed in `unmeasured`.
    """
    readings = read_columns(columns, at, rules)
    findings = check_homepage(home, readings, rules, at) + check_columns(readings, rules, at)

    unmeasured = [
        f"{f.indicator} {f.name}：{f.message.removeprefix(UNMEASURED_PREFIX)}"
        for f in findings
        if f.level == "unmeasured"
    ]
    unmeasured += [
        f"栏目「{r.facts.column.name}」{r.facts.column.url}：{r.reason}"
        for r in readings
        if r.state == "unmeasured"
    ]

    if any(f.level == "veto" and f.holds for f in findings):
        verdict = FAIL
    elif any(f.level == "unmeasured" for f in findings):
        verdict = UNMEASURED
    else:
        verdict = PASS
    return Verdict(verdict=verdict, findings=findings, unmeasured=unmeasured)
