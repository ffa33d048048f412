"""What a site published, for 重要信息转载: its home page entries, the lists of the columns where
reposts go (转载/要闻/动态/通知/政策 columns first) and what its 站内搜索 finds for each item, read
with the same extractor as a sweep; and the platform accounts its home page links to (未备案 check).

Bounded: at most `max_columns` columns and `max_pages` pages of each; a list is followed to its next
page only while its oldest entry is still after `since` (the earliest item's date); one search
query per item (its first results page). The day from which the reading is complete is returned,
so an item older than a list that was cut off is 未能检测. A site whose home page cannot be read
gives None (未能检测 for every item), never 未转载.

The search is the one place that covers every column. When the home page has a search form but the
search fails (an error, a timeout, a challenge or a script-built results page) and the lists read
did not cover the whole site (columns left out by the bound, or a list unreadable), the search was
the only remaining place: each item the lists do not hold is 未能检测 (`unsearched`), not 未转载.
When every column was read whole, the lists alone decide. A site without a search form (or with a
POST one) is judged on its lists, as before.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import msgspec
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.encoding import decode_html
from crawler.extract import extract_page, extract_tree
from crawler.fetch import Fetcher
from crawler.model import ColumnRef, Published
from crawler.platforms.links import linked_account

REPOST_WORDS = ("转载", "要闻", "重要", "动态", "通知", "政策", "公告", "新闻")
MAX_COLUMNS = 12
MAX_PAGES = 3
# The query inputs of the search products gov sites run (TRS, 拓尔思 jsearch, 大汉, 开普云, …).
SEARCH_FIELDS = (
    "q",
    "query",
    "searchword",
    "searchWord",
    "keyword",
    "keywords",
    "word",
    "wd",
    "kw",
    "key",
    "sword",
    "content",
    "text",
    "qt",
    "searchtext",
)
SEARCH_ACTION = re.compile(r"search|sousuo|jsearch|qwjs|/ss[/.]|/so[/.]", re.IGNORECASE)
TEXT_TYPES = ("", "text", "search")
MAX_QUERY_CHARS = 20  # search boxes cut long queries; the distinctive part fits
_TITLE_BREAKS = re.compile(r"[\s，,。：:；;、《》〈〉“”\"'（）()【】\[\]—\-_|｜!！?？]+")


def _priority(column: ColumnRef) -> tuple[int, int]:
    named = any(word in column.name for word in REPOST_WORDS)
    wanted = column.category in ("动态要闻", "通知公告", "政策文件")
    return (0 if "转载" in column.name else 1 if named or wanted else 2, column.level)


class SiteReading(msgspec.Struct):
    """What was read of one site: `entries` None when the home page could not be read (`reason`);
    `complete_from` the day from which the lists read are complete (None: all complete);
    `account_links` the home page's links to platform accounts ("官方微博" …); `unsearched` the
    titles whose search failed while the lists did not cover the site, with why (未能检测 when
    the lists do not hold them)."""

    entries: list[Published] | None
    reason: str = ""
    complete_from: str | None = None
    account_links: list[str] = []
    unsearched: dict[str, str] = {}


class SearchForm(msgspec.Struct, frozen=True):
    """A site's 站内搜索 (a GET form): where it goes, its query input, the other inputs it sends."""

    action: str
    field: str
    params: dict[str, str] = {}

    def url(self, query: str) -> str:
        parts = urlsplit(self.action)
        values = [(k, v) for k, v in self.params.items()] + [(self.field, query)]
        kept = parts.query + "&" if parts.query else ""
        return urlunsplit(parts._replace(query=kept + urlencode(values), fragment=""))


async def site_published(
    fetcher: Fetcher,
    url: str,
    at: date,
    since: date,
    max_columns: int = MAX_COLUMNS,
    max_pages: int = MAX_PAGES,
    titles: list[str] | None = None,
) -> SiteReading:
    """The site's entries (home page, column lists and, for each of `titles`, its search results)."""
    page = await fetcher.get(url)
    if page.body is None:
        return SiteReading(None, f"首页无法访问 ({page.result.error or page.result.status})")
    html, charset = decode_html(page.body, page.content_type)
    tree = LexborHTMLParser(html)
    home = extract_tree(tree, url, at, charset, "home")
    account_links = [link for link in home.links if linked_account(link)]
    entries = [Published(i.title, i.date, i.url or "") for i in home.items]
    complete_from: str | None = None
    columns = sorted(home.columns, key=_priority)
    whole = len(columns) <= max_columns  # every column is read: the lists cover the site
    for column in columns[:max_columns]:
        readable, cut_off = await _read_list(fetcher, column.url, at, since, max_pages, entries)
        whole = whole and readable
        if cut_off is not None:
            complete_from = max(complete_from or cut_off, cut_off)
    unsearched: dict[str, str] = {}
    form = search_form(tree, url)
    for title in titles or []:
        if form is None:
            break
        failure = await _search(fetcher, form, title, at, entries)
        if failure and not whole:
            unsearched[title] = f"站内搜索无法使用（{failure}），且栏目未全部读取"
    return SiteReading(entries, "", complete_from, account_links, unsearched)


