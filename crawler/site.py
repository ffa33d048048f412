"""Read one site: its home page (with the 网站地图 for the column tree) and one column at a time.

Besides the facts of the update checks, every page read yields W-V1 candidates; the home page
yields its 留言 and 办事服务 entry links; 互动 columns yield their public 留言 (completed from a bounded
number of letter pages); the (at most two) columns marked `sample_guides` yield a bounded sample of
办事指南 pages.
"""

from __future__ import annotations

import asyncio
from datetime import date

import msgspec
from selectolax.lexbor import LexborHTMLParser

from crawler.discover import classify, frame_urls
from crawler.encoding import decode_html
from crawler.extract import extract_tree
from crawler.fetch import Fetcher, Page
from crawler.interaction import LOOKBACK, needs_letter, read_letter, read_messages
from crawler.links import LinkChecker
from crawler.listpage import absolute_url, clean_text, page_base
from crawler.model import (
    Candidate,
    ColumnFacts,
    ColumnRef,
    EntryLink,
    GuideFacts,
    HomeFacts,
    ListItem,
    Message,
    PageFacts,
)
from crawler.netguard import BLOCKED
from crawler.security import Lexicon, default_lexicon, scan_page
from crawler.service import read_guide

UNREADABLE = {
    "waf_challenge": "被防火墙(WAF)拦截",
    "timeout": "超时未响应",
    "refused": "连接被拒绝",
    "dns": "域名无法解析",
    "too_large": "页面过大",
    "redirect_loop": "重定向次数过多",
    BLOCKED: "安全策略拒绝访问内网或保留地址",
}
MAX_ENTRY_NAME = 10  # a 留言/办事 entry is a short link name, not an article title
MAX_ENTRY_LINKS = 20
MAX_FRAMES = 3  # frames of a framed home page read for its navigation
GUIDE_PAGES = ("办事指南", "服务指南")
GUIDE_COLUMNS = (
    2  # 办事服务 columns sampled per site: a site's guide sample is at most 2 × max_guides
)


def reason_for(page: Page) -> str:
    """A short Chinese reason for a page that could not be read, with the technical code."""
    error = page.result.error or "unknown"
    words = UNREADABLE.get(error.split(":")[0])
    if words is None and error.startswith("http_"):
        words = f"HTTP {page.result.status}"
    return f"{words or '无法读取'} ({error})"


def _page_url(page: Page) -> str:
    return page.result.final_url or page.result.url


def _parse(page: Page, at: date, kind_hint: str) -> tuple[PageFacts, LexborHTMLParser]:
    """The page's facts and its tree (parsed once) for the readers that need the DOM."""
    text, charset = decode_html(page.body or b"", page.content_type)
    tree = LexborHTMLParser(text)
    facts = extract_tree(tree, _page_url(page), at, charset=charset, kind_hint=kind_hint)
    page.result.charset = charset
    return facts, tree


def merge_columns(primary: list[ColumnRef], extra: list[ColumnRef], limit: int) -> list[ColumnRef]:
    """Columns from the home page first; the site map adds what the home page does not link."""
    seen: dict[str, ColumnRef] = {}
    for column in [*primary, *extra]:
        key = column.url.rstrip("/")
        if key not in seen:
            seen[key] = column
    return list(seen.values())[:limit]


def mark_guide_columns(columns: list[ColumnRef]) -> list[ColumnRef]:
    """Mark the 办事服务 columns whose 办事指南 are sampled: 办事指南 columns first, then 一级 ones,
    GUIDE_COLUMNS at most, so that the sample stays bounded per site (one may be blank)."""
    service = [c for c in columns if c.category == "办事服务"]
    ranked = sorted(
        service, key=lambda c: (not any(word in c.name for word in GUIDE_PAGES), c.level != 1)
    )
    chosen = {id(c) for c in ranked[:GUIDE_COLUMNS]}
    return [
        msgspec.structs.replace(c, sample_guides=True) if id(c) in chosen else c for c in columns
    ]


