"""重要信息转载 across a province: each item of the province's list, looked for on every site (its
home page, repost/news column lists and 站内搜索) and every text account (its posts); per-unit tables.

Sites are read here directly (a few pages each, through the shared politeness gates); accounts are
judged from the posts their sweep already read. 开封 2024 Q1 checks 文字信息类 accounts only
(微博, 微信, 头条 …), so video platforms and apps are left out.
"""

from __future__ import annotations

import asyncio
from datetime import date

from checkers.reposts import (
    LATE,
    MISSING,
    ON_TIME,
    UNMEASURED,
    ImportantItem,
    check_unit,
)
from crawler.fetch import Fetcher
from crawler.model import Published
from crawler.platforms.base import PLATFORM_NAMES, is_url
from crawler.platforms.links import account_id, linked_account
from crawler.site_reposts import SiteReading, site_published
from services.bus.media_schema import Account, AccountVerdict, RepostCheck, RepostUnit
from services.bus.schema import Site
from services.reporting.report import Section, Table

TEXT_PLATFORMS = ("wechat", "weibo", "toutiao", "baijiahao")
SITE = "政府网站"
ACCOUNT = "政务新媒体"
SUMMARY_HEADER = ["序号", "类型", "名称", "主管单位/地区", ON_TIME, LATE, MISSING, UNMEASURED]
DETAIL_HEADER = ["序号", "类型", "名称", "重要信息", "转载情况", "转载日期", "转载标题"]
SITE_CONCURRENCY = 8
UNREGISTERED_HEADER = ["序号", "链接所在网站", "平台", "账号地址", "问题"]
UNREGISTERED = "网站链接的账号未在全国政务新媒体信息报送系统备案（待人工确认）"


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


async def read_sites(
    fetcher: Fetcher, items: list[ImportantItem], sites: list[Site], at: date
) -> dict[str, SiteReading]:
    """Each site's published entries back to the earliest item's date, by 网站标识码."""
    gate = asyncio.Semaphore(SITE_CONCURRENCY)
    since = min((date.fromisoformat(i.published) for i in items), default=at)

    async def one(site: Site) -> tuple[str, SiteReading]:
        async with gate:
            titles = [i.title for i in items]
            return site.site_id, await site_published(fetcher, site.url, at, since, titles=titles)

    return dict(await asyncio.gather(*(one(s) for s in sites)))


def site_units(
    items: list[ImportantItem], sites: list[Site], readings: dict[str, SiteReading]
) -> list[RepostUnit]:
    units = []
    for site in sorted(sites, key=lambda s: s.site_id):
        r = readings[site.site_id]
        outcomes = check_unit(
            items, r.entries, r.reason, complete_from=r.complete_from, unread=r.unsearched
        )
        owner = site.region_name or site.region_code
        units.append(RepostUnit(SITE, site.site_id, site.name, owner, outcomes))
    return units


def unregistered(
    sites: list[Site], readings: dict[str, SiteReading], accounts: list[Account]
) -> list[list[object]]:
    """Accounts a site links to that the account registry does not hold: candidates for
    "未在全国政务新媒体信息报送系统备案" (昭通 2020–2021), for a person to confirm."""
    registered = {
        (a.platform, account_id(a.platform, a.address) if is_url(a.address) else a.address)
        for a in accounts
    }
    rows: list[list[object]] = []
    seen: set[tuple[str, str]] = set()
    for site in sorted(sites, key=lambda s: s.site_id):
        for link in readings[site.site_id].account_links:
            key = linked_account(link)
            if key is None or key in registered or key in seen:
                continue
            seen.add(key)
            platform = PLATFORM_NAMES[key[0]]
            rows.append([len(rows) + 1, site.name, platform, link, UNREGISTERED])
    return rows


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
        text += f"，{totals[3]}次未能检测（原因见明细）"
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


def repost_section(check: RepostCheck, title: str = "", prefix: str = "") -> Section:
    """The 重要信息转载 part of a 通报 from a stored check; `prefix`: only the units whose 标识码
    starts with it (a region's report)."""
    units = [u for u in check.units if u.key.startswith(prefix)]
    return Section(
        "重要信息转载情况", repost_summary(check.items, units), repost_tables(units, title)
    )
