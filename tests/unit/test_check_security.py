"""W-V1 candidates through `evaluate`: 待人工确认, never a failed site, allow-listed hosts left out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from checkers.model import PASS, Finding, Verdict
from checkers.rules import RuleSet, load_rules
from checkers.security import MAX_FINDINGS
from checkers.verdict import evaluate
from crawler.model import (
    Candidate,
    ColumnFacts,
    ColumnRef,
    EntryLink,
    FetchResult,
    HomeFacts,
    ListItem,
)

T = date(2024, 6, 30)
RULES = load_rules()
SITE = "http://127.0.0.1:8203"


def home(*candidates: Candidate) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/",
        fetch=FetchResult(url=f"{SITE}/", status=200),
        measured=True,
        items=[ListItem(title="要闻", date=T.isoformat())],
        channels=[EntryLink(name="我要写信", url=f"{SITE}/wyxx/")],
        services=[EntryLink(name="政务服务", url=f"{SITE}/zwfw/")],
        candidates=list(candidates),
    )


def column(*candidates: Candidate) -> ColumnFacts:
    url = f"{SITE}/xwdt/"
    return ColumnFacts(
        column=ColumnRef(name="新闻动态", url=url, category="动态要闻"),
        fetch=FetchResult(url=url, status=200),
        measured=True,
        latest=T.isoformat(),
        items_count=5,
        candidates=list(candidates),
    )


def script(target: str, page: str = f"{SITE}/") -> Candidate:
    return Candidate(kind="script", page=page, text=target, target=target)


def w_v1(verdict: Verdict) -> list[Finding]:
    return [f for f in verdict.findings if f.indicator == "W-V1"]


def test_each_kind_is_a_candidate_awaiting_confirmation_and_the_site_still_passes() -> None:
    wrong = Candidate(
        kind="lexicon",
        page=f"{SITE}/",
        text="台湾总统",
        detail="规范表述为「台湾地区领导人」",
        example=True,
    )
    hidden = Candidate(
        kind="hidden_link",
        page=f"{SITE}/xwdt/",
        text="博彩",
        target="http://127.66.0.1/casino/",
        detail="链接被隐藏（display:none）",
    )
    frame = Candidate(
        kind="iframe", page=f"{SITE}/", text="http://127.66.0.2/ad", target="http://127.66.0.2/ad"
    )

    verdict = evaluate(
        home(wrong, frame, script("http://127.66.0.3/x.js")), [column(hidden)], RULES, T
    )

    assert verdict.verdict == PASS
    assert [(f.level, f.holds, f.name, f.message) for f in w_v1(verdict)] == [
        (
            "candidate",
            False,
            "安全、泄密事故等严重问题",
            "疑似严重表述错误：「台湾总统」（待人工确认）",
        ),
        (
            "candidate",
            False,
            "安全、泄密事故等严重问题",
            "疑似被植入外部框架页面：http://127.66.0.2/ad（待人工确认）",
        ),
        (
            "candidate",
            False,
            "安全、泄密事故等严重问题",
            "疑似被植入外部脚本：http://127.66.0.3/x.js（待人工确认）",
        ),
        (
            "candidate",
            False,
            "安全、泄密事故等严重问题",
            "疑似暗链：隐藏链接「博彩」指向http://127.66.0.1/casino/（待人工确认）",
        ),
    ]
    assert (
        w_v1(verdict)[0].evidence[0].detail == "规范表述为「台湾地区领导人」（示例词条，未经核实）"
    )
    assert w_v1(verdict)[3].evidence[0].url == f"{SITE}/xwdt/"


def test_one_finding_per_problem_with_the_pages_it_was_seen_on() -> None:
    injected = "http://127.66.0.3/x.js"
    pages = [f"{SITE}/p{i}.html" for i in range(7)]

    verdict = evaluate(home(*(script(injected, page) for page in pages)), [column()], RULES, T)

    [finding] = w_v1(verdict)
    assert [e.url for e in finding.evidence[:5]] == pages[:5]
    assert finding.evidence[5].detail == "另有2个页面出现"


def test_allowed_hosts_are_not_reported(tmp_path: Path) -> None:
    conac = script("https://dcs.conac.cn/js/33/000/0000/60429971/CA330000000604299710004.js")
    jiucuo = script("https://zfwzgl.www.gov.cn/exposure/jiucuo.js")
    stats = script("http://127.66.0.9/hm.js")
    overlay = tmp_path / "allow.toml"
    overlay.write_text(
        'version = "local"\n[security]\nallowed_hosts = ["gov.cn", "conac.cn", "127.66.0.9"]\n',
        encoding="utf-8",
    )
    local: RuleSet = load_rules(None, [overlay])

    baseline = evaluate(home(conac, jiucuo, stats), [column()], RULES, T)
    allowed = evaluate(home(conac, jiucuo, stats), [column()], local, T)

    assert [f.message for f in w_v1(baseline)] == [
        "疑似被植入外部脚本：http://127.66.0.9/hm.js（待人工确认）"
    ]
    assert w_v1(allowed) == []


def test_findings_per_site_are_capped_with_a_count_of_the_rest() -> None:
    many = [script(f"http://127.66.1.{i}/x.js") for i in range(MAX_FINDINGS + 4)]

    findings = w_v1(evaluate(home(*many), [column()], RULES, T))

    assert len(findings) == MAX_FINDINGS + 1
    assert findings[-1].message == "另有4项疑似问题未逐一列出（待人工确认）"
    assert all(f.level == "candidate" and not f.holds for f in findings)
