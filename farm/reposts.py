"""重要信息转载 in the simulated province: the province's list of items, reposts planted in text
accounts' posts and on small county sites, each on time, late or missing, with ground truth.

Reposted titles drift as real ones do ("转载：" prefix, a "——来源：中国政府网" suffix, 《》 added);
the checker must still find them. Only clean text accounts (微信, 微博, 头条, 百家号 — 开封's "文字
信息类") carry reposts, so the planted posts never change an account's update verdict.

Every county site has a 站内搜索 (a GET form on its home page, results as a dated list) and more
columns than a repost reading visits (`crawler.site_reposts.MAX_COLUMNS`): its late reposts sit in
the last column (县直部门), which only the search reaches. The second site's search answers 500:
there, what only the search could show is 未能检测, never 未转载.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from checkers.reposts import LATE, MISSING, ON_TIME, UNMEASURED, ImportantItem, normalise
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
TOWNSHIPS = 11  # township columns: with the three news columns, past the 12 a reading visits
SEARCH_FIELD = "searchword"


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
    """A county site with a 转载专区 column; `down` sites refuse every request; `search_broken`
    sites answer their search with a 500."""

    index: int
    name: str
    down: bool = False
    search_broken: bool = False
    entries: list[tuple[str, date]] = field(default_factory=list)  # (title, date) in 转载专区
    hidden: list[tuple[str, date]] = field(default_factory=list)  # in 县直部门: search only


def repost_sites(n: int, items: list[ImportantItem], at: date) -> list[RepostSite]:
    sites = []
    for index in range(n):
        site = RepostSite(
            index,
            f"模拟第{index + 1}县人民政府",
            down=index == n - 1 and n > 2,
            search_broken=index == 1 and n > 2,
        )
        for k, item in enumerate(items):
            outcome = _planned(index, k)
            if outcome != MISSING:
                title = DRIFT[(index + k + 1) % len(DRIFT)].format(item.title)
                place = site.hidden if outcome == LATE else site.entries
                place.append((title, _repost_day(item, outcome)))
        site.entries.append(("我市召开安全生产工作会议", at - timedelta(days=2)))
        sites.append(site)
    return sites


def search_only(sites: list[RepostSite], items: list[ImportantItem]) -> dict[str, list[str]]:
    """Ground truth: per site, the items reposted where only its search finds them."""
    return {
        f"site-{site.index}": [i.title for i in items for t, _ in site.hidden if _holds(t, i)]
        for site in sites
        if site.hidden and not site.down
    }


def _holds(title: str, item: ImportantItem) -> bool:
    return normalise(item.title) in normalise(title)


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
            continue
        outcomes = {}
        for k, item in enumerate(items):
            outcome = _planned(site.index, k)
            listed = any(_holds(t, item) for t, _ in site.entries)
            # Its search broken, a site's other columns past the bound are not read.
            if site.search_broken and not listed:
                outcome = UNMEASURED
            outcomes[item.title] = outcome
        truth[f"site-{site.index}"] = outcomes
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
    townships = "".join(f'<a href="/xz/{n}/">第{n}乡镇</a>' for n in range(1, TOWNSHIPS + 1))
    return (
        f"<html><head><title>{site.name}</title></head><body>"
        '<div class="search"><form action="/search/" method="get" target="_blank">'
        f'<input type="hidden" name="siteid" value="{site.index + 1}">'
        f'<input type="text" name="{SEARCH_FIELD}" value="请输入关键词">'
        '<input type="submit" value="搜索"></form></div>'
        '<div class="nav"><a href="/">首页</a><a href="/zwyw/">政务要闻</a>'
        f'<a href="/zzzq/">转载专区</a><a href="/tzgg/">通知公告</a>{townships}'
        '<a href="/xzbm/">县直部门</a></div>'
        f'<div class="news"><ul>{news}</ul></div>'
        + "".join(
            f'<div class="follow"><a href="{link}">官方账号</a></div>' for link in links or []
        )
        + "</body></html>"
    )


def list_page(name: str, path: str, entries: list[tuple[str, date]]) -> str:
    """A dated list, newest first (a column, or the search's results)."""
    rows = "".join(
        f'<li><a href="/{path}/{k}.html">{title}</a><span>{day.isoformat()}</span></li>'
        for k, (title, day) in enumerate(sorted(entries, key=lambda e: e[1], reverse=True))
    )
    return (
        f"<html><head><title>{name}</title></head><body>"
        f'<div class="nav"><a href="/">首页</a></div><div class="list"><ul>{rows}</ul></div></body></html>'
    )


def site_page(site: RepostSite, path: str, query: dict[str, str], at: date) -> tuple[int, str]:
    """(status, page) of a county site's path other than its home page; (0, "") for the home."""
    if path.startswith("/zzzq/"):
        return 200, list_page("转载专区", "zzzq", site.entries)
    if path.startswith("/xzbm/"):
        return 200, list_page("县直部门", "xzbm", site.hidden)
    if path.startswith("/xz/"):
        return 200, list_page("乡镇动态", "xz", [("乡镇工作动态", at - timedelta(days=3))])
    if path.startswith("/search/"):
        if site.search_broken:
            return 500, "<html><body>500 Internal Server Error</body></html>"
        wanted = normalise(query.get(SEARCH_FIELD, ""))
        found = [e for e in site.entries + site.hidden if wanted and wanted in normalise(e[0])]
        return 200, list_page("搜索结果", "search", found)
    return 0, ""
