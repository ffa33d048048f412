"""Judge one 政务新媒体 account from its posts: M-V2, M-V3, M-V1 candidates and local rules.

Pure: `AccountFacts` + T + `MediaRules` → `Verdict`. One veto makes the account 不合格 (national rule:
new media get pass/fail from the veto list only). An account whose view could not be read is
未能检测 with the reason — never 不合格. Local rules give findings of level "problem" (the bulletins'
存在问题的政务新媒体) and leave the verdict alone unless the overlay makes them a veto.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from checkers.media_rules import LocalRule, MediaRules
from checkers.model import FAIL, PASS, UNMEASURED, Evidence, Finding, Verdict
from crawler.platforms.base import AccountFacts, Post
from crawler.security import Lexicon

PROBLEM = "problem"  # Finding.level of a local rule: 存在问题 (the account stays 合格)
MAX_CANDIDATES = 20

_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_CARD = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
_NAME_NOISE = re.compile(r"[\s\"'“”‘’《》「」【】()（）·.。,，:：_\-—]+")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def judge_account(
    facts: AccountFacts,
    platform: str,
    at: date,
    rules: MediaRules,
    lexicon: Lexicon | None,
    registered_name: str = "",
) -> Verdict:
    """The account's verdict at T = `at`; `registered_name` is the registry's 账号名称."""
    if not facts.measured:
        return Verdict(UNMEASURED, unmeasured=[facts.reason], blocked_by=["M-V2"])
    posts = [p for p in facts.posts if date.fromisoformat(p.date) <= at]
    findings: list[Finding] = []
    unmeasured: list[str] = []
    update = _update(posts, platform, at, rules)
    if update:
        findings.append(update)
    interaction = _interaction(facts, rules)
    if interaction:
        findings.append(interaction)
    elif facts.interaction is None and platform in rules.update.platforms:
        why = facts.interaction_detail or "公开页面未显示互动渠道"
        unmeasured.append(f"{rules.interaction.indicator}: {why}，需人工核查")
    findings += _candidates(posts, rules, lexicon)
    if platform in rules.update.platforms:  # local update rules need a post list (not apps)
        findings += [f for r in rules.local if (f := _local(r, posts, platform, at, rules.version))]
    registration = _registration(facts, registered_name, rules)
    if registration:
        findings.append(registration)
    for note in facts.notes:
        findings.append(Finding("M-V4", "移动客户端", "observation", note, rules.version))
    failed = any(f.level == "veto" and f.holds for f in findings)
    return Verdict(FAIL if failed else PASS, findings, unmeasured)


def _counted(posts: list[Post], start: date, count_reposts: bool) -> list[Post]:
    return [
        p for p in posts if date.fromisoformat(p.date) >= start and (count_reposts or p.original)
    ]


def _update(posts: list[Post], platform: str, at: date, rules: MediaRules) -> Finding | None:
    rule = rules.update
    if platform not in rule.platforms:
        return None
    start = at - timedelta(days=rule.window_days)
    if _counted(posts, start, rule.count_reposts):
        return None
    newest = max((p.date for p in posts), default=None)
    seen = f"最新一条发布于 {newest}" if newest else "未发现任何信息"
    kind = "信息" if rule.count_reposts else "原创信息"
    detail = f"{start.isoformat()} 至 {at.isoformat()} 无{kind}；{seen}"
    return Finding(
        rule.indicator,
        rule.name,
        "veto",
        rule.message,
        rules.version,
        evidence=[Evidence(detail=detail, date=newest)],
    )


def _interaction(facts: AccountFacts, rules: MediaRules) -> Finding | None:
    rule = rules.interaction
    if facts.interaction is not False:
        return None
    return Finding(
        rule.indicator,
        rule.name,
        "veto" if rule.enforce else "observation",
        rule.message,
        rules.version,
        evidence=[Evidence(url=facts.url, detail=facts.interaction_detail)],
    )


def _registration(facts: AccountFacts, registered: str, rules: MediaRules) -> Finding | None:
    """The platform shows another name than the registry: 备案信息有误 (存在问题)."""
    rule = rules.registration
    if rule is None or not facts.name or not registered:
        return None
    if _NAME_NOISE.sub("", facts.name) == _NAME_NOISE.sub("", registered):
        return None
    detail = f"平台显示名称“{facts.name}”，备案名称“{registered}”"
    return Finding(
        rule.indicator,
        rule.name,
        PROBLEM,
        rule.message,
        rules.version,
        evidence=[Evidence(url=facts.url, detail=detail)],
    )


def _local(
    rule: LocalRule, posts: list[Post], platform: str, at: date, version: str
) -> Finding | None:
    if rule.platforms and platform not in rule.platforms:
        return None
    if rule.window_days is not None:
        start = at - timedelta(days=rule.window_days)
    else:
        start = at - relativedelta(months=rule.window_months or 0)
    found = len(_counted(posts, start, rule.count_reposts))
    if found >= rule.min_posts:
        return None
    detail = (
        f"{start.isoformat()} 至 {at.isoformat()} 发布 {found} 条，要求至少 {rule.min_posts} 条"
    )
    level = "veto" if rule.level == "veto" else PROBLEM
    return Finding(
        rule.id,
        "内容更新",
        level,
        rule.message,
        rule.version or version,
        evidence=[Evidence(detail=detail)],
    )


def _candidates(posts: list[Post], rules: MediaRules, lexicon: Lexicon | None) -> list[Finding]:
    rule = rules.candidates
    evidence: list[Evidence] = []
    for post in posts:
        text = "".join(f"{post.title} {post.text}".split())
        if rule.lexicon and lexicon is not None:
            for match, entry in lexicon.hits(text):
                detail = f"“{match.group()}”应为“{entry.right}”（{post.title[:30]}）"
                evidence.append(Evidence(url=post.url or None, detail=detail, date=post.date))
        for kind in personal_data(text, rule.personal_data):
            detail = f"疑似未去标识化的{kind}（{post.title[:30]}）"
            evidence.append(Evidence(url=post.url or None, detail=detail, date=post.date))
    if not evidence:
        return []
    return [
        Finding(
            rule.indicator,
            rule.name,
            "candidate",
            "疑似严重表述错误或未去标识化的个人信息（待人工确认）",
            rules.version,
            evidence=evidence[:MAX_CANDIDATES],
        )
    ]


def personal_data(text: str, kinds: list[str]) -> list[str]:
    """Which kinds of unmasked personal data the text shows (masked forms like 138****1234 do not
    match; check digits keep order numbers and dates out)."""
    found = []
    if "身份证号" in kinds and any(_id_card_valid(m.group()) for m in _ID_CARD.finditer(text)):
        found.append("身份证号")
    if "手机号" in kinds and _MOBILE.search(text):
        found.append("手机号")
    if "银行卡号" in kinds and any(_luhn(m.group()) for m in _CARD.finditer(text)):
        found.append("银行卡号")
    return found


def _id_card_valid(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _luhn(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0
