"""W-V1 candidates on one page: 严重表述错误 from a lexicon, hidden links (暗链), and scripts or
frames loaded from another host. They are candidates only: a person confirms them."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.listpage import absolute_url, clean_text, page_base
from crawler.model import Candidate

LEXICON_FILE = Path(__file__).parent / "lexicon.toml"
MAX_PER_KIND = 20  # candidates of one kind per page: a spam-stuffed page says enough with twenty
CONTEXT_CHARS = 12  # text kept on each side of a lexicon hit, as evidence
_SKIP_TEXT = {"script", "style", "noscript", "template"}


class LexiconError(ValueError):
    """The lexicon file cannot be used; the message names the file and the fault."""


class LexiconEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    right: str
    wrong: list[str]
    note: str = ""
    example: bool = False  # shipped to show the format, not a vetted entry


class _LexiconFile(msgspec.Struct, forbid_unknown_fields=True):
    entry: list[LexiconEntry] = []


class Lexicon:
    """Wrong forms to look for, matched longest first in one pass over the text."""

    def __init__(self, entries: list[LexiconEntry]) -> None:
        self.entries = entries
        # Page text is matched with its whitespace removed, so the forms are too.
        self._entry_of = {"".join(form.split()): entry for entry in entries for form in entry.wrong}
        forms = sorted(self._entry_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None

    def hits(self, text: str) -> Iterator[tuple[re.Match[str], LexiconEntry]]:
        if self._pattern is None:
            return
        for match in self._pattern.finditer(text):
            yield match, self._entry_of[match.group()]


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The lexicon in `path` (None: the packaged one); LexiconError names every fault."""
    source = Path(path) if path is not None else LEXICON_FILE
    try:
        data = tomllib.loads(source.read_text("utf-8"))
        entries = msgspec.convert(data, _LexiconFile).entry
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{source}: cannot read the lexicon: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{source}: not valid TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise LexiconError(f"{source}: {exc}") from None
    faults = []
    for i, entry in enumerate(entries):
        if not entry.wrong or any(not form.strip() for form in entry.wrong):
            faults.append(f"{source}: entry[{i}].wrong: give at least one non-empty wrong form")
        for form in entry.wrong:
            if form.strip() and form in entry.right:
                # Every correct use of the term would be reported.
                faults.append(f"{source}: entry[{i}].wrong: {form!r} is part of the right form")
    if faults:
        raise LexiconError("\n".join(faults))
    return Lexicon(entries)


@functools.cache
def default_lexicon() -> Lexicon:
    return load_lexicon()


def scan_page(tree: LexborHTMLParser, url: str, lexicon: Lexicon) -> list[Candidate]:
    """Every W-V1 candidate on a page: lexicon hits, hidden off-site links, off-site scripts/frames."""
    return lexicon_hits(tree, url, lexicon) + hidden_links(tree, url) + foreign_loads(tree, url)


def lexicon_hits(tree: LexborHTMLParser, url: str, lexicon: Lexicon) -> list[Candidate]:
    text = _page_text(tree)
    found: dict[str, Candidate] = {}
    for match, entry in lexicon.hits(text):
        if match.group() in found:
            continue
        context = text[max(0, match.start() - CONTEXT_CHARS) : match.end() + CONTEXT_CHARS]
        found[match.group()] = Candidate(
            kind="lexicon",
            page=url,
            text=match.group(),
            detail=f"规范表述为「{entry.right}」{('，' + entry.note) if entry.note else ''}；"
            f"上下文：…{context}…",
            example=entry.example,
        )
        if len(found) == MAX_PER_KIND:
            break
    return list(found.values())


def _page_text(tree: LexborHTMLParser) -> str:
    """Title and body text without scripts and styles; whitespace removed, so that a term split
    over two elements or two lines is still one term."""
    title = tree.css_first("title")
    parts = [title.text() if title else ""]
    if tree.body is not None:
        for node in tree.body.traverse(include_text=True):
            if (
                node.tag == "-text"
                and node.parent is not None
                and node.parent.tag not in _SKIP_TEXT
            ):
                parts.append(node.text_content or "")
    return re.sub(r"\s+", "", "".join(parts))


_HIDING = (
    ("display:none", re.compile(r"display\s*:\s*none", re.I)),
    ("visibility:hidden", re.compile(r"visibility\s*:\s*hidden", re.I)),
    # position:absolute; left:-9999px / text-indent:-999px (not margin-left, a layout device)
    ("移出可视区域", re.compile(r"(?<![\w-])(?:left|top|text-indent)\s*:\s*-\s*\d{3,}", re.I)),
    ("字号为0或1", re.compile(r"font-size\s*:\s*[01](?:\.\d+)?\s*(?:px|pt)?\s*(?:;|!|$)", re.I)),
)
_ZERO_SIZE = re.compile(r"(?<![\w-])(?:height|width)\s*:\s*0(?:px)?\s*(?:;|!|$)", re.I)
_OVERFLOW_HIDDEN = re.compile(r"overflow\s*:\s*hidden", re.I)


def hidden_links(tree: LexborHTMLParser, url: str) -> list[Candidate]:
    """Links to another host inside an element hidden by its inline style, `hidden` or a 1-pixel
    marquee. Same-host links are left alone: drop-down menus hide those all the time."""
    if tree.body is None:
        return []
    base, host = page_base(tree, url), urlsplit(url).hostname
    found: dict[str, Candidate] = {}
    for holder in tree.body.css("[style], [hidden], marquee"):
        how = _how_hidden(holder)
        if how is None:
            continue
        anchors = [holder] if holder.tag == "a" else holder.css("a[href]")
        for anchor in anchors:
            target = absolute_url(anchor.attributes.get("href"), base)
            if target is None or urlsplit(target).hostname == host or target in found:
                continue
            found[target] = Candidate(
                kind="hidden_link",
                page=url,
                text=clean_text(anchor.text()) or target,
                target=target,
                detail=f"链接被隐藏（{how}）",
            )
            if len(found) == MAX_PER_KIND:
                return list(found.values())
    return list(found.values())


def _how_hidden(node: LexborNode) -> str | None:
    attributes = node.attributes
    if "hidden" in attributes:
        return "hidden属性"
    if node.tag == "marquee" and _tiny(attributes.get("height")) and _tiny(attributes.get("width")):
        return "1像素滚动框"
    style = attributes.get("style") or ""
    for how, pattern in _HIDING:
        if pattern.search(style):
            return how
    if _ZERO_SIZE.search(style) and _OVERFLOW_HIDDEN.search(style):
        return "尺寸为0且溢出隐藏"
    return None


def _tiny(size: str | None) -> bool:
    digits = (size or "").strip().removesuffix("px")
    return digits.isdigit() and int(digits) <= 2


def foreign_loads(tree: LexborHTMLParser, url: str) -> list[Candidate]:
    """Scripts and frames the page loads from another host (tampering often injects these)."""
    base, host = page_base(tree, url), urlsplit(url).hostname
    found: dict[str, Candidate] = {}
    for node in tree.css("script[src], iframe[src], frame[src]"):
        target = absolute_url(node.attributes.get("src"), base)
        if target is None or urlsplit(target).hostname == host or target in found:
            continue
        kind = "script" if node.tag == "script" else "iframe"
        found[target] = Candidate(kind=kind, page=url, text=target, target=target)
        if len(found) == MAX_PER_KIND:
            break
    return list(found.values())
