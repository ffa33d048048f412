"""Turn the bytes of an HTML page into text, the way a browser would pick the charset."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

# Encodings a page may declare that are really subsets of GB18030: decoding them as GB18030 reads
# characters outside GB2312 (镕, 堃, 喆 …) that real pages contain despite their declaration.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "chinese", "csgb2312"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_PRESCAN_BYTES = 8192  # long <head>s with comments push the meta tag far down


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page: BOM, HTTP charset, <meta> charset, then UTF-8 falling back to GB18030.

    Returns (text, charset used). Invalid bytes are replaced, never raised.
    """
    for bom, charset in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(charset, errors="replace"), charset
    declared = _charset_from_header(content_type)
    if declared is None:
        declared = _charset_from_meta(body)
        if declared == "gb18030":
            # A page saved or re-served as UTF-8 keeps its old gb2312 <meta>: GBK bytes of Chinese
            # text are practically never valid UTF-8, so valid UTF-8 means the meta is stale.
            text = _utf8_text(body)
            if text is not None:
                return text, "utf-8"
    if declared:
        return body.decode(declared, errors="replace"), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace"), "gb18030"


def _utf8_text(body: bytes) -> str | None:
    """The body as text if it is valid UTF-8 with multi-byte characters (pure ASCII says nothing)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if text.isascii() else text


@lru_cache(maxsize=256)  # a handful of labels recur on every page; codecs.lookup is not free
def normalize_charset(label: str) -> str | None:
    """The Python codec for a charset label, GB2312/GBK mapped to GB18030; None when unknown."""
    label = label.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):  # base64, rot13, hex …: not page charsets
        return None
    name = info.name
    if name.startswith("utf-16") or name.startswith("utf-32"):
        # A page whose <meta> we could read as ASCII is not UTF-16; browsers read it as UTF-8.
        return "utf-8"
    return "gb18030" if name in _GB_FAMILY else name


@lru_cache(maxsize=256)  # a host answers the same Content-Type on every page
def _charset_from_header(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalize_charset(match.group(1)) if match else None


def _charset_from_meta(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_META_PRESCAN_BYTES])
    return normalize_charset(match.group(1).decode("ascii", "replace")) if match else None
