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
    level: str  # veto, deduction, warning, observation, unmeasured
    message: str  # Chinese, in the bulletins' wording
    rule_version: str = ""
    holds: bool = True  # for veto: the veto line is crossed
    points: float | None = None
    evidence: list[Evidence] = []


class Verdict(msgspec.Struct, omit_defaults=True):
    verdict: str  # 合格 / 不合格 / 未能检测
    findings: list[Finding] = []
    unmeasured: list[str] = []  # checks that could not be made, with the reason
    score: float | None = None
