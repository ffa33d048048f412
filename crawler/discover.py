"""A site's columns (栏目): from the home page's navigation and 更多 blocks, from the 网站地图 and
from the 信息公开 platform's column tree; each classified by `categories.toml`."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.dates import find_dates
from crawler.listpage import CHROME, absolute_url, clean_text, node_zone, page_base
from crawler.model import ColumnRef

CATEGORIES_FILE = Path(__file__).with_name("categories.toml")
OTHER = "other"

_HOME_NAMES = {"首页", "网站首页", "返回首页", "主页", "门户首页", "home"}
_SITEMAP_NAMES = ("网站地图", "站点地图")
_MORE_TEXTS = {"更多", "more", "查看更多", "更多信息", "更多内容", "更多新闻", "更多>>"}
_ATTACHMENT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|dps|ofd|zip|rar|7z|txt|csv|jpe?g|png|gif|mp4)$", re.I
)
_ARTICLE = re.compile(r"/t\d{8}_\d+\.\w+$|/art/|content_\d+")
_ROOT_INDEX = re.compile(r"^/(?:(?:index|default)\.\w+)?$")
_DIR_INDEX = re.compile(r"/(?:index|default)\.\w+$")
_NAV_TOKEN = re.compile(r"nav|menu|daohang|^dh(?:[-_\d]|$)")
_FOOTER_TOKEN = re.compile(r"footer|^(?:foot|bottom|copyright)(?:[-_\d]|$)")
_SITEMAP_TOKEN = re.compile(r"map|wzdt|zddt")
_TREE_TOKEN = re.compile(r"tree|left|catalog|mulu|gkml|lanmu|^lm(?:[-_\d]|$)")
_FALLBACK_TREE_TOKEN = re.compile(r"menu|side")
_CONTAINER_TAGS = {"ul", "ol", "dl", "dd", "div", "table", "tbody", "p", "section"}
_HEADING_TAGS = "h1, h2, h3, h4, h5, h6, dt, strong, b, span, a, em, li, p"
_ACTIVE_TOKEN = re.compile(r"^(?:on|active|cur|current|hover|sel|selected)$")
_MAX_NAME = 20
MIN_NAV_LINKS = 4  # fewer links is a toolbar, not a site's navigation
MAX_NAV_LINKS = 40
MAX_NAV_NAME = 8  # characters of a navigation entry ("政府信息公开" …)
_LINK_SELECTOR = "a[href], area[href]"
_JS_STRING = re.compile(r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"")
_MAX_BLOCK_CLIMB = 3


def classify(name: str) -> str:
    """The column class of a column name (动态要闻, 通知公告, … or "other")."""
    name = "".join(name.split())
    for category, keywords, exclusions in _categories():
        if any(word in name for word in exclusions):
            continue
        if any(word in name for word in keywords):
            return category
    return OTHER


@functools.cache
def _categories() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    table = tomllib.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return tuple(
        (entry["name"], tuple(entry["keywords"]), tuple(entry.get("exclude", ())))
        for entry in table["class"]
    )


def is_column_url(target: str | None, site_url: str) -> bool:
    """A link that can be a list column of this site: same host, not the home page, not an
    attachment, not an article page."""
    if target is None:
        return False
    parts = urlsplit(target)
    if _host(parts.netloc) != _host(urlsplit(site_url).netloc):
        return False
    if _ROOT_INDEX.match(parts.path) and not parts.query:
        return False
    return not (_ATTACHMENT.search(parts.path) or _ARTICLE.search(parts.path))


def _host(netloc: str) -> str:
    netloc = netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def discover_columns(tree: LexborHTMLParser, url: str) -> list[ColumnRef]:
    """Columns of a home page: the main navigation, then the blocks with a 更多 link."""
    if tree.body is None:
        return []
    base = page_base(tree, url)
    footer = _Footer()
    columns = _nav_columns(tree.body, url, base, footer)
    by_url = {_same_column(column.url): column for column in columns}
    by_name = {column.name: column for column in columns}
    for name, target in _more_blocks(tree.body, url, base, footer):
        if _same_column(target) in by_url:
            continue
        in_nav = by_name.get(name)
        column = ColumnRef(
            name=name,
            url=target,
            category=classify(name),
            level=in_nav.level if in_nav else 2,
            parent=in_nav.parent if in_nav else None,
            source="block",
        )
        by_url[_same_column(target)] = column
        columns.append(column)
    return columns


def parse_sitemap(tree: LexborHTMLParser, url: str) -> list[ColumnRef]:
    """Columns of a 网站地图 page: top entries level 1, their children level 2 with the parent."""
    body = tree.body
    if body is None:
        return []
    base = page_base(tree, url)
    region = _richest(body.css("div, ul, dl, table"), _SITEMAP_TOKEN, url, base)
    if region is not None:
        return _links_in(region, url, base, source="sitemap")
    return _links_in(body, url, base, source="sitemap", skip_chrome=True)


def parse_xxgk_tree(tree: LexborHTMLParser, url: str) -> list[ColumnRef]:
    """Columns of a 政府信息公开 platform from its left column tree (目录)."""
    body = tree.body
    if body is None:
        return []
    base = page_base(tree, url)
    candidates = body.css("div, ul, dl")
    region = _richest(candidates, _TREE_TOKEN, url, base) or _richest(
        candidates, _FALLBACK_TREE_TOKEN, url, base
    )
    return _links_in(region, url, base, source="xxgk") if region is not None else []


def frame_urls(tree: LexborHTMLParser, url: str) -> list[str]:
    """Same-site pages a frameset or visible iframe shows: a framed portal's navigation is there."""
    base = page_base(tree, url)
    found = []
    for frame in tree.css("frame[src], iframe[src]"):
        attrs = frame.attrs
        if attrs.get("width") == "0" or attrs.get("height") == "0":
            continue
        target = absolute_url(attrs.get("src"), base)
        if target and _host(urlsplit(target).netloc) == _host(urlsplit(url).netloc):
            found.append(target)
    return list(dict.fromkeys(found))


