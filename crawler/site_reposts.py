"""What a site published, for 重要信息转载: its home page entries and the lists of the columns where
reposts go (转载/要闻/动态/通知/政策 columns first), read with the same extractor as a sweep; and the
platform accounts its home page links to (for the 未备案 check).

Bounded: at most `max_columns` columns and `max_pages` pages of each; a list is followed to its next
page only while its oldest entry is still after `since` (the earliest item's date). The day from
which the reading is complete is returned, so an item older than a list that was cut off is
未能检测. A site whose home page cannot be read gives None (未能检测 for every item), never 未转载.
"""

from __future__ import annotations

from datetime import date

import msgspec

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.fetch import Fetcher
from crawler.model import ColumnRef, Published
from crawler.platforms.links import linked_account

REPOST_WORDS = ("转载", "要闻", "重要", "动态", "通知", "政策", "公告", "新闻")
MAX_COLUMNS = 12
MAX_PAGES = 3


def _priority(column: ColumnRef) -> tuple[int, int]:
    named = any(word in column.name for word in REPOST_WORDS)
    wanted = column.category in ("动态要闻", "通知公告", "政策文件")
    return (0 if "转载" in column.name else 1 if named or wanted else 2, column.level)


class SiteReading(msgspec.Struct):
    """What was read of one site: `entries` None when the home page could not be read (`reason`);
    `complete_from` the day from which the lists read are complete (None: all complete);
    `account_links` the home page's links to platform accounts ("官方微博" …)."""

    entries: list[Published] | None
    reason: str = ""
    complete_from: str | None = None
    account_links: list[str] = []


async def site_published(
    fetcher: Fetcher,
    url: str,
    at: date,
    since: date,
    max_columns: int = MAX_COLUMNS,
    max_pages: int = MAX_PAGES,
) -> SiteReading:
    page = await fetcher.get(url)
    if page.body is None:
        return SiteReading(None, f"首页无法访问 ({page.result.error or page.result.status})")
    html, charset = decode_html(page.body, page.content_type)
    home = extract_page(html, url, at, charset, "home")
    account_links = [link for link in home.links if linked_account(link)]
    entries = [Published(i.title, i.date, i.url or "") for i in home.items]
    complete_from: str | None = None
    for column in sorted(home.columns, key=_priority)[:max_columns]:
        cut_off = await _read_list(fetcher, column.url, at, since, max_pages, entries)
        if cut_off is not None:
            complete_from = max(complete_from or cut_off, cut_off)
    return SiteReading(entries, "", complete_from, account_links)


async def _read_list(
    fetcher: Fetcher, url: str, at: date, since: date, max_pages: int, entries: list[Published]
) -> str | None:
    """Read one list into `entries`, following next pages while it is newer than `since`.
    Returns the oldest day read when the list was cut off before reaching `since`, else None."""
    list_url = url
    for page_number in range(1, max_pages + 1):
        page = await fetcher.get(list_url)
        if page.body is None:
            return None  # an unreadable list: the site's other lists may still hold the repost
        text, encoding = decode_html(page.body, page.content_type)
        facts = extract_page(text, list_url, at, encoding, "list")
        entries += [Published(i.title, i.date, i.url or "") for i in facts.items]
        if not facts.next_pages:
            return None  # the whole list was read
        oldest = min((i.date for i in facts.items if i.date), default=None)
        if oldest is None:
            return at.isoformat()  # undated and paginated: nothing shows how far back it goes
        if oldest <= since.isoformat():
            return None  # reached back far enough
        if page_number == max_pages:
            return oldest
        list_url = facts.next_pages[0]
    return None
