"""W-V1 安全、泄密事故等严重问题: the machine-found candidates, each 待人工确认.

A candidate never fails a site: a person confirms it first. Scripts, frames and hidden links to
hosts on the rules' allow list are not reported.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from checkers.model import Evidence, Finding
from checkers.rules import RuleSet
from crawler.model import Candidate, ColumnFacts, HomeFacts

INDICATOR = "W-V1"
NAME = "安全、泄密事故等严重问题"
PENDING = "（待人工确认）"
MAX_FINDINGS = 30  # per site; the rest are counted in one more finding
MAX_PAGES = 5  # pages named as evidence for one candidate


def check_security(home: HomeFacts, columns: list[ColumnFacts], rules: RuleSet) -> list[Finding]:
    """One candidate finding per distinct problem, with the pages it was seen on."""
    rule = rules.security
    if rule is None:
        return []
    seen: dict[tuple[str, str], list[Candidate]] = {}
    for candidate in [*home.candidates, *(c for f in columns for c in f.candidates)]:
        host = urlsplit(candidate.target).hostname if candidate.target else None
        if host and any(host == s or host.endswith("." + s) for s in rule.allowed_hosts):
            continue
        seen.setdefault((candidate.kind, candidate.target or candidate.text), []).append(candidate)
    findings = [_finding(group, rules.version) for group in seen.values()]
    if len(findings) > MAX_FINDINGS:
        rest = len(findings) - MAX_FINDINGS
        message = f"另有{rest}项疑似问题未逐一列出{PENDING}"
        findings = findings[:MAX_FINDINGS]
        findings.append(Finding(INDICATOR, NAME, "candidate", message, rules.version, False))
    return findings


def _finding(group: list[Candidate], version: str) -> Finding:
    first = group[0]
    pages = list(dict.fromkeys(candidate.page for candidate in group))
    detail = first.detail + ("（示例词条，未经核实）" if first.example else "")
    evidence = [Evidence(url=page, detail=detail) for page in pages[:MAX_PAGES]]
    if len(pages) > MAX_PAGES:
        evidence.append(Evidence(detail=f"另有{len(pages) - MAX_PAGES}个页面出现"))
    return Finding(INDICATOR, NAME, "candidate", _message(first), version, False, evidence=evidence)


def _message(candidate: Candidate) -> str:
    if candidate.kind == "lexicon":
        what = f"疑似严重表述错误：「{candidate.text}」"
    elif candidate.kind == "hidden_link":
        what = f"疑似暗链：隐藏链接「{candidate.text}」指向{candidate.target}"
    elif candidate.kind == "iframe":
        what = f"疑似被植入外部框架页面：{candidate.target}"
    else:
        what = f"疑似被植入外部脚本：{candidate.target}"
    return what + PENDING
