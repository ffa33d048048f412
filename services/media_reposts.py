"""重要信息转载 across a province: each item of the province's list, looked for on every site (its
home page and repost/news column lists) and every text account (its posts); per-unit tables.

Sites are read here directly (a few pages each, through the shared politeness gates); accounts are
judged from the posts their sweep already read. 开封 2024 Q1 checks 文字信息类 accounts only
(微博, 微信, 头条 …), so video platforms and apps are left out.
"""

from __future__ import annotations

import asyncio
from datetime import date

import msgspec

from checkers.reposts import (
    LATE,
    MISSING,
    ON_TIME,
    UNMEASURED,
    ImportantItem,
    Published,
    RepostOutcome,
    check_unit,
)
from crawler.fetch import Fetcher
from crawler.platforms.base import PLATFORM_NAMES
from crawler.site_reposts import site_published
from services.media_schema import AccountVerdict
from services.report import Table
from services.schema import Site

TEXT_PLATFORMS = ("wechat", "weibo", "toutiao", "baijiahao")
SITE = "政府网站"
ACCOUNT = "政务新媒体"
SUMMARY_HEADER = ["序号", "类型", "名称", "主管单位/地区", ON_TIME, LATE, MISSING, UNMEASURED]
DETAIL_HEADER = ["序号", "类型", "名称", "重要信息", "转载情况", "转载日期", "转载标题"]
SITE_CONCURRENCY = 8


class RepostUnit(msgspec.Struct):
    kind: str  # SITE or ACCOUNT
    key: str  # 网站标识码 or 政务新媒体标识码
    name: str
    owner: str  # 主管单位 (account) or 地区/部门 (site)
    outcomes: list[RepostOutcome]


def account_units(items: list[ImportantItem], verdicts: list[AccountVerdict]) -> list[RepostUnit]:
    units = []
    for v in sorted(verdicts, key=lambda v: v.account.account_id):
        a = v.account
        if a.platform not in TEXT_PLATFORMS:
            continue
        posts = v.facts.posts
        published = [Published(p.title, p.date, p.url) for p in posts] if v.facts.measured else None
        # A feed shows its latest posts only: what is older than the oldest one was not read.
        complete_from = min((p.date for p in posts), default=None)
        name = f"{a.name}（{PLATFORM_NAMES[a.platform]}）"
        outcomes = check_unit(items, published, v.facts.reason, complete_from=complete_from)
        units.append(RepostUnit(ACCOUNT, a.account_id, name, a.unit, outcomes))
    return units


async def site_units(
    fetcher: Fetcher, items: list[ImportantItem], sites: list[Site], at: date
) -> list[RepostUnit]:
    gate = asyncio.Semaphore(SITE_CONCURRENCY)
    since = min((date.fromisoformat(i.published) for i in items), default=at)

    async def one(site: Site) -> RepostUnit:
        async with gate:
            published, reason, complete_from = await site_published(fetcher, site.url, at, since)
        owner = site.region_name or site.region_code
        outcomes = check_unit(items, published, reason, complete_from=complete_from)
        return RepostUnit(SITE, site.site_id, site.name, owner, outcomes)

    return list(await asyncio.gather(*(one(s) for s in sorted(sites, key=lambda s: s.site_id))))


def counts(unit: RepostUnit) -> list[int]:
    found = [o.outcome for o in unit.outcomes]
    return [found.count(k) for k in (ON_TIME, LATE, MISSING, UNMEASURED)]


def repost_summary(items: list[ImportantItem], units: list[RepostUnit]) -> str:
    sites = sum(u.kind == SITE for u in units)
    accounts = len(units) - sites
    totals = (
        [sum(c) for c in zip(*(counts(u) for u in units), strict=True)] if units else [0, 0, 0, 0]
    )
    text = (
        f"本次检查以{sites}家政府网站和{accounts}个文字信息类政务新媒体为样本，对{len(items)}条重要信息"
        f"检查转载及时性：按时转载{totals[0]}次，逾期转载{totals[1]}次，未转载{totals[2]}次"
    )
    if totals[3]:
        text += f"，{totals[3]}次因无法访问未能检测"
    return text + "。"


def repost_tables(units: list[RepostUnit], title: str = "") -> list[Table]:
    summary_rows: list[list[object]] = [
        [n, u.kind, u.name, u.owner, *counts(u)] for n, u in enumerate(units, start=1)
    ]
    detail_rows: list[list[object]] = []
    for u in units:
        for o in u.outcomes:
            if o.outcome != ON_TIME:
                detail_rows.append(
                    [len(detail_rows) + 1, u.kind, u.name, o.item, o.outcome, o.date or "", o.title]
                )
    return [
        Table("重要信息转载情况", f"{title}重要信息转载情况", SUMMARY_HEADER, summary_rows),
        Table(
            "重要信息未按时转载明细", f"{title}重要信息未按时转载明细", DETAIL_HEADER, detail_rows
        ),
    ]
