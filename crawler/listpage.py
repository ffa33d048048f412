"""A list page's main list: its items and their dates, the newest one, blank lists, script-built lists
and the further pages of the list.

The main list is found from the links up: every link climbs to the ancestor that repeats most among
its siblings (the `<li>` of a `<ul>`, the `<tr>` of a table, the `<a>` of a flat list); the repeated
siblings of one parent are a link group, and the group with the most dated items outside the page
chrome (navigation, header, footer, sidebars) is the main list.

Cost is linear in the page: each link ancestor is read from the DOM once, link counts add up from
the bottom, each link's holder is chosen from the top down, and each distinct text is scanned for
dates once (a node access through selectolax builds a Python object: walking up from every link,
and reading subtree texts again per link and per ancestor, was 90 % of `extract_page`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import msgspec
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.dates import DateSpan, ParsedDate, date_from_url, find_date_spans
from crawler.model import ListItem

# A title plus e.g. an attachment and a 详细 link; more links make a page block, not an item.
MAX_LINKS_PER_ITEM = 3
MAX_NEXT_PAGES = 10
MAX_DEPTH = 64  # ancestors of a link looked at
MIN_PARAGRAPH = 60  # characters of running text: an article or text page, not an empty column
# Siblings between two items that may still belong to the first (its date line).
MAX_GAP_ELEMENTS = 4
MAX_ITEM_TEXT = 500  # a title, a date and perhaps a summary; longer is a page block, not an item
MAX_CHUNK_CLIMB = 3  # wrappers between a list chunk's container and the chunks' common parent

MAIN, ASIDE, CHROME = "main", "aside", "chrome"
_CHROME_TAGS = {"nav", "header", "footer"}
_CHROME_TOKEN = re.compile(
    r"nav|menu|header|footer|copyright|crumb|daohang|yqlj|friend|toolbar|pagination|pager|pagebar"
    r"|^(?:top|head|foot|bottom|banner|links?|position|location|logo|weizhi)(?:[-_\d]|$)"
)
# "side" and "hot" as words of a token: not "paddingSide15" or "photo".
_ASIDE_TOKEN = re.compile(
    r"(?:^|[-_]|left|right)side|(?:^|[-_])hot|rank|recommend|tuijian|related|xgwz|xgxx|paihang"
)
# Containers a list is rendered into: an empty one is an empty list (空白栏目).
_LIST_TOKEN = re.compile(r"list|liebiao|news|^(?:lb|items?|article|content|data|info)(?:[-_\d]|$)")

BLANK_MARKERS = tuple(
    "暂无信息 暂无数据 暂无内容 暂无相关信息 暂无记录 暂无文章 栏目建设中 正在建设中 信息正在完善中".split()
)
# One scan of the page text for any of them (each alternative starts with a literal).
_ANY_BLANK_MARKER = re.compile("|".join(map(re.escape, BLANK_MARKERS)))
_PIN_CLASSES = frozenset("top zhiding zd istop is-top settop sticky".split())
_PIN_TEXT = re.compile(r"[\[【(（]?置顶[\]】)）]?")
_NOT_ITEM_TITLES = set("设为首页 加入收藏 无障碍 无障碍浏览 繁体 简体 繁體 长者模式".split())
_PAGER_WORDS = set("首页 上一页 下一页 尾页 末页 上页 下页 前页 后页 跳转 go".split())
_NEXT_WORDS = {"下一页", "下页", "后页", "next", ">", "›", "»"}
_ARTICLE_URL = re.compile(
    r"/t\d{8}_\d+|content_\d+|/art/|detail|article|\d{4,}\.s?html?$|[?&](?:id|docid|infoid)="
)
_MENU_URL = re.compile(r"/$|/(?:index|list|default)[\w-]*\.(?:s?html?|jsp|aspx?|php)$|/col/col\d+")
_INLINE_TAGS = {"span", "em", "i", "font", "small", "b", "strong", "label", "time", "br", "-text"}
_SCRIPT_TAGS = {"script", "style", "noscript", "template", "textarea"}

_LEFT_OK = "[(【〔<《：:|丨/-—"
_RIGHT_OK = "])】〕>》|"
_PUBLISH_LABEL = re.compile(r"发布(?:时间|日期)\s*[:：]?\s*$")

# Each alternative starts with a literal (`f(?<!\wf)` is `\bf`): the regex engine then only tries
# the places where one of those characters stands, not every position of a 20 KB script.
_AJAX = re.compile(
    r"\$\.(?:ajax|get|getJSON|post)\s*\(|f(?<!\wf)etch\s*\(|XMLHttpRequest|axios\.|\.load\s*\("
)
_DOM_BUILD = re.compile(r"innerHTML|\.append\s*\(|\.html\s*\(|insertAdjacentHTML")
_LOOP = re.compile(r"f(?<!\wf)or\s*\(|\.each\s*\(|forEach|\.map\s*\(")
_DOC_WRITE = re.compile(r"document\.write(?:ln)?\s*\(")
_PAGER_WORDS_IN_SCRIPT = ("createPageHTML", "countPage", "下一页")
# Substrings every match of _AJAX / _DOM_BUILD contains: most scripts are skipped without a regex.
_AJAX_HINTS = ("$.", "fetch", "XMLHttpRequest", "axios.", ".load")
_DOM_BUILD_HINTS = ("innerHTML", ".append", ".html", "insertAdjacentHTML")
_PAGER_TEXT = re.compile(
    r"[\d\s/|·.,:：，]|首页|[上下]一?页|尾页|末页|跳转|转到|共|条|第|页|go|确定", re.I
)
_CREATE_PAGE = re.compile(
    r"createPageHTML\s*\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?([\w.]+)\s*,\s*([\w.]+)\s*,"
    r"\s*['\"]?([\w.]+)['\"]?\s*,\s*['\"]?([\w.]+)['\"]?"
)


class ListResult(msgspec.Struct, omit_defaults=True):
    items: list[ListItem] = []
    latest: str | None = None
    latest_item: ListItem | None = None
    blank: bool = False
    blank_reason: str | None = None  # the 暂无… text seen, or "empty list"
    next_pages: list[str] = []
    needs_browser: bool = False
    browser_reason: str | None = None  # iframe, ajax, document.write, script builds the list


def extract_list(
    tree: LexborHTMLParser, url: str, at: dt.date, base: str | None = None
) -> ListResult:
    """Read the main list of a column page (`base`: the page's `page_base`, when the caller has it)."""
    body = tree.body
    if body is None:
        return ListResult()
    base = page_base(tree, url) if base is None else base
    groups = link_groups(body, base, at, zones=(MAIN,))
    main = _best([group for group in groups if group.dated])
    if main is not None:
        return _with_items(tree, main, base, url)
    # No dated list in the content area: a script-built list or a blank column must not be
    # mistaken for the undated links (sub-column menus, related links) that remain.
    browser_reason = script_built_reason(tree)
    if browser_reason:
        return ListResult(needs_browser=True, browser_reason=browser_reason)
    marker = blank_marker(body)
    if marker:
        return ListResult(blank=True, blank_reason=marker)
    fallback = _best(groups) or _best(link_groups(body, base, at, zones=(ASIDE,)))
    if fallback is not None:
        return _with_items(tree, fallback, base, url)
    if _has_empty_list_region(body) and not has_running_text(body):
        return ListResult(blank=True, blank_reason="empty list")
    return ListResult()


def _best(groups: list[LinkGroup]) -> LinkGroup | None:
    """The biggest group, dated items counting thrice."""
    return max(groups, key=lambda g: len(g.items) + 2 * g.dated, default=None)


def home_entries(tree: LexborHTMLParser, url: str, at: dt.date) -> list[ListItem]:
    """The dated entries of every news block of a home page (not navigation, header or footer)."""
    if tree.body is None:
        return []
    groups = link_groups(tree.body, page_base(tree, url), at, zones=(MAIN, ASIDE))
    entries: list[ListItem] = []
    seen: set[tuple[str | None, str]] = set()
    for group in groups:
        for item in group.items:
            if item.date and (item.url, item.title) not in seen:
                seen.add((item.url, item.title))
                entries.append(item)
    return entries


def newest(items: list[ListItem]) -> ListItem | None:
    """The item with the newest date (the first one shown when several share it)."""
    dated = [item for item in items if item.date]
    return max(dated, key=lambda item: item.date or "", default=None)


# --- link groups -------------------------------------------------------------------------------


@dataclass
class LinkGroup:
    """Repeated sibling elements holding links: one candidate list."""

    zone: str
    items: list[ListItem] = field(default_factory=list)

    @property
    def dated(self) -> int:
        return sum(1 for item in self.items if item.date)


@dataclass
class _Member:
    node: LexborNode
    anchors: list[LexborNode]


class _Links:
    """The page's links and all their ancestors, each element read from the DOM once (selectolax
    builds a Python object per node access, which is what made link grouping slow): node ids in
    order of discovery, with parent, depth, tag, class, and how many link targets lie below."""

    def __init__(self, body: LexborNode, anchors: list[LexborNode], at: dt.date) -> None:
        self.body = body
        self.at = at
        self.nodes: list[LexborNode] = []
        self.tags: list[str] = []
        self.parents: list[int] = []
        self.depths: list[int] = []
        self.keys: list[int] = []  # hash(node)
        self.index: dict[int, int] = {}  # hash(node) -> node id
        # One bulk query instead of an attribute read per element: most elements have no class.
        self._classed = body.css("[class]")
        # As attributes.get("class") gives it: None when valueless (a group key tells them apart).
        self.classes: dict[int, str | None] = {
            hash(node): node.attrs["class"] for node in self._classed
        }
        self.titles = {hash(node): node.attrs["title"] or "" for node in body.css("a[title]")}
        self.hrefs = {hash(node): node.attrs["href"] or "" for node in body.css("a[href]")}
        self.anchor_ids = self._climb(anchors)
        self.counts = [0] * len(self.nodes)
        self._zones: dict[int, str] = {}
        self._dates: dict[str, list[tuple[ParsedDate, bool]]] = {}
        self._scripted: set[int] | None = None
        self._node_texts: dict[int, list[str]] = {}  # an item's gap is read by two steps
        self._node_dates: dict[int, list[tuple[ParsedDate, bool]]] = {}
        self._pin_marked: set[int] | None = None
        self._onclicks: dict[int, str] | None = None

    def _climb(self, anchors: list[LexborNode]) -> list[int]:
        """Records the anchors and their ancestors, each once, an ancestor before its descendants
        (so that ids in reverse order go bottom-up); returns the anchors' ids."""
        index, nodes, keys, tags = self.index, self.nodes, self.keys, self.tags
        parents, depths = self.parents, self.depths
        ids = []
        for anchor in anchors:
            path: list[LexborNode] = []  # the ancestors not seen yet, from the anchor up
            path_keys: list[int] = []
            parent = -1
            current: LexborNode | None = anchor
            while current is not None:
                key = hash(current)  # the node's memory address, as mem_id but cheaper
                seen = index.get(key)
                if seen is not None:
                    parent = seen
                    break
                if current.tag in ("html", "-document"):
                    break
                path.append(current)
                path_keys.append(key)
                current = current.parent
            depth = depths[parent] + 1 if parent >= 0 else 0
            for position in range(len(path) - 1, -1, -1):
                node_id = len(nodes)
                node = path[position]
                index[path_keys[position]] = node_id
                nodes.append(node)
                keys.append(path_keys[position])
                tags.append(node.tag or "")
                parents.append(parent)
                depths.append(depth)
                parent, depth = node_id, depth + 1
            ids.append(parent)
        return ids

    def class_of(self, node: LexborNode) -> str:
        return self.classes.get(hash(node)) or ""

    def onclick(self, anchor: LexborNode) -> str:
        if self._onclicks is None:
            found = self.body.css("a[onclick]")
            self._onclicks = {hash(node): node.attrs["onclick"] or "" for node in found}
        return self._onclicks.get(hash(anchor), "")

    def linked(self, node: LexborNode) -> int:
        """How many link targets (up to one more than an item may hold) lie in the node."""
        node_id = self.index.get(hash(node))
        return self.counts[node_id] if node_id is not None else 0

    def zone(self, node_id: int) -> str:
        """`node_zone` on the recorded ancestors, each judged once."""
        path = []
        zone = MAIN
        current = node_id
        while current >= 0:
            if current in self._zones:
                zone = self._zones[current]
                break
            path.append(current)
            current = self.parents[current]
        for ancestor in reversed(path):
            if zone != CHROME:
                node = self.nodes[ancestor]
                own = _own_zone_of(self.tags[ancestor], node.id, self.class_of(node))
                zone = own if own != MAIN else zone
            self._zones[ancestor] = zone
        return zone

    def text_dates(self, text: str) -> list[tuple[ParsedDate, bool]]:
        """`_text_dates`, each distinct text scanned once per page."""
        found = self._dates.get(text)
        if found is None:
            found = self._dates[text] = _text_dates(text, self.at)
        return found

    def dates(self, nodes: list[LexborNode]) -> list[tuple[ParsedDate, bool]]:
        """`text_dates` of every text of the nodes, in order (an element's kept: the gaps of
        `_dates_lead` are read again as item extents)."""
        found: list[tuple[ParsedDate, bool]] = []
        for node in nodes:
            tag = node.tag
            if tag == "-text":
                found.extend(self.text_dates(node.text_content or ""))
            elif tag != "-comment" and tag not in _SCRIPT_TAGS:
                key = hash(node)
                dates = self._node_dates.get(key)
                if dates is None:
                    dates = self._node_dates[key] = []
                    cache, at = self._dates, self.at  # text_dates, inlined: ~20 texts an item
                    for text in self._element_texts(node):
                        text_dates = cache.get(text)
                        if text_dates is None:
                            text_dates = cache[text] = _text_dates(text, at)
                        dates.extend(text_dates)
                found.extend(dates)
        return found

    def texts(self, nodes: list[LexborNode]) -> list[str]:
        """`_texts`: an element without script-like elements inside gives its texts in one call."""
        texts: list[str] = []
        for node in nodes:
            tag = node.tag
            if tag == "-text":
                texts.append(node.text_content or "")
            elif tag == "-comment" or tag in _SCRIPT_TAGS:
                continue
            else:
                texts.extend(self._element_texts(node))
        return texts

    def _element_texts(self, node: LexborNode) -> list[str]:
        key = hash(node)
        found = self._node_texts.get(key)
        if found is None:
            if key in self._scripted_nodes():
                found = _texts([node])
            else:
                # NUL never survives HTML parsing, so it cannot occur inside a text node.
                found = node.text(separator="\x00").split("\x00")
            self._node_texts[key] = found
        return found

    def shows(self, node: LexborNode, word: str) -> bool:
        """`word in node.text()`, from the texts already read when the element has no script."""
        tag = node.tag
        if (
            tag in ("-text", "-comment")
            or tag in _SCRIPT_TAGS
            or hash(node) in self._scripted_nodes()
        ):
            return word in node.text()
        return word in "".join(self._element_texts(node))

    def _scripted_nodes(self) -> set[int]:
        """The elements with a script-like element inside (or being one)."""
        if self._scripted is None:
            self._scripted = _ancestors_of(self.body, self.body.css(", ".join(_SCRIPT_TAGS)))
        return self._scripted

    def pinned(self, node: LexborNode) -> bool:
        """Whether the element holds a 置顶 class or image (itself or inside)."""
        if self._pin_marked is None:
            # One look at every class token of the page first: most pages mark no item pinned.
            page_tokens = " ".join(filter(None, self.classes.values())).lower().split()
            marks = (
                []
                if _PIN_CLASSES.isdisjoint(page_tokens)
                else [
                    node
                    for node in self._classed
                    if not _PIN_CLASSES.isdisjoint(self.class_of(node).lower().split())
                ]
            )
            for image in self.body.css("img"):
                attrs = image.attrs
                text = (attrs.get("src") or "") + (attrs.get("alt") or "")
                if "置顶" in text or "zhiding" in text.lower():
                    marks.append(image)
            self._pin_marked = _ancestors_of(self.body, marks)
        return hash(node) in self._pin_marked


def _ancestors_of(body: LexborNode, nodes: list[LexborNode]) -> set[int]:
    """hash() of the nodes and of all their ancestors up to `body`."""
    found: set[int] = set()
    stop = hash(body)
    for node in nodes:
        current: LexborNode | None = node
        while current is not None:
            key = hash(current)
            if key in found:
                break
            found.add(key)
            if key == stop:
                break
            current = current.parent
    return found


def link_groups(
    body: LexborNode, base: str, at: dt.date, zones: tuple[str, ...] = (MAIN, ASIDE, CHROME)
) -> list[LinkGroup]:
    """Every group of repeated link-bearing siblings in these zones of the page, with their items
    read (reading items is most of the work: the caller names the zones it looks at)."""
    # lexbor returns an element once per selector it matches: a link with both href and onclick
    # came twice, and every per-link step was done twice for it (first occurrences keep the order).
    anchors = list({hash(anchor): anchor for anchor in body.css("a[href], a[onclick]")}.values())
    if not anchors:
        return []
    links = _Links(body, anchors, at)
    anchor_ids = links.anchor_ids
    if max(links.depths[node_id] for node_id in anchor_ids) < MAX_DEPTH:
        best = _best_holders(links, anchors)
    else:
        best = _best_holders_by_chain(links, anchors)

    # Each link belongs to the item-sized ancestor with the most repeated siblings.
    members: dict[tuple, dict[int, _Member]] = {}
    member_ids: dict[tuple, list[int]] = {}
    chunks: dict[int, tuple | None] = {}
    keys: dict[int, tuple] = {}
    for anchor, node_id in zip(anchors, best, strict=True):
        if node_id < 0:
            continue
        node = links.nodes[node_id]
        key = keys.get(node_id)
        if key is None:
            parent = links.nodes[links.parents[node_id]]
            key = keys[node_id] = _group_key(node, parent, chunks, links)
        group_members = members.setdefault(key, {})
        if node_id not in group_members:
            group_members[node_id] = _Member(node, [])
            member_ids.setdefault(key, []).append(node_id)
        group_members[node_id].anchors.append(anchor)

    groups = []
    for key, group_members in members.items():
        zone = _prevailing_zone([links.zone(node_id) for node_id in member_ids[key]])
        if zone not in zones:
            continue
        group = LinkGroup(zone=zone)
        group.items = _read_items(list(group_members.values()), links, base)
        if group.items:
            groups.append(group)
    return groups


def _best_holders(links: _Links, anchors: list[LexborNode]) -> list[int]:
    """For each link, the id of its item-sized ancestor with the most repeated siblings (the
    lowest on ties), or -1. Every link's ancestors reach the top within MAX_DEPTH here, so the
    counts add up bottom-up and a node's link count only grows towards the top."""
    nodes, tags, parents, depths = links.nodes, links.tags, links.parents, links.depths
    # Links counted by target, at most one more than an item holds (that decides everything).
    targets: list[set[tuple[str, ...]] | None] = [None] * len(nodes)
    for anchor, node_id in zip(anchors, links.anchor_ids, strict=True):
        found = targets[node_id]
        if found is None:
            targets[node_id] = {_target(anchor, links)}
        elif len(found) <= MAX_LINKS_PER_ITEM:
            found.add(_target(anchor, links))
    counts, classes, keys = links.counts, links.classes, links.keys
    for node_id in range(len(nodes) - 1, -1, -1):  # bottom-up: a node's set is whole here
        found, parent = targets[node_id], parents[node_id]
        counts[node_id] = len(found) if found else 0
        if parent < 0 or found is None:
            continue
        above = targets[parent]
        if above is None:
            # A full set is never added to again, so it may be shared.
            targets[parent] = found if len(found) > MAX_LINKS_PER_ITEM else set(found)
        elif len(above) <= MAX_LINKS_PER_ITEM:
            above |= found

    # Which item-sized elements repeat under each parent, per tag (with their class).
    candidate = [
        depths[node_id] > 0 and counts[node_id] <= MAX_LINKS_PER_ITEM
        for node_id in range(len(nodes))
    ]
    shared: dict[tuple[int, str, str], int] = defaultdict(int)
    for node_id, is_candidate in enumerate(candidate):
        if is_candidate:
            shared[(parents[node_id], tags[node_id], classes.get(keys[node_id]) or "")] += 1
    repeats: dict[tuple[int, str], int] = {}
    for (parent, tag, _), count in shared.items():
        if count > repeats.get((parent, tag), 0):
            repeats[(parent, tag)] = count

    # Top-down: the best holder on the path from a node up (a lower one wins a tie).
    best = [-1] * len(nodes)
    sizes = [0] * len(nodes)
    for node_id in range(len(nodes)):  # top-down
        if not candidate[node_id]:
            continue
        size = repeats[(parents[node_id], tags[node_id])]
        holder = best[parents[node_id]]
        if holder >= 0 and sizes[holder] > size:
            best[node_id] = holder
        else:
            best[node_id] = node_id
        sizes[node_id] = size
    return [best[node_id] for node_id in links.anchor_ids]


def _best_holders_by_chain(links: _Links, anchors: list[LexborNode]) -> list[int]:
    """`_best_holders` for hostile nesting: each link looks at its MAX_DEPTH nearest ancestors
    only, so the counts are made link by link."""
    parents, tags, nodes = links.parents, links.tags, links.nodes
    chains = []
    for node_id in links.anchor_ids:
        chain: list[int] = []
        while node_id >= 0 and len(chain) < MAX_DEPTH:
            chain.append(node_id)
            node_id = parents[node_id]
        chains.append(chain)
    targets: dict[int, set[tuple[str, ...]]] = defaultdict(set)
    for anchor, chain in zip(anchors, chains, strict=True):
        target = _target(anchor, links)
        for node_id in chain:
            targets[node_id].add(target)
    for node_id, found in targets.items():
        links.counts[node_id] = len(found)
    counts = links.counts

    siblings: dict[tuple[int, str], dict[int, str]] = defaultdict(dict)
    for chain in chains:
        for node_id, parent in zip(chain, chain[1:], strict=False):
            if counts[node_id] > MAX_LINKS_PER_ITEM:
                break
            siblings[(parent, tags[node_id])][node_id] = links.class_of(nodes[node_id])
    repeats = {key: _repeats(classes) for key, classes in siblings.items()}

    best_ids = []
    for chain in chains:
        best, best_size = -1, 0
        for node_id, parent in zip(chain, chain[1:], strict=False):
            if counts[node_id] > MAX_LINKS_PER_ITEM:
                break
            size = repeats[(parent, tags[node_id])]
            if size > best_size:
                best, best_size = node_id, size
        best_ids.append(best)
    return best_ids


def _target(anchor: LexborNode, links: _Links) -> tuple[str, ...]:
    href = links.hrefs.get(hash(anchor), "").strip()
    if href and not href.lower().startswith(("javascript", "#")):
        return (href,)
    # A script link: its handler and the record id it passes tell the target.
    return (href, links.onclick(anchor), anchor.id or "")


def _prevailing_zone(zones: list[str]) -> str:
    """The zone most members are in; on a tie the more peripheral one (a header and a footer
    block side by side under <body> are chrome, not a list)."""
    return max((CHROME, ASIDE, MAIN), key=zones.count)


def _repeats(classes: dict[int, str]) -> int:
    """How many siblings share one class: list items do (a first/last class aside), page blocks
    side by side (header, position, content, footer) do not."""
    counts: dict[str, int] = defaultdict(int)
    for name in classes.values():
        counts[name] += 1
    return max(counts.values())


def _group_key(
    node: LexborNode, parent: LexborNode, chunks: dict[int, tuple | None], links: _Links
) -> tuple:
    """Lists split into sibling chunks form one group: `<ul>` every five items, TRS blocks
    `<div><ul>…</ul></div>` side by side, pagination chunks, a table per few rows."""
    parent_key = hash(parent)
    if parent_key not in chunks:
        chunks[parent_key] = _chunk_key(parent, links)
    chunk = chunks[parent_key]
    if chunk is not None:
        return (*chunk, node.tag)
    grandparent = parent.parent
    if parent.tag in ("ul", "ol", "dl", "tbody", "table", "div") and grandparent is not None:
        return (hash(grandparent), parent.tag, links.classes.get(parent_key), node.tag)
    return (parent_key, node.tag)


def _chunk_key(container: LexborNode, links: _Links) -> tuple | None:
    """Climbs from a list container through wrappers that hold nothing but it, to the first one
    with a twin sibling (same tag and class, page numbers aside): the chunks of one list share its
    parent. A wrapper with more text (a heading, a 相关链接 title) is a block of its own."""
    node = container
    for _ in range(MAX_CHUNK_CLIMB):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html"):
            return None
        if _has_twin(node, links):
            return (hash(parent), node.tag, _shape(links.class_of(node)))
        # Cheap test first (nothing beside it); else the texts compare (empty spacers beside it).
        if not _only_child(node) and _text_beside(node):
            return None
        node = parent
    return None


def _only_child(node: LexborNode) -> bool:
    """Whether the node's siblings are all whitespace or comments."""
    for backwards in (True, False):
        sibling = node.prev if backwards else node.next
        while sibling is not None:
            if sibling.is_element_node or (
                sibling.tag == "-text" and (sibling.text_content or "").strip()
            ):
                return False
            sibling = sibling.prev if backwards else sibling.next
    return True


def _has_twin(node: LexborNode, links: _Links) -> bool:
    shape = _shape(links.class_of(node))
    for backwards in (True, False):
        sibling = node.prev if backwards else node.next
        while sibling is not None and not sibling.is_element_node:
            sibling = sibling.prev if backwards else sibling.next
        if (
            sibling is not None
            and sibling.tag == node.tag
            and _shape(links.class_of(sibling)) == shape
        ):
            return True
    return False


_DIGITS = re.compile(r"\d+")


def _shape(class_name: str) -> str:
    """The class without digits: pagination chunks are often `page1`, `page2` …"""
    return _DIGITS.sub("", class_name)


def _text_beside(node: LexborNode) -> bool:
    """Whether the node's siblings show any text (the parent's text is theirs and the node's:
    comparing the parent's with the node's would read the whole list again)."""
    for backwards in (True, False):
        sibling = node.prev if backwards else node.next
        while sibling is not None:
            if sibling.is_element_node or sibling.tag == "-text":
                if sibling.text().strip():
                    return True
            sibling = sibling.prev if backwards else sibling.next
    return False


def _read_items(members: list[_Member], links: _Links, base: str) -> list[ListItem]:
    member_ids = {hash(member.node) for member in members}
    gaps: dict[tuple[int, bool], list[LexborNode]] = {}
    for index, member in enumerate(members):
        for backwards in (True, False):
            gaps[(index, backwards)] = _gap(member.node, member_ids, links, backwards)
    leading = _dates_lead(members, gaps, links)
    gap_tags: set[str] = set()
    extents = []
    for index, member in enumerate(members):
        last = index == len(members) - 1
        if last and not leading:
            allowed = gap_tags or _INLINE_TAGS
            gap = _gap(member.node, member_ids, links, backwards=False, allowed=allowed)
        else:
            gap = gaps[(index, leading)]
        gap_tags.update(node.tag for node in gap if node.tag)
        extents.append(gap + [member.node] if leading else [member.node] + gap)
    items = []
    for member, extent in zip(members, extents, strict=True):
        item = _read_item(member, extent, links, base)
        if item is not None:
            items.append(item)
    return items


def _dates_lead(
    members: list[_Member], gaps: dict[tuple[int, bool], list[LexborNode]], links: _Links
) -> bool:
    """Whether a flat list shows each date before its link (`<span>03-05</span><a>…</a>`)."""
    before = after = 0
    for index in range(len(members)):
        if _dated(gaps[(index, True)], links):
            before += 1
        if _dated(gaps[(index, False)], links):
            after += 1
    return before > after and 2 * before >= len(members)


def _gap(
    node: LexborNode,
    member_ids: set[int],
    links: _Links,
    backwards: bool,
    allowed: set[str] | None = None,
) -> list[LexborNode]:
    """The siblings between an item and the next (or previous) one that carry no link."""
    gap: list[LexborNode] = []
    elements = 0
    sibling = node.prev if backwards else node.next
    while sibling is not None and elements < MAX_GAP_ELEMENTS:
        if hash(sibling) in member_ids or links.linked(sibling):
            break
        if allowed is not None and sibling.tag not in allowed:
            break
        if sibling.tag != "-text":
            elements += 1
        gap.append(sibling)
        sibling = sibling.prev if backwards else sibling.next
    return gap[::-1] if backwards else gap


def _dated(nodes: list[LexborNode], links: _Links) -> bool:
    return bool(links.dates(nodes))


def _texts(nodes: list[LexborNode]) -> list[str]:
    texts = []
    for node in nodes:
        if node.tag == "-text":
            texts.append(node.text_content or "")
        elif node.tag not in _SCRIPT_TAGS:
            for sub in node.traverse(include_text=True):
                if sub.tag == "-text" and sub.parent is not None:
                    if sub.parent.tag not in _SCRIPT_TAGS:
                        texts.append(sub.text_content or "")
    return texts


def _text_dates(text: str, at: dt.date) -> list[tuple[ParsedDate, bool]]:
    """The dates of one text node that stand apart from words (not "于2024年3月5日召开"),
    each with whether it is labelled as the publication date."""
    found = []
    for span in find_date_spans(text, at):
        if _stands_apart(text, span):
            labelled = bool(
                _PUBLISH_LABEL.search(text[: span.start])
            ) or span.parsed.text.startswith("发布")
            found.append((span.parsed, labelled))
    return found


def _stands_apart(text: str, span: DateSpan) -> bool:
    before, after = text[: span.start], text[span.end :]
    left = not before.strip() or before[-1].isspace() or before.rstrip()[-1] in _LEFT_OK
    right = not after.strip() or after[0].isspace() or after.lstrip()[0] in _RIGHT_OK
    return left and right


def _read_item(
    member: _Member, extent: list[LexborNode], links: _Links, base: str
) -> ListItem | None:
    anchors = member.anchors
    if len(anchors) == 1:
        anchor, title = anchors[0], _anchor_title(anchors[0], links)
    else:
        titles = [_anchor_title(anchor, links) for anchor in anchors]
        best = max(range(len(titles)), key=lambda index: len(titles[index]))
        anchor, title = anchors[best], titles[best]
    url = absolute_url(links.hrefs.get(hash(anchor)), base)
    texts = links.texts(extent)
    # The raw length bounds the stripped one: most items are measured without stripping.
    if sum(map(len, texts)) > MAX_ITEM_TEXT and sum(len(t.strip()) for t in texts) > MAX_ITEM_TEXT:
        return None
    dates = links.dates(extent)
    chosen = _choose_date(dates, links.at)
    if chosen is None and url:
        chosen = date_from_url(url, links.at)
    pinned = _is_pinned(extent, title, links)
    title = clean_text(_PIN_TEXT.sub(" ", title) if "置顶" in title else title)
    if chosen is not None and chosen.text in title:
        title = clean_text(title.replace(chosen.text, " ")).strip("[]()【】（） ")
    if not _is_item(title, url, chosen is not None):
        return None
    return ListItem(
        title=title,
        url=url,
        date=chosen.date.isoformat() if chosen else None,
        date_text=chosen.text if chosen else None,
        year_inferred=chosen.year_inferred if chosen else False,
        pinned=pinned,
    )


def _anchor_title(anchor: LexborNode, links: _Links) -> str:
    text = clean_text(anchor.text(separator=" "))
    attr = links.titles.get(hash(anchor))
    if attr and len(attr := clean_text(attr)) > len(text) and "://" not in attr:
        return attr  # the text is often cut short ("…"), the title attribute is whole
    if not text:
        image = anchor.css_first("img[alt]")
        return clean_text(image.attrs.get("alt") or "") if image else ""
    return text


def _choose_date(dates: list[tuple[ParsedDate, bool]], at: dt.date) -> ParsedDate | None:
    """The publication date: the one labelled 发布 if any, else the newest not after T."""
    if not dates:
        return None
    labelled = [parsed for parsed, is_labelled in dates if is_labelled]
    if labelled:
        return labelled[0]
    past = [parsed for parsed, _ in dates if parsed.date <= at]
    if past:
        return max(past, key=lambda parsed: parsed.date)
    return min((parsed for parsed, _ in dates), key=lambda parsed: parsed.date)


def _is_pinned(extent: list[LexborNode], title: str, links: _Links) -> bool:
    if "置顶" in title:
        return True
    for node in extent:
        if node.tag == "-text":
            if "置顶" in (node.text_content or ""):
                return True
            continue
        if links.pinned(node) or links.shows(node, "置顶"):
            return True
    return False


def _is_item(title: str, url: str | None, dated: bool) -> bool:
    """Dated links are items; undated ones only when they look like articles, not menus or pagers."""
    if len(title) < 2 or title in _NOT_ITEM_TITLES or title.lower() in _PAGER_WORDS:
        return False
    if title.isdigit():
        return False
    if dated:
        return True
    path = urlsplit(url).path if url else ""
    if _MENU_URL.search(path):
        return False
    # Short undated names ("政务公开") are menus unless they lead to an article page.
    return len(title) > 4 or bool(url and _ARTICLE_URL.search(url))


# --- zones -------------------------------------------------------------------------------------


def node_zone(node: LexborNode, cache: dict[int, str] | None = None) -> str:
    """chrome (navigation, header, footer, breadcrumbs, friend links), aside (sidebars, hot lists)
    or main, judged from the element and its ancestors: chrome wins over aside over main."""
    cache = {} if cache is None else cache
    path = []
    zone = MAIN
    current: LexborNode | None = node
    while current is not None and current.tag not in ("html", "-document"):
        key = hash(current)  # the node's memory address, as mem_id but cheaper to read
        if key in cache:
            zone = cache[key]
            break
        path.append(current)
        current = current.parent
    for ancestor in reversed(path):  # from the top down, each node's zone includes its ancestors'
        if zone != CHROME:
            own = _own_zone(ancestor)
            zone = own if own != MAIN else zone
        cache[hash(ancestor)] = zone
    return zone


def _own_zone(node: LexborNode) -> str:
    # attrs reads one attribute; attributes would build them all
    return _own_zone_of(node.tag or "", node.id, node.attrs.get("class"))


@functools.lru_cache(maxsize=4096)  # a site's template repeats its ids and classes page after page
def _own_zone_of(tag: str, element_id: str | None, class_name: str | None) -> str:
    if tag in _CHROME_TAGS:
        return CHROME
    if tag == "aside":
        return ASIDE
    tokens = f"{element_id or ''} {class_name or ''}".lower().split()
    if any(_CHROME_TOKEN.search(token) for token in tokens):
        return CHROME
    if any(_ASIDE_TOKEN.search(token) for token in tokens):
        return ASIDE
    return MAIN


def _tokens(node: LexborNode) -> list[str]:
    attrs = node.attrs
    return f"{attrs.get('id') or ''} {attrs.get('class') or ''}".lower().split()


# --- blank and script-built lists --------------------------------------------------------------


def blank_marker(body: LexborNode) -> str | None:
    """The 暂无信息-style text shown outside the page chrome and scripts, if any."""
    if not _ANY_BLANK_MARKER.search(body.text()):
        return None
    for node in body.traverse(include_text=True):
        if node.tag != "-text" or node.parent is None or node.parent.tag in _SCRIPT_TAGS:
            continue
        text = node.text_content or ""
        for marker in BLANK_MARKERS:
            if marker in text and node_zone(node.parent) != CHROME:
                return marker
    return None


def script_built_reason(tree: LexborHTMLParser) -> str | None:
    """Why the page's list is produced by script (and needs a browser), or None."""
    zones: dict[int, str] = {}
    for frame in tree.css("iframe"):
        attrs = frame.attrs
        hidden = attrs.get("width") == "0" or attrs.get("height") == "0"
        hidden = hidden or "display:none" in (attrs.get("style") or "").replace(" ", "")
        if not hidden and node_zone(frame, zones) != CHROME:
            return "iframe"
    for script in tree.css("script"):
        if script.attrs.get("src"):
            continue
        code = script.text()
        if (
            not code.strip()
            or any(word in code for word in _PAGER_WORDS_IN_SCRIPT)
            or node_zone(script, zones) == CHROME
        ):
            continue
        if _contains(code, _AJAX_HINTS, _AJAX):
            return "ajax"
        if "document.write" in code and _DOC_WRITE.search(code) and "<" in code:
            return "document.write"
        if _contains(code, _DOM_BUILD_HINTS, _DOM_BUILD) and _LOOP.search(code):
            return "script builds the list"
    return None


def _contains(code: str, hints: tuple[str, ...], pattern: re.Pattern[str]) -> bool:
    return any(hint in code for hint in hints) and pattern.search(code) is not None


def has_running_text(body: LexborNode) -> bool:
    """Whether the page shows a paragraph of text outside its chrome (an article, an 概况 page)."""
    zones: dict[int, str] = {}
    for node in body.traverse(include_text=True):
        if node.tag != "-text" or node.parent is None or node.parent.tag in _SCRIPT_TAGS:
            continue
        text = node.text_content or ""
        if len(text.strip()) >= MIN_PARAGRAPH and node_zone(node.parent, zones) != CHROME:
            return True
    return False


def _has_empty_list_region(body: LexborNode) -> bool:
    """A list container in the content area with nothing in it."""
    for node in body.css("ul, ol, tbody, table, div"):
        is_list = node.tag in ("ul", "ol", "tbody", "table") or any(
            _LIST_TOKEN.search(token) for token in _tokens(node)
        )
        if not is_list or node.css_first("a, img, iframe"):
            continue
        cells = (
            " ".join(td.text() for td in node.css("td")) if node.tag in ("table", "tbody") else ""
        )
        text = cells if node.tag in ("table", "tbody") else node.text()
        if not text.strip() and node_zone(node) == MAIN:
            return True
    return False


# --- pagination --------------------------------------------------------------------------------


def next_pages(tree: LexborHTMLParser, url: str, base: str | None = None) -> list[str]:
    """The further pages of the list, in order, at most MAX_NEXT_PAGES (`base`: the page's
    `page_base`, when the caller has it)."""
    base = page_base(tree, url) if base is None else base
    return (_trs_pages(tree, base) or _pager_links(tree, base, url))[:MAX_NEXT_PAGES]


def _trs_pages(tree: LexborHTMLParser, base: str) -> list[str]:
    """TRS WCM: createPageHTML(total, current, "index", "html"); page 1 is index.html, then index_1…"""
    for script in tree.css("script"):
        code = script.text()
        if "createPageHTML" not in code:
            continue
        for match in _CREATE_PAGE.finditer(code):
            args = [_resolve_js_value(code, arg) for arg in match.groups()]
            total, current, prefix, suffix = args
            if not (total.isdigit() and current.isdigit()):
                continue
            first, last = int(current) + 1, min(int(total), int(current) + 1 + MAX_NEXT_PAGES)
            return [urljoin(base, f"{prefix}_{page}.{suffix}") for page in range(first, last)]
    return []


def _resolve_js_value(code: str, arg: str) -> str:
    """A literal argument as is; a variable (countPage) from its `var countPage = 5` assignment."""
    if arg.isdigit() or not re.fullmatch(r"[A-Za-z_$][\w$]*", arg):
        return arg
    assignment = re.search(rf"\b{re.escape(arg)}\s*=\s*['\"]?([\w.]+)['\"]?", code)
    return assignment.group(1) if assignment else arg


def _pager_links(tree: LexborHTMLParser, base: str, url: str) -> list[str]:
    """Ordinary pagers: numbered links and 下一页."""
    containers: dict[int, tuple[LexborNode, dict[int, str], list[str]]] = {}
    for anchor in tree.css("a[href]"):
        text = " ".join(anchor.text().split()).strip("[]【】 ").lower()  # clean_text, inlined
        is_number = text.isdigit() and len(text) <= 4
        if not is_number and text not in _NEXT_WORDS:
            continue
        target = absolute_url(anchor.attrs.get("href"), base)
        if target is None:
            continue
        container = anchor.parent
        while container is not None and container.tag in (
            "li",
            "span",
            "em",
            "b",
            "strong",
            "font",
        ):
            container = container.parent
        if container is None:
            continue
        _, numbers, nexts = containers.setdefault(container.mem_id, (container, {}, []))
        if is_number:
            numbers.setdefault(int(text), target)
        else:
            nexts.append(target)
    for container, numbers, nexts in containers.values():
        if not nexts and len(numbers) < 2 and not _only_pager_text(container):
            continue  # a lone numbered link is a pager only in a box of page numbers
        current = _current_page(container, numbers, url)
        pages = [numbers[n] for n in sorted(numbers) if n > current]
        if nexts and nexts[0] not in pages:
            pages.insert(0, nexts[0])
        this_page = urldefrag(url).url
        return list(dict.fromkeys(page for page in pages if page != this_page))
    return []


def _only_pager_text(container: LexborNode) -> bool:
    return len(_PAGER_TEXT.sub("", container.text())) <= 2


def _current_page(container: LexborNode, numbers: dict[int, str], url: str) -> int:
    """The page shown: the number printed without a link, or linked to this very URL, else 1."""
    this_page = urldefrag(url).url
    for number, target in numbers.items():
        if target == this_page:
            return number
    linked = {clean_text(anchor.text()) for anchor in container.css("a")}
    printed = re.findall(r"(?<![\d/])\d{1,4}(?![\d/])", container.text(separator=" "))
    unlinked = [int(n) for n in printed if n not in linked and int(n) not in numbers]
    in_range = [n for n in unlinked if numbers and min(numbers) - 1 <= n <= max(numbers) + 1]
    return in_range[0] if in_range else 1


# --- shared helpers ----------------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    """Whitespace (including &nbsp; and the ideographic space) collapsed to single spaces."""
    return " ".join((text or "").split())


def page_base(tree: LexborHTMLParser, url: str) -> str:
    """The URL relative links resolve against (`<base href>` when the page sets one)."""
    base = tree.css_first("base[href]")
    return urljoin(url, base.attrs.get("href") or "") if base else url


@functools.lru_cache(maxsize=4096)  # the same hrefs recur on a page and across a site's pages
def absolute_url(href: str | None, base: str) -> str | None:
    """An absolute http(s) URL without fragment; None for javascript:, mailto:, anchors and junk."""
    href = (href or "").strip()
    if not href or href.startswith("#") or href[:11].lower() == "javascript:":
        return None  # urljoin keeps a javascript: link as it is: never http(s)
    try:
        target = urldefrag(urljoin(base, href)).url
        scheme = urlsplit(target).scheme
    except ValueError:  # malformed (e.g. an invalid IPv6 host)
        return None
    return target if scheme in ("http", "https") else None


def _with_items(tree: LexborHTMLParser, group: LinkGroup, base: str, url: str) -> ListResult:
    top = newest(group.items)
    return ListResult(
        items=group.items,
        latest=top.date if top else None,
        latest_item=top,
        next_pages=next_pages(tree, url, base),
    )