def entry_links(tree: LexborHTMLParser, url: str) -> tuple[list[EntryLink], list[EntryLink]]:
    """(留言/信箱/咨询 channel links, 办事服务 entry links) of a page, named as the column classes
    name them (信访, 纪检, 举报 are not a 互动 class)."""
    base = page_base(tree, url)
    found: dict[str, dict[str, EntryLink]] = {"互动": {}, "办事服务": {}}
    for anchor in tree.css("a[href]"):
        name = clean_text(anchor.text()) or clean_text(anchor.attributes.get("title"))
        target = absolute_url(anchor.attributes.get("href"), base)
        if not name or len(name) > MAX_ENTRY_NAME or target is None:
            continue
        bucket = found.get(classify(name))
        if bucket is not None and target not in bucket and len(bucket) < MAX_ENTRY_LINKS:
            bucket[target] = EntryLink(name=name, url=target)
    return list(found["互动"].values()), list(found["办事服务"].values())


async def read_home(
    fetcher: Fetcher,
    url: str,
    at: date,
    max_columns: int = 200,
    lexicon: Lexicon | None = None,
    links: LinkChecker | None = None,
) -> HomeFacts:
    lexicon = lexicon or default_lexicon()
    page = await fetcher.get(url)
    if page.body is None:
        return HomeFacts(url=url, fetch=page.result, measured=False, reason=reason_for(page))
    facts, tree = _parse(page, at, "home")
    if facts.challenge:  # an anti-bot wall, not the home page: nothing on it may count
        reason = f"被防火墙(WAF)拦截: {facts.challenge}质询页 (waf_challenge)"
        return HomeFacts(url=url, fetch=page.result, measured=False, reason=reason)
    candidates = scan_page(tree, _page_url(page), lexicon)
    channels, services = entry_links(tree, _page_url(page))
    columns = list(facts.columns)
    if not columns:  # a framed portal: its navigation is in the frames
        for frame_url in frame_urls(tree, _page_url(page))[:MAX_FRAMES]:
            framed = await fetcher.get(frame_url)
            if framed.body is not None:
                columns = merge_columns(columns, _parse(framed, at, "home")[0].columns, max_columns)
    sitemap_url = facts.footer.sitemap_url if facts.footer else None
    if sitemap_url:
        sitemap = await fetcher.get(sitemap_url)
        if sitemap.body is not None:
            sitemap_facts, sitemap_tree = _parse(sitemap, at, "sitemap")
            columns = merge_columns(columns, sitemap_facts.columns, max_columns)
            candidates += scan_page(sitemap_tree, _page_url(sitemap), lexicon)
    dated = [item for item in facts.items if item.date]
    checked = await links.check_page(_page_url(page), facts.links) if links else []
    return HomeFacts(
        url=url,
        fetch=page.result,
        measured=True,
        items=facts.items,
        latest=facts.latest,
        nav_only=not dated,
        columns=mark_guide_columns(columns[:max_columns]),
        footer=facts.footer,
        meta=facts.meta,
        channels=channels,
        services=services,
        candidates=candidates,
        links=checked,
    )


