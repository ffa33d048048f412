"""重要信息转载 in the simulated province: the province's list of items, reposts planted in text
accounts' posts and on small county sites, each on time, late or missing, with ground truth.

Reposted titles drift as real ones do ("转载：" prefix, a "——来源：中国政府网" suffix, 《》 added);
the checker must still find them. Only clean text accounts (微信, 微博, 头条, 百家号 — 开封's "文字
信息类") carry reposts, so the planted posts never change an account's update verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from checkers.reposts import LATE, MISSING, ON_TIME, UNMEASURED, ImportantItem
from farm.accounts import TEXT_PLATFORMS, AccountSpec, SimPost

ITEMS = [
    (
        "国务院办公厅关于进一步优化政务服务提升行政效能的意见",
        "https://www.gov.cn/zhengce/content/1.htm",
    ),
    ("省人民政府关于做好2024年春季农业生产工作的通知", "https://www.province.gov.test/zwgk/2.html"),
    ("关于开展全省安全生产大检查的通知", "https://www.province.gov.test/tzgg/3.html"),
]
PUBLISHED_DAYS_BEFORE_T = (20, 13, 8)
DEADLINE_DAYS = 3
DRIFT = ("转载：{}", "{}——来源：中国政府网", "【转】{}")
OUTCOMES = (ON_TIME, LATE, MISSING)


def important_items(at: date) -> list[ImportantItem]:
    items = []
    for (title, url), days in zip(ITEMS, PUBLISHED_DAYS_BEFORE_T, strict=True):
        published = at - timedelta(days=days)
        deadline = published + timedelta(days=DEADLINE_DAYS)
        items.append(ImportantItem(title, url, published.isoformat(), deadline.isoformat()))
    return items


def _planned(unit_index: int, item_index: int) -> str:
    return OUTCOMES[(unit_index + item_index) % len(OUTCOMES)]


def _repost_day(item: ImportantItem, outcome: str) -> date:
    if outcome == ON_TIME:
        return date.fromisoformat(item.published) + timedelta(days=1)
    return date.fromisoformat(item.deadline) + timedelta(days=2)


def plant_in_accounts(accounts: list[AccountSpec], items: list[ImportantItem]) -> None:
    """Add repost posts to the clean text accounts, as planned."""
    for spec in accounts:
        if spec.defect or spec.platform not in TEXT_PLATFORMS:
            continue
        for n, item in enumerate(items):
            outcome = _planned(spec.index, n)
            if outcome != MISSING:
                title = DRIFT[(spec.index + n) % len(DRIFT)].format(item.title)
                spec.posts.append(SimPost(_repost_day(item, outcome), title, original=False))


@dataclass
class RepostSite:
    """A county site with a 转载专区 column; `down` sites refuse every request."""

    index: int
    name: str
    down: bool = False
    entries: list[tuple[str, date]] = field(default_factory=list)  # (title, date) in 转载专区


def repost_sites(n: int, items: list[ImportantItem], at: date) -> list[RepostSite]:
    sites = []
    for index in range(n):
        site = RepostSite(index, f"模拟第{index + 1}县人民政府", down=index == n - 1 and n > 2)
        for k, item in enumerate(items):
            outcome = _planned(index, k)
            if outcome != MISSING:
                title = DRIFT[(index + k + 1) % len(DRIFT)].format(item.title)
                site.entries.append((title, _repost_day(item, outcome)))
        site.entries.append(("我市召开安全生产工作会议", at - timedelta(days=2)))
        sites.append(site)
    return sites


def reposts_manifest(
    accounts: list[AccountSpec], sites: list[RepostSite], items: list[ImportantItem]
) -> dict[str, dict[str, str]]:
    """Ground truth: unit key (account 标识码, or "site-<n>") → item title → outcome."""
    truth: dict[str, dict[str, str]] = {}
    for spec in accounts:
        if spec.platform not in TEXT_PLATFORMS:
            continue
        if spec.defect == "blocked":
            truth[spec.account_id] = {i.title: UNMEASURED for i in items}
            continue
        # The feed shows what the account has (WeChat's history has no pinned post); an item older
        # than the oldest post shown may be in the part a reader never sees.
        shown = [p.day for p in spec.posts if not (p.pinned and spec.platform == "wechat")]
        oldest = min(shown, default=None)
        outcomes = {}
        for k, item in enumerate(items):
            outcome = MISSING if spec.defect else _planned(spec.index, k)
            if outcome == MISSING and oldest and oldest > date.fromisoformat(item.published):
                outcome = UNMEASURED
            outcomes[item.title] = outcome
        truth[spec.account_id] = outcomes
    for site in sites:
        if site.down:
            truth[f"site-{site.index}"] = {i.title: UNMEASURED for i in items}
        else:
            truth[f"site-{site.index}"] = {
                i.title: _planned(site.index, k) for k, i in enumerate(items)
            }
    return truth


# Account links on the first repost site's home page: the share button names no account, the
# registered WeChat account is known; the other two are the 未备案 ground truth.
UNREGISTERED_LINKS = (
    "https://weibo.com/u/1234567890",
    "https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=UNREGISTERED0&scene=124",
)


def account_links(site: RepostSite, registered_biz: str) -> list[str]:
    if site.index != 0:
        return []
    registered = f"https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz={registered_biz}"
    share = "http://service.weibo.com/share/share.php?url=x"
    return [registered, *UNREGISTERED_LINKS, share]


def home_page(site: RepostSite, at: date, links: list[str] | None = None) -> str:
    news = "".join(
        f'<li><a href="/zwyw/{k}.html">{title}</a><span>{(at - timedelta(days=d)).isoformat()}</span></li>'
        for k, (title, d) in enumerate(
            [("我市召开安全生产工作会议", 2), ("市领导调研乡村振兴工作", 5)]
        )
    )
    return (
        f"<html><head><title>{site.name}</title></head><body>"
        '<div class="nav"><a href="/">首页</a><a href="/zwyw/">政务要闻</a>'
        '<a href="/zzzq/">转载专区</a><a href="/tzgg/">通知公告</a></div>'
        f'<div class="news"><ul>{news}</ul></div>'
        + "".join(
            f'<div class="follow"><a href="{link}">官方账号</a></div>' for link in links or []
        )
        + "</body></html>"
    )


def repost_list_page(site: RepostSite) -> str:
    entries = sorted(site.entries, key=lambda e: e[1], reverse=True)
    rows = "".join(
        f'<li><a href="/zzzq/{k}.html">{title}</a><span>{day.isoformat()}</span></li>'
        for k, (title, day) in enumerate(entries)
    )
    return (
        "<html><head><title>转载专区</title></head><body>"
        f'<div class="nav"><a href="/">首页</a></div><div class="list"><ul>{rows}</ul></div></body></html>'
    )
