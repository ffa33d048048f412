"""One page in, its facts out (the `govsweep extract` engine). The page is parsed once."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from crawler.challenge import MAX_SHELL_URLS, challenge_product
from crawler.dates import ParsedDate, date_from_url, find_date_spans, parse_date
from crawler.discover import discover_columns, parse_sitemap, parse_xxgk_tree
from crawler.identity import read_identity
from crawler.listpage import (
    absolute_url,
    clean_text,
    extract_list,
    has_running_text,
    home_entries,
    newest,
    page_base,
    script_built_reason,
)
from crawler.model import PageFacts

# What the caller knows the page to be; "sitemap" and "xxgk" pages yield their column tree.
KIND_HINTS = ("home", "list", "article", "sitemap", "xxgk")

_ROOT_PATH = re.compile(r"^/?(?:(?:index|default)\.\w+)?$")
_PUBLISH_LABEL = re.compile(r"(?:发布|发表|公开|上传)(?:时间|日期)\s*[:：]?\s*")
# 时间：/日期： standing alone (not 留言时间, 成文日期, 处罚决定的日期).
_PLAIN_LABEL = re.compile(r"(?<![\u4e00-\u9fff])(?:时间|日期)\s*[:：]\s*")
_DOCUMENT_LABEL = re.compile(r"(?:成文|发文|印发)(?:时间|日期)\s*[:：]?\s*")
# Publication meta of TRS/Hanweb/UCAP templates, then the generic ones.
_PUBLISH_META = ("pubdate", "publishdate", "dc.date", "firstpublishedtime")
# A page whose main list is this long is a list page, whatever its meta or one 发布时间 label say
# (list templates carry the column name in ArticleTitle; an article's 相关文章 list is short).
MIN_LIST_ITEMS = 8
_LABEL_DATE_REACH = 40  # how far after 发布时间： the date may start


def extract_page(
    html: str,
    url: str,
    at: dt.date,
    charset: str | None = None,
    kind_hint: str | None = None,
) -> PageFacts:
    """Everything a checker needs from one page: its kind, list items and newest date, blank or
    script-built list, further pages, columns and footer (home), publication date (article)."""
    _check_input(html, url, at, kind_hint)
    return extract_tree(LexborHTMLParser(html), url, at, charset, kind_hint)


def extract_tree(
    tree: LexborHTMLParser,
    url: str,
    at: dt.date,
    charset: str | None = None,
    kind_hint: str | None = None,
) -> PageFacts:
    """`extract_page` on a tree already parsed, for callers that read the same DOM further
    (the 留言, 办事指南 and W-V1 readers): each page is parsed once. The tree is not modified."""
    base = page_base(tree, url)
    title_node = tree.css_first("title")
    facts = PageFacts(
        url=url,
        kind="other",
        title=clean_text(title_node.text()) if title_node else "",
        charset=charset,
        meta=_meta(tree),
        links=_links(tree, base),
    )
    # A page with many links is no challenge shell: the common case skips the check.
    facts.challenge = challenge_product(tree) if len(facts.links) <= MAX_SHELL_URLS else None
    if facts.challenge:
        # A WAF wall, not the page: neither blank nor stale, it is 未能检测 unless a browser passes it.
        facts.kind = kind_hint if kind_hint in ("home", "list", "article") else "other"
        facts.needs_browser = True
        return facts
    if kind_hint == "home" or (kind_hint is None and _ROOT_PATH.match(urlsplit(url).path)):
        return _home(tree, url, at, facts)
    if kind_hint == "sitemap":
        facts.columns = parse_sitemap(tree, url)
        return facts
    if kind_hint == "xxgk":
        facts.columns = parse_xxgk_tree(tree, url)
        return facts
    meta = {name.lower(): value for name, value in facts.meta.items()}
    if kind_hint == "article" or (kind_hint != "list" and _meta_says_article(meta, url)):
        return _article(tree, url, at, facts, meta)
    listing = extract_list(tree, url, at, base)
    if (
        kind_hint != "list"
        and len(listing.items) < MIN_LIST_ITEMS
        and (meta.get("articletitle") or _looks_like_article(tree))
    ):
        return _article(tree, url, at, facts, meta)  # its 相关文章 list is not the page's
    if listing.items or listing.blank or listing.needs_browser:
        facts.kind = "list"
        facts.items = listing.items
        facts.latest = listing.latest
        facts.latest_item = listing.latest_item
        facts.blank = listing.blank
        facts.blank_reason = listing.blank_reason
        facts.next_pages = listing.next_pages
        facts.needs_browser = listing.needs_browser
    return facts


def _check_input(html: object, url: object, at: object, kind_hint: object) -> None:
    if not isinstance(html, str):
        raise TypeError(
            f"html must be str, got {type(html).__name__} (decode bytes with decode_html)"
        )
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https", "file"):
        raise ValueError(f"url {url!r} is not an absolute http(s) or file URL")
    if parts.scheme != "file" and not parts.netloc:
        raise ValueError(f"url {url!r} has no host")
    if not isinstance(at, dt.date):
        raise TypeError(f"at must be a datetime.date (the monitoring time point), got {at!r}")
    if kind_hint is not None and kind_hint not in KIND_HINTS:
        raise ValueError(f"kind_hint {kind_hint!r} is not one of {', '.join(KIND_HINTS)}")


def _home(tree: LexborHTMLParser, url: str, at: dt.date, facts: PageFacts) -> PageFacts:
    facts.kind = "home"
    facts.columns = discover_columns(tree, url)
    facts.footer = read_identity(tree, url)
    facts.items = home_entries(tree, url, at)
    top = newest(facts.items)
    facts.latest = top.date if top else None
    facts.latest_item = top
    if not facts.items and script_built_reason(tree):
        facts.needs_browser = True  # no dated entry may only mean they are drawn by script
    return facts


def _article(
    tree: LexborHTMLParser, url: str, at: dt.date, facts: PageFacts, meta: dict[str, str]
) -> PageFacts:
    facts.kind = "article"
    published = _published(tree, url, at, meta)
    facts.published = published.date.isoformat() if published else None
    return facts


def _published(
    tree: LexborHTMLParser, url: str, at: dt.date, meta: dict[str, str]
) -> ParsedDate | None:
    """The publication date, most trustworthy source first: the visible 发布时间/发布日期 label (it
    wins over a PubDate meta that disagrees: templates regenerate meta on republishing), the
    publication meta, a plain 时间/日期 label, the URL path, and last the 成文日期 (the document's
    date, which precedes publication)."""
    text = clean_text(tree.body.text(separator=" ")) if tree.body is not None else ""
    found = _labelled_date(text, _PUBLISH_LABEL, at)
    if found:
        return found
    for name in _PUBLISH_META:
        parsed = parse_date(meta.get(name) or "", at)
        if parsed:
            return parsed
    return (
        _labelled_date(text, _PLAIN_LABEL, at)
        or date_from_url(url, at)
        or _labelled_date(text, _DOCUMENT_LABEL, at)
    )


def _labelled_date(text: str, label_re: re.Pattern[str], at: dt.date) -> ParsedDate | None:
    """The date right after the first label of this kind that has one."""
    for label in label_re.finditer(text):
        spans = find_date_spans(text[label.end() : label.end() + _LABEL_DATE_REACH], at)
        if spans and spans[0].start <= 2 and not spans[0].parsed.year_inferred:
            return spans[0].parsed
    return None


def _meta_says_article(meta: dict[str, str], url: str) -> bool:
    """TRS-style pages name the article in meta, with its date in PubDate or the URL; list pages
    leave PubDate empty (some fill ArticleTitle with the column name: the title alone says nothing)."""
    if not meta.get("articletitle"):
        return False
    return bool(meta.get("pubdate")) or date_from_url(url) is not None


def _looks_like_article(tree: LexborHTMLParser) -> bool:
    """One 发布时间 label and running text outside the page chrome."""
    body = tree.body
    if body is None or len(_PUBLISH_LABEL.findall(body.text(separator=" "))) != 1:
        return False
    return has_running_text(body)


def _meta(tree: LexborHTMLParser) -> dict[str, str]:
    meta: dict[str, str] = {}
    for node in tree.css("meta[name]"):
        name = (node.attrs.get("name") or "").strip()
        if name and name not in meta:
            meta[name] = clean_text(node.attrs.get("content"))
    return meta


def _links(tree: LexborHTMLParser, base: str) -> list[str]:
    """Absolute http(s) URLs of every link and image, once each, in page order."""
    found = []
    for node in tree.css("a[href], img[src]"):
        # The selector guarantees the attribute; attrs reads one, attributes builds them all.
        target = absolute_url(node.attrs["href" if node.tag == "a" else "src"], base)
        if target:
            found.append(target)
    return list(dict.fromkeys(found))