async def read_column(
    fetcher: Fetcher,
    column: ColumnRef,
    at: date,
    max_pages: int = 3,
    *,
    max_message_pages: int = 5,
    max_letters: int = 60,
    max_guides: int = 20,  # INDICATORS.md §2 W-V6: "Sample N guides (e.g. 20)"
    lexicon: Lexicon | None = None,
    links: LinkChecker | None = None,
) -> ColumnFacts:
    """Read a column's list; follow further pages only while no dated item has been seen (and,
    for a 留言 list, while its messages still reach into the year before T). `messages_more` tells
    the checker that 留言 pages were left unread, so it can judge coverage against its own rule."""
    lexicon = lexicon or default_lexicon()
    page = await fetcher.get(column.url)
    if page.body is None:
        return ColumnFacts(
            column=column, fetch=page.result, measured=False, reason=reason_for(page)
        )
    facts, tree = _parse(page, at, "list")
    candidates = scan_page(tree, _page_url(page), lexicon)
    if facts.needs_browser:
        return ColumnFacts(
            column=column,
            fetch=page.result,
            measured=False,
            reason=f"被防火墙(WAF)拦截: {facts.challenge}质询页，需浏览器通过 (waf_challenge)"
            if facts.challenge
            else "栏目列表由脚本生成，需浏览器渲染 (needs_browser)",
            needs_browser=True,
            candidates=candidates,
        )
    desk = _Desk(fetcher, at, max_letters, lexicon)
    if column.category == "互动":
        await desk.start(tree, facts, _page_url(page))
    items = list(facts.items)
    pages_read, pending, seen = 1, list(facts.next_pages), {_page_url(page)}
    page_links = [(_page_url(page), facts.links)]  # every list page read, for the link check
    page_limit = max(max_pages, max_message_pages if desk.found else 1)
    while pending and pages_read < page_limit:
        want_items = pages_read < max_pages and not any(item.date for item in items)
        want_messages = desk.found and _reaches_into_window(desk.messages, at)
        if not (want_items or want_messages):
            break
        next_url = pending.pop(0)
        seen.add(next_url)
        more = await fetcher.get(next_url)
        if more.body is None:
            break
        more_facts, more_tree = _parse(more, at, "list")
        page_links.append((_page_url(more), more_facts.links))
        pages_read += 1
        items.extend(more_facts.items)
        candidates += scan_page(more_tree, _page_url(more), lexicon)
        await desk.add_page(more_tree, more_facts, _page_url(more))
        pending += [url for url in more_facts.next_pages if url not in seen and url not in pending]
    messages = await desk.finish()
    candidates += desk.candidates

    guides: list[GuideFacts] = []
    if column.sample_guides:
        guides, guide_candidates = await _sample_guides(fetcher, items, max_guides, lexicon)
        candidates += guide_candidates
    checked = (
        [s for url, found in page_links for s in await links.check_page(url, found)]
        if links
        else []
    )
    # What every read list page gave, whether or not the column turns out measurable.
    read = ColumnFacts(
        column=column,
        fetch=page.result,
        measured=False,
        pages_read=pages_read,
        message_list=desk.found,
        messages=messages,
        messages_more=desk.found and bool(pending),
        guides=guides,
        candidates=candidates,
        links=checked,
    )
    if facts.kind != "list":
        # No list, no blank marker, no script: an article or a page we cannot parse. It is not
        # evidence of a stale or blank column, so it counts towards nothing.
        what = "单篇文章页面，不是信息列表" if facts.kind == "article" else "未找到信息列表"
        return msgspec.structs.replace(read, reason=f"栏目页{what} ({facts.kind})")
    dated = [item for item in items if item.date]
    latest_item = max(dated, key=lambda item: item.date or "") if dated else None
    return msgspec.structs.replace(
        read,
        measured=True,
        items_count=len(items),
        undated_count=len(items) - len(dated),
        latest=latest_item.date if latest_item else None,
        latest_item=latest_item,
        blank=facts.blank and not items,
        blank_reason=facts.blank_reason,
    )