def find_sitemap_url(tree: LexborHTMLParser, url: str) -> str | None:
    """The URL of the 网站地图 / 站点地图 link, if the page has one."""
    base = page_base(tree, url)
    for anchor in tree.css("a[href]"):
        label = clean_text(anchor.text()) + (anchor.attrs.get("title") or "")
        if any(name in label for name in _SITEMAP_NAMES):
            return absolute_url(anchor.attrs.get("href"), base)
    return None


# --- regions -----------------------------------------------------------------------------------


def _nav_columns(body: LexborNode, url: str, base: str, footer: _Footer) -> list[ColumnRef]:
    """The main navigation's columns: the element named nav/menu; on older portals without one,
    the first row of short column links (table cells, images, an image map); failing both, the
    menu a script writes (document.write of the navigation markup)."""
    nav = _main_nav(body, url, base, footer)
    columns = _links_in(nav, url, base, source="nav") if nav is not None else []
    if len(columns) < MIN_NAV_LINKS:
        row = _link_row(body, url, base, footer)
        found = _links_in(row, url, base, source="nav") if row is not None else []
        columns = found if len(found) > len(columns) else columns
    if len(columns) < MIN_NAV_LINKS:
        written = _script_markup(body)
        if written:
            fragment = LexborHTMLParser(f"<html><body><div>{written}</div></body></html>").body
            if fragment is not None:
                found = (
                    _nav_columns(fragment, url, base, _Footer()) if "<script" not in written else []
                )
                columns = found if len(found) > len(columns) else columns
    return columns


def _link_row(body: LexborNode, url: str, base: str, footer: _Footer) -> LexborNode | None:
    """The first element (in page order) that is nothing but short column links and separators:
    the navigation bar of a table-layout portal."""
    counts = _link_counts(body)
    # A link sits in several nested containers: its name and whether it is a column, read once.
    names_of: dict[int, tuple[str, bool]] = {}
    for node in body.css("table, tr, td, ul, div, p, map, nav"):
        # The counts spare a CSS query per container: most have too few or too many links.
        if not MIN_NAV_LINKS <= counts.get(hash(node), 0) <= MAX_NAV_LINKS:
            continue
        if footer.holds(node):
            continue
        links = node.css(_LINK_SELECTOR)
        read = []
        for link in links:
            known = names_of.get(hash(link))
            if known is None:
                target = absolute_url(link.attrs.get("href"), base)
                known = names_of[hash(link)] = (_link_name(link), is_column_url(target, url))
            read.append(known)
        names = [name for name, is_column in read if is_column]
        short = [name for name in names if 2 <= len("".join(name.split())) <= MAX_NAV_NAME]
        if len(short) < MIN_NAV_LINKS or 2 * len(short) < len(links):
            continue
        text = len("".join(node.text().split()))
        named = sum(len("".join(name.split())) for name, _ in read)
        if text - named <= len(links) * 2:  # separators (| ·) at most, no running text
            return node
    return None


def _script_markup(body: LexborNode) -> str:
    """The HTML that inline scripts hold in their string literals (document.write menus)."""
    parts = []
    for script in body.css("script"):
        code = script.text()
        if script.attrs.get("src") or "<a" not in code:
            continue
        parts += [single or double for single, double in _JS_STRING.findall(code)]
    return re.sub(r"\\([\"'/])", r"\1", "".join(parts))  # \" inside a literal is a quote


