"""Read one site: its home page (with the 网站地图 for the column tree) and one column at a time."""

from __future__ import annotations

from datetime import date

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.fetch import Fetcher, Page
from crawler.model import ColumnFacts, ColumnRef, HomeFacts, PageFacts

UNREADABLE = {
    "waf_challenge": "被防火墙(WAF)拦截",
    "timeout": "超时未响应",
    "refused": "连接被拒绝",
    "dns": "域名无法解析",
    "too_large": "页面过大",
    "redirect_loop": "重定向次数过多",
}


def reason_for(page: Page) -> str:
    """A short Chinese reason for a page that could not be read, with the technical code."""
    error = page.result.error or "unknown"
    words = UNREADABLE.get(error.split(":")[0])
    if words is None and error.startswith("http_"):
        words = f"HTTP {page.result.status}"
    return f"{words or '无法读取'} ({error})"


def _parse(page: Page, at: date, kind_hint: str) -> PageFacts:
    text, charset = decode_html(page.body or b"", page.content_type)
    url = page.result.final_url or page.result.url
    facts = extract_page(text, url, at, charset=charset, kind_hint=kind_hint)
    page.result.charset = charset
    return facts


def merge_columns(primary: list[ColumnRef], extra: list[ColumnRef], limit: int) -> list[ColumnRef]:
    """Columns from the home page first; the site map adds what the home page does not link."""
    seen: dict[str, ColumnRef] = {}
    for column in [*primary, *extra]:
        key = column.url.rstrip("/")
        if key not in seen:
            seen[key] = column
    return list(seen.values())[:limit]


async def read_home(fetcher: Fetcher, url: str, at: date, max_columns: int = 200) -> HomeFacts:
    page = await fetcher.get(url)
    if page.body is None:
        return HomeFacts(url=url, fetch=page.result, measured=False, reason=reason_for(page))
    facts = _parse(page, at, "home")
    columns = list(facts.columns)
    sitemap_url = facts.footer.sitemap_url if facts.footer else None
    if sitemap_url:
        sitemap = await fetcher.get(sitemap_url)
        if sitemap.body is not None:
            columns = merge_columns(columns, _parse(sitemap, at, "sitemap").columns, max_columns)
    dated = [item for item in facts.items if item.date]
    return HomeFacts(
        url=url,
        fetch=page.result,
        measured=True,
        items=facts.items,
        latest=facts.latest,
        nav_only=not dated,
        columns=columns[:max_columns],
        footer=facts.footer,
        meta=facts.meta,
    )


async def read_column(
    fetcher: Fetcher, column: ColumnRef, at: date, max_pages: int = 3
) -> ColumnFacts:
    """Read a column's list; follow further pages only while no dated item has been seen."""
    page = await fetcher.get(column.url)
    if page.body is None:
        return ColumnFacts(
            column=column, fetch=page.result, measured=False, reason=reason_for(page)
        )
    facts = _parse(page, at, "list")
    if facts.needs_browser:
        return ColumnFacts(
            column=column,
            fetch=page.result,
            measured=False,
            reason="栏目列表由脚本生成，需浏览器渲染 (needs_browser)",
            needs_browser=True,
        )
    if facts.kind != "list":
        # No list, no blank marker, no script: an article or a page we cannot parse. It is not
        # evidence of a stale or blank column, so it counts towards nothing.
        what = "单篇文章页面，不是信息列表" if facts.kind == "article" else "未找到信息列表"
        return ColumnFacts(
            column=column, fetch=page.result, measured=False, reason=f"栏目页{what} ({facts.kind})"
        )
    items = list(facts.items)
    pages_read = 1
    for next_url in facts.next_pages[: max_pages - 1]:
        if any(item.date for item in items):
            break
        more = await fetcher.get(next_url)
        if more.body is None:
            break
        items.extend(_parse(more, at, "list").items)
        pages_read += 1
    dated = [item for item in items if item.date]
    latest_item = max(dated, key=lambda item: item.date or "") if dated else None
    return ColumnFacts(
        column=column,
        fetch=page.result,
        measured=True,
        items_count=len(items),
        undated_count=len(items) - len(dated),
        latest=latest_item.date if latest_item else None,
        latest_item=latest_item,
        blank=facts.blank and not items,
        blank_reason=facts.blank_reason,
        pages_read=pages_read,
    )