class _Desk:
    """A 互动 column's public 留言: from its list pages, completed from at most `limit` letter
    pages. A list of bare titles is a 留言 list when its first letter labels a 留言时间."""

    def __init__(self, fetcher: Fetcher, at: date, limit: int, lexicon: Lexicon) -> None:
        self.fetcher, self.at, self.left, self.lexicon = fetcher, at, limit, lexicon
        self.layout: str | None = None  # "list": the list shows 留言; "letters": only their pages
        self.messages: list[Message] = []
        self.candidates: list[Candidate] = []
        self._read: set[str] = set()  # letter pages already read

    @property
    def found(self) -> bool:
        return self.layout is not None

    async def start(self, tree: LexborHTMLParser, facts: PageFacts, url: str) -> None:
        listing = read_messages(tree, url, self.at)
        if listing.found:
            self.layout = "list"
            await self._take(listing.messages)
            return
        titles = _titles(facts.items)
        if not titles:
            return
        first = await self._complete(titles[:1])
        if first[0].asked is not None:
            self.layout = "letters"
            self.messages = first + await self._complete(titles[1:])

    async def add_page(self, tree: LexborHTMLParser, facts: PageFacts, url: str) -> None:
        if self.layout == "list":
            await self._take(read_messages(tree, url, self.at).messages)
        elif self.layout == "letters":  # no dates without the letters: read them page by page
            self.messages += await self._complete(_titles(facts.items))

    async def _take(self, messages: list[Message]) -> None:
        """A list page's 留言; those without a 留言时间 are completed at once: their dates decide
        whether to read on. The others wait for `finish`."""
        if any(message.asked is None for message in messages):
            messages = await self._complete(messages)
        self.messages += messages

    async def finish(self) -> list[Message]:
        """The listed 留言, oldest letters read first: a recent one cannot be late yet."""
        if self.layout == "list":
            self.messages = await self._complete(self.messages, oldest_first=True)
        return self.messages

    async def _complete(self, messages: list[Message], oldest_first: bool = False) -> list[Message]:
        wanted = [
            i
            for i, m in enumerate(messages)
            if needs_letter(m, self.at) and m.url not in self._read
        ]
        if oldest_first:
            wanted.sort(key=lambda i: messages[i].asked or "")
        wanted = wanted[: self.left]
        self.left -= len(wanted)
        self._read.update(messages[i].url or "" for i in wanted)
        pages = await asyncio.gather(*(self.fetcher.get(messages[i].url or "") for i in wanted))
        completed = list(messages)
        for i, page in zip(wanted, pages, strict=True):
            if page.body is None:
                continue  # the list's own facts stand; the checker sees what is still unknown
            text, page.result.charset = decode_html(page.body, page.content_type)
            tree = LexborHTMLParser(text)  # only the DOM readers need this page: one parse
            completed[i] = read_letter(tree, messages[i], self.at)
            self.candidates += scan_page(tree, _page_url(page), self.lexicon)
        return completed


def _titles(items: list[ListItem]) -> list[Message]:
    return [Message(title=item.title, url=item.url) for item in items if item.url]


def _reaches_into_window(messages: list[Message], at: date) -> bool:
    """The oldest dated message read is still inside the year before T: older ones may follow."""
    asked = [message.asked for message in messages if message.asked]
    return bool(asked) and date.fromisoformat(min(asked)) >= at - LOOKBACK


async def _sample_guides(
    fetcher: Fetcher, items: list[ListItem], limit: int, lexicon: Lexicon
) -> tuple[list[GuideFacts], list[Candidate]]:
    """The first `limit` distinct pages the list links to, read as 办事指南."""
    urls = list(dict.fromkeys(item.url for item in items if item.url))[:limit]
    results = await asyncio.gather(*(_read_guide(fetcher, url, lexicon) for url in urls))
    guides = [guide for guide, _ in results]
    candidates = [candidate for _, found in results for candidate in found]
    return guides, candidates


async def _read_guide(
    fetcher: Fetcher, url: str, lexicon: Lexicon
) -> tuple[GuideFacts, list[Candidate]]:
    page = await fetcher.get(url)
    if page.body is None:
        return GuideFacts(url=url, measured=False, reason=reason_for(page)), []
    text, page.result.charset = decode_html(page.body, page.content_type)
    tree = LexborHTMLParser(text)  # only the DOM readers need this page: one parse
    return read_guide(tree, _page_url(page)), scan_page(tree, _page_url(page), lexicon)