def _main_nav(body: LexborNode, url: str, base: str, footer: _Footer) -> LexborNode | None:
    """The navigation element with the most column links (not one inside the footer)."""
    candidates = [
        node
        for node in body.css("nav, div, ul")
        if (node.tag == "nav" or _matches(node, _NAV_TOKEN)) and not footer.holds(node)
    ]
    return _most_links(candidates, url, base)


def _richest(
    nodes: list[LexborNode], token: re.Pattern[str], url: str, base: str
) -> LexborNode | None:
    return _most_links([node for node in nodes if _matches(node, token)], url, base)


def _most_links(nodes: list[LexborNode], url: str, base: str) -> LexborNode | None:
    best, best_count = None, 0
    for node in nodes:  # document order: an outer element wins a tie with its inner list
        count = sum(
            1
            for anchor in node.css("a[href]")
            if is_column_url(absolute_url(anchor.attrs.get("href"), base), url)
        )
        if count > best_count:
            best, best_count = node, count
    return best


def _matches(node: LexborNode, token: re.Pattern[str]) -> bool:
    attrs = node.attrs
    tokens = f"{attrs.get('id') or ''} {attrs.get('class') or ''}".lower().split()
    return any(token.search(word) for word in tokens)


class _Footer:
    """Whether an element lies inside the page footer (an ancestor below <body> is a <footer> or
    named foot/bottom/copyright), each ancestor judged once per page instead of once per element."""

    def __init__(self) -> None:
        self._is_footer: dict[int, bool] = {}  # hash(element) -> it or an ancestor is a footer

    def holds(self, node: LexborNode) -> bool:
        path: list[LexborNode] = []
        inside = False
        current = node.parent
        while current is not None and current.tag not in ("body", "html"):
            known = self._is_footer.get(hash(current))
            if known is not None:
                inside = known
                break
            path.append(current)
            current = current.parent
        for ancestor in reversed(path):
            inside = inside or ancestor.tag == "footer" or _matches(ancestor, _FOOTER_TOKEN)
            self._is_footer[hash(ancestor)] = inside
        return inside


def _link_counts(body: LexborNode) -> dict[int, int]:
    """hash() of each element holding links -> how many `node.css(_LINK_SELECTOR)` finds in it
    (the element itself included), added up from the links towards the top, each element read once."""
    index: dict[int, int] = {}
    parents: list[int] = []
    depths: list[int] = []
    keys: list[int] = []
    totals: list[int] = []
    for link in body.css(_LINK_SELECTOR):
        new: list[int] = []
        top = -1
        current: LexborNode | None = link
        while current is not None:
            key = hash(current)
            if key in index:
                top = index[key]
                break
            index[key] = len(keys)
            new.append(len(keys))
            keys.append(key)
            parents.append(-1)
            depths.append(0)
            totals.append(0)
            current = current.parent
        parent, depth = top, depths[top] + 1 if top >= 0 else 0
        for node_id in reversed(new):
            parents[node_id], depths[node_id] = parent, depth
            parent, depth = node_id, depth + 1
        totals[new[0] if new else index[hash(link)]] += 1
    for node_id in sorted(range(len(keys)), key=depths.__getitem__, reverse=True):
        if parents[node_id] >= 0:
            totals[parents[node_id]] += totals[node_id]
    return dict(zip(keys, totals, strict=True))


# --- links and their levels --------------------------------------------------------------------


def _links_in(
    root: LexborNode, url: str, base: str, source: str, skip_chrome: bool = False
) -> list[ColumnRef]:
    columns: list[ColumnRef] = []
    seen: set[str] = set()
    zones: dict[int, str] = {}
    for anchor in root.css(_LINK_SELECTOR):
        target = absolute_url(anchor.attrs.get("href"), base)
        name = _link_name(anchor)
        if target is None or not name or not is_column_url(target, url):
            continue
        if "".join(name.split()) in _HOME_NAMES or any(word in name for word in _SITEMAP_NAMES):
            continue
        if skip_chrome and node_zone(anchor, zones) == CHROME:
            continue
        if _same_column(target) in seen:
            continue
        seen.add(_same_column(target))
        parent = _owner(anchor, root)
        columns.append(
            ColumnRef(
                name=name,
                url=target,
                category=classify(name),
                level=2 if parent else 1,
                parent=parent,
                source=source,
            )
        )
    return columns


