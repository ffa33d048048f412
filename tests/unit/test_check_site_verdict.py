"""The whole indicator set on one site through `evaluate`: what decides 合格 / 不合格 / 未能检测 and
what is only listed (W-V2 without a week of probes, W-V5-2 without a 留言 list, candidates)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from checkers.availability import CHINA
from checkers.model import FAIL, PASS, SiteContext, Verdict
from checkers.rules import load_rules
from checkers.verdict import evaluate
from crawler.model import (
    Candidate,
    ColumnFacts,
    ColumnRef,
    FetchResult,
    Footer,
    GuideFacts,
    HomeFacts,
    ListItem,
    Message,
    Probe,
)
from crawler.service import ELEMENTS

T = date(2024, 6, 30)
RULES = load_rules()
SITE = "http://127.0.0.1:8206"
CODE = "5200000001"
CONTEXT = SiteContext(site_code=CODE)


def home(*candidates: Candidate) -> HomeFacts:
    return HomeFacts(
        url=f"{SITE}/",
        fetch=FetchResult(url=f"{SITE}/", status=200),
        measured=True,
        items=[ListItem(title="要闻", date=T.isoformat())],
        footer=Footer(
            site_code=CODE,
            meta_site_code=CODE,
            jiucuo_code=CODE,
            icp="黔ICP备05000001号",
            police_record="贵公网安备52010202000001号",
            conac=True,
            sitemap_url=f"{SITE}/sitemap.html",
        ),
        candidates=list(candidates),
    )


def column(name: str, category: str, **facts: object) -> ColumnFacts:
    url = f"{SITE}/{abs(hash(name)) % 10_000}/"
    return ColumnFacts(
        column=ColumnRef(name=name, url=url, category=category),
        fetch=FetchResult(url=url, status=200),
        measured=True,
        latest=T.isoformat(),
        items_count=10,
        **facts,  # type: ignore[arg-type]
    )


ANSWERED = Message(title="问", url=f"{SITE}/m/1.html", asked="2024-05-02", answered="2024-05-06")
COMPLETE_SITE = [
    column("工作动态", "动态要闻"),
    column("政策文件", "政策文件"),
    column("咨询投诉", "互动", message_list=True, messages=[ANSWERED]),
    column(
        "办事指南",
        "办事服务",
        guides=[GuideFacts(url=f"{SITE}/g{i}.html", elements=list(ELEMENTS)) for i in range(5)],
    ),
    column("办件统计", "other"),
]


def probes(total: int, failed: int) -> list[Probe]:
    start = datetime(2024, 6, 24, 0, 30, tzinfo=CHINA)
    return [
        Probe(
            site_id=CODE,
            url=f"{SITE}/",
            at=(start + timedelta(hours=i)).isoformat(),
            outcome="failed" if i < failed else "ok",
            error="timeout" if i < failed else None,
            elapsed_ms=15_000 if i < failed else 300,
        )
        for i in range(total)
    ]


def levels(verdict: Verdict) -> dict[str, str]:
    return {f.indicator: f.level for f in verdict.findings}


def test_a_complete_clean_site_passes_with_full_marks_and_only_w_v2_and_domain_unmeasured() -> None:
    verdict = evaluate(home(), COMPLETE_SITE, RULES, T, CONTEXT)

    assert (verdict.verdict, verdict.score, verdict.blocked_by) == (PASS, 100, [])
    assert levels(verdict) == {"W-V2": "unmeasured", "W-D-domain": "unmeasured", "W-S": "score"}
    assert verdict.unmeasured == [
        "W-V2 站点无法访问：监测时间点前7天内首页有效探测0次，少于140次，其中0次未能在15秒内打开 "
        "(0 probes, 0 failed)",
        "W-D-domain 网站域名：站点以IP地址（127.0.0.1）访问，无法检测域名是否以.gov.cn为后缀",
    ]


def test_a_week_of_probes_with_five_percent_failures_fails_the_site() -> None:
    passing = evaluate(home(), COMPLETE_SITE, RULES, T, CONTEXT, probes(140, 6))
    failing = evaluate(home(), COMPLETE_SITE, RULES, T, CONTEXT, probes(140, 7))

    assert passing.verdict == PASS
    assert levels(passing)["W-V2"] == "warning"  # 4.3 %: past the 3 % warning line
    assert failing.verdict == FAIL
    veto = next(f for f in failing.findings if f.indicator == "W-V2")
    assert (veto.level, veto.holds, veto.rule_version) == ("veto", True, "gov-2019-19")
    assert failing.score is None


def test_candidates_never_fail_a_site() -> None:
    hidden = Candidate(
        kind="hidden_link", page=f"{SITE}/", text="博彩", target="http://127.66.0.1/", detail="隐藏"
    )

    verdict = evaluate(home(hidden), COMPLETE_SITE, RULES, T, CONTEXT)

    assert verdict.verdict == PASS
    assert levels(verdict)["W-V1"] == "candidate"