def search_form(tree: LexborHTMLParser, base: str) -> SearchForm | None:
    """The home page's 站内搜索: a GET form with a text input named like a query (q, searchword,
    keyword …) or an action that says search (search, sousuo, jsearch …). None when there is none."""
    for form in tree.css("form"):
        method = (form.attributes.get("method") or "get").strip().lower()
        if method != "get":
            continue  # a POST search is not replayed: its results are not a linkable list
        action = (form.attributes.get("action") or "").strip()
        if action.lower().startswith(("javascript:", "#")):
            continue
        texts = [i for i in form.css("input") if _input_type(i) in TEXT_TYPES and _name(i)]
        named = [i for i in texts if _name(i) in SEARCH_FIELDS]
        field = named[0] if named else texts[0] if texts and SEARCH_ACTION.search(action) else None
        if field is None:
            continue
        params = {
            _name(i): i.attributes.get("value") or ""
            for i in form.css("input")
            if _input_type(i) == "hidden" and _name(i) and _name(i) != _name(field)
        }
        target = urljoin(base, action) if action else base
        if urlsplit(target).scheme in ("http", "https"):
            return SearchForm(target, _name(field), params)
    return None


def _name(node: LexborNode) -> str:
    return (node.attributes.get("name") or "").strip()


def _input_type(node: LexborNode) -> str:
    return (node.attributes.get("type") or "").strip().lower()


def search_term(title: str) -> str:
    """The distinctive part of an item's title for a search box: what follows "关于" (the issuer
    before it is on every page of the site), its longest unbroken run, at most MAX_QUERY_CHARS."""
    _, sep, rest = title.partition("关于")
    text = rest if sep and len(rest) >= 6 else title
    return max(_TITLE_BREAKS.split(text), key=len)[:MAX_QUERY_CHARS] or title[:MAX_QUERY_CHARS]


async def _search(
    fetcher: Fetcher, form: SearchForm, title: str, at: date, entries: list[Published]
) -> str:
    """Query the search for `title`, add its first results page to `entries`; "" when the search
    answered, else why it could not be used."""
    url = form.url(search_term(title))
    page = await fetcher.get(url)
    if page.body is None:
        return page.result.error or f"HTTP {page.result.status}"
    text, encoding = decode_html(page.body, page.content_type)
    facts = extract_page(text, url, at, encoding, "list")
    if facts.challenge or facts.needs_browser:
        return facts.challenge or "结果由脚本生成"
    entries += [Published(i.title, i.date, i.url or "") for i in facts.items]
    return ""


async def _read_list(
    fetcher: Fetcher, url: str, at: date, since: date, max_pages: int, entries: list[Published]
) -> tuple[bool, str | None]:
    """Read one list into `entries`, following next pages while it is newer than `since`.
    Returns whether it could be read, and the oldest day read when the list was cut off before
    reaching `since` (else None)."""
    list_url = url
    for page_number in range(1, max_pages + 1):
        page = await fetcher.get(list_url)
        if page.body is None:
            # Not read whole; the site's other lists may still hold the repost.
            return False, None
        text, encoding = decode_html(page.body, page.content_type)
        facts = extract_page(text, list_url, at, encoding, "list")
        entries += [Published(i.title, i.date, i.url or "") for i in facts.items]
        if not facts.next_pages:
            return True, None  # the whole list was read
        oldest = min((i.date for i in facts.items if i.date), default=None)
        if oldest is None:
            return True, at.isoformat()  # undated and paginated: nothing shows how far back
        if oldest <= since.isoformat():
            return True, None  # reached back far enough
        if page_number == max_pages:
            return True, oldest
        list_url = facts.next_pages[0]
    return True, None
