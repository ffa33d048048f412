"""Findings and verdicts the checkers return. Pure data."""

from __future__ import annotations

import msgspec

PASS = "合格"
FAIL = "不合格"
UNMEASURED = "未能检测"


class Evidence(msgspec.Struct, omit_defaults=True):
    url: str | None = None
    detail: str = ""  # what was seen, in words
    date: str | None = None  # newest date seen
    status: int | None = None  # HTTP status
    at: str | None = None  # when it was seen


class Finding(msgspec.Struct, omit_defaults=True):
    indicator: str  # rule id, e.g. "W-V4"
    name: str  # 栏目不更新
    level: str  # veto, deduction, score, warning, observation, unmeasured, candidate (待人工确认)
    message: str  # Chinese, in the bulletins' wording
    rule_version: str = ""
    holds: bool = True  # for veto: the veto line is crossed
    points: float | None = None
    evidence: list[Evidence] = []


class Verdict(msgspec.Struct, omit_defaults=True):
    verdict: str  # 合格 / 不合格 / 未能检测
    findings: list[Finding] = []
    unmeasured: list[str] = []  # checks that could not be made, with the reason
    score: float | None = None  # final score (deduction part + bonus); None when not scored
    blocked_by: list[str] = []  # for 未能检测: the checks whose failure left the site unjudged


class SiteContext(msgspec.Struct, frozen=True, omit_defaults=True):
    """What the registry says about the site being judged."""

    site_code: str | None = None  # 政府网站标识码 in the registry (the footer must show it)
    kind: str = "门户"  # 门户 or 部门 (the deduction part applies to 门户 unless the rules say)
    external_services: bool = True  # False: a department without external services (75 × 4/3)


class Measure(msgspec.Struct, frozen=True, omit_defaults=True):
    """The outcome of one deduction check point, before points are applied."""

    item: str  # key of the rule set's score.items
    count: int | None  # occurrences found (0: no problem); None: could not be measured
    detail: str  # the problem in the bulletins' words, or why it could not be measured
    evidence: list[Evidence] = []
