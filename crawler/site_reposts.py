"""What a site published, for 重要信息转载: its home page entries and the lists of the columns where
reposts go (转载/要闻/动态/通知/政策 columns first), read with the same extractor as a sweep.

Bounded: at most `max_columns` columns, the first page of each. A site whose home page cannot be read
gives None (未能检测 for every item), never "未转载".
"""

from __future__ import annotations

from datetime import date

from checkers.reposts import Published
from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.fetch import Fetcher
from crawler.model import ColumnRef

REPOST_WORDS = ("转载", "要闻", "重要", "动态", "通知", "政策", "公告", "新闻")
MAX_COLUMNS = 12


def _priority(column: ColumnRef) -> tuple[int, int]:
    named = any(word in column.name for word in REPOST_WORDS)
    wanted = column.category in ("动态要闻", "通知公告", "政策文件")
    return (0 if "转载" in column.name else 1 if named or wanted else 2, column.level)


async def site_published(
    fetcher: Fetcher, url: str, at: date, max_columns: int = MAX_COLUMNS
) -> tuple[list[Published] | None, str]:
    """(entries, "") or (None, why the site could not be read)."""
    page = await fetcher.get(url)
    if page.body is None:
        return None, f"首页无法访问 ({page.result.error or page.result.status})"
    html, charset = decode_html(page.body, page.content_type)
    home = extract_page(html, url, at, charset, "home")
    entries = [Published(i.title, i.date, i.url or "") for i in home.items]
    columns = sorted(home.columns, key=_priority)[:max_columns]
    for column in columns:
        list_page = await fetcher.get(column.url)
        if list_page.body is None:
            continue  # one unreadable column: the others may still hold the repost
        text, encoding = decode_html(list_page.body, list_page.content_type)
        facts = extract_page(text, column.url, at, encoding, "list")
        entries += [Published(i.title, i.date, i.url or "") for i in facts.items]
    return entries, ""