def _link_name(anchor: LexborNode) -> str:
    """The link text; else its title or alt (an image map's <area>); else its image's alt/title."""
    attrs = anchor.attrs
    name = clean_text(anchor.text()) or clean_text(attrs.get("title") or attrs.get("alt"))
    if not name:
        image = anchor.css_first("img")
        if image is not None:
            name = clean_text(image.attrs.get("alt") or image.attrs.get("title"))
    return name.strip("·•>»› ")


def _owner(anchor: LexborNode, root: LexborNode) -> str | None:
    """The entry a link sits under: the heading or link just before the sub-list holding it
    (`<li><a>政务公开</a><ul>…</ul></li>`, `<dt>…</dt><dd>…</dd>`, `<h3>…</h3><ul>…</ul>`)."""
    region_links = len(root.css("a[href]"))
    node = anchor.parent
    while node is not None and node.mem_id != root.mem_id and node.tag not in ("body", "html"):
        if node.tag in _CONTAINER_TAGS:
            if len(node.css("a[href]")) == region_links:
                return None  # the heading of the whole region ("信息公开目录") is nobody's parent
            heading = _heading_before(node)
            if heading:
                return heading
        node = node.parent
    return None


def _heading_before(node: LexborNode) -> str | None:
    sibling = node.prev
    while sibling is not None and (not sibling.is_element_node or sibling.tag == node.tag):
        sibling = sibling.prev
    if sibling is None or len(sibling.css("a[href]")) > 1:
        return None
    name = clean_text(sibling.text())
    if not 1 <= len(name) <= _MAX_NAME or any(word in name for word in _SITEMAP_NAMES):
        return None
    return name


def _same_column(url: str) -> str:
    """/tzgg/ and /tzgg/index.html are one column."""
    return _DIR_INDEX.sub("/", url)


# --- home page blocks --------------------------------------------------------------------------


def _more_blocks(body: LexborNode, url: str, base: str, footer: _Footer) -> list[tuple[str, str]]:
    """(block title, 更多 URL) of every home block whose heading has a 更多 link."""
    blocks = []
    for anchor in body.css("a[href]"):
        if not _is_more(anchor):
            continue
        target = absolute_url(anchor.attrs.get("href"), base)
        if target is None or not is_column_url(target, url) or footer.holds(anchor):
            continue
        name = _block_title(anchor)
        if name:
            blocks.append((name, target))
    return blocks


def _is_more(anchor: LexborNode) -> bool:
    text = clean_text(anchor.text()).lower().strip("[]【】()（）<>《》»›+＋ .。…").replace(" ", "")
    if text in _MORE_TEXTS:
        return True
    if text:
        return False
    hints = " ".join(
        (
            anchor.attrs.get("class") or "",
            anchor.attrs.get("title") or "",
            *(img.attrs.get("alt") or "" for img in anchor.css("img")),
            *(img.attrs.get("src") or "" for img in anchor.css("img")),
        )
    ).lower()
    return "more" in hints or "更多" in hints


def _block_title(more: LexborNode) -> str | None:
    """The heading shown before a 更多 link: its title attribute, or the nearest short text
    before it within the block."""
    title = clean_text(more.attrs.get("title")).replace("更多", "").strip(">» ")
    if 2 <= len(title) <= _MAX_NAME:
        return title
    node: LexborNode | None = more
    for _ in range(_MAX_BLOCK_CLIMB):
        if node is None:
            break
        sibling = node.prev
        while sibling is not None:
            if sibling.is_element_node:
                name = _heading_in(sibling)
                if name:
                    return name
            sibling = sibling.prev
        parent = node.parent
        if parent is None:
            break
        node = parent
    return None


def _heading_in(node: LexborNode) -> str | None:
    """A heading-like short text in `node`: the active tab of a tab bar, else its first tab, else
    the node's own text; None for lists."""
    text = clean_text(node.text())
    if find_dates(text):
        return None
    candidates = [
        sub for sub in node.css(_HEADING_TAGS) if _is_heading_text(clean_text(sub.text()))
    ]
    for sub in candidates:
        classes = (sub.attrs.get("class") or "").lower().split()
        if any(_ACTIVE_TOKEN.match(word) for word in classes):
            return clean_text(sub.text())
    tabs = {clean_text(sub.text()) for sub in candidates}
    if len(tabs) < 2 and _is_heading_text(text) and len(node.css("a[href]")) <= 1:
        return text
    return clean_text(candidates[0].text()) if candidates else None


def _is_heading_text(text: str) -> bool:
    short = text.lower().strip("[]【】()（）<>《》»›+＋ .。…")
    return 2 <= len(text) <= _MAX_NAME and short not in _MORE_TEXTS
