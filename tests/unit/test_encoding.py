"""decode_html picks the charset the way a browser does and never raises on bad bytes."""

from __future__ import annotations

import codecs

import pytest

from crawler.encoding import decode_html, normalize_charset

# 朱镕基 and 堃 are in GBK but not in GB2312: pages that declare gb2312 still contain them.
GBK_TEXT = "国务院总理朱镕基视察堃山水库"


def _page(charset_meta: str, body: str) -> str:
    return f"<html><head>{charset_meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_gb2312_declared_page_with_gbk_only_characters_reads_as_gb18030() -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    raw = _page(meta, GBK_TEXT).encode("gbk")
    text, charset = decode_html(raw)
    assert charset == "gb18030"
    assert GBK_TEXT in text
    assert "\ufffd" not in text


def test_http_header_charset_wins_over_meta() -> None:
    raw = _page('<meta charset="utf-8">', GBK_TEXT).encode("gbk")
    text, charset = decode_html(raw, "text/html; charset=GBK")
    assert charset == "gb18030"
    assert GBK_TEXT in text


def test_html5_meta_charset() -> None:
    raw = _page('<meta charset="GBK" />', GBK_TEXT).encode("gbk")
    assert decode_html(raw, "text/html") == (_page('<meta charset="GBK" />', GBK_TEXT), "gb18030")


def test_utf8_bom_wins_over_header_and_is_stripped() -> None:
    raw = codecs.BOM_UTF8 + _page("", GBK_TEXT).encode("utf-8")
    text, charset = decode_html(raw, "text/html; charset=gbk")
    assert charset == "utf-8"
    assert text.startswith("<html>")
    assert GBK_TEXT in text


def test_utf16_bom() -> None:
    raw = codecs.BOM_UTF16_LE + _page("", GBK_TEXT).encode("utf-16-le")
    text, charset = decode_html(raw)
    assert charset == "utf-16-le"
    assert GBK_TEXT in text


def test_undeclared_utf8_page() -> None:
    text, charset = decode_html(_page("", GBK_TEXT).encode("utf-8"))
    assert (charset, GBK_TEXT in text) == ("utf-8", True)


def test_undeclared_gbk_page_falls_back_to_gb18030() -> None:
    text, charset = decode_html(_page("", GBK_TEXT).encode("gbk"))
    assert (charset, GBK_TEXT in text) == ("gb18030", True)


def test_invalid_bytes_are_replaced_not_raised() -> None:
    raw = _page('<meta charset="utf-8">', "通知公告").encode("utf-8") + b"\xff\xfe\x80 tail"
    text, charset = decode_html(raw)
    assert charset == "utf-8"
    assert "通知公告" in text and "\ufffd" in text and text.endswith(" tail")


def test_truncated_gbk_page_keeps_what_it_can() -> None:
    raw = _page("", GBK_TEXT).encode("gbk")[:-1] + b"\xd5"  # cut inside a double-byte char
    text, charset = decode_html(raw)
    assert charset == "gb18030"
    assert GBK_TEXT in text


def test_unknown_or_non_text_charset_labels_are_ignored() -> None:
    raw = _page("", "正文").encode("utf-8")
    assert decode_html(raw, "text/html; charset=x-unknown-thing")[1] == "utf-8"
    assert decode_html(raw, "text/html; charset=base64")[1] == "utf-8"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("GB18030", "gb18030"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("utf-16", "utf-8"),  # a declaration readable as ASCII cannot be UTF-16
        ("big5", "big5"),
        ("nonsense", None),
    ],
)
def test_normalize_charset(label: str, expected: str | None) -> None:
    assert normalize_charset(label) == expected


def test_empty_body() -> None:
    assert decode_html(b"") == ("", "utf-8")


def test_stale_gb2312_meta_on_utf8_bytes_reads_as_utf8() -> None:
    # A page saved (or re-served) as UTF-8 that still declares gb2312 in its <meta>.
    body = '<html><head><meta charset="gb2312"></head><body>医疗器械召回</body></html>'.encode()
    text, charset = decode_html(body)
    assert (charset, "医疗器械召回" in text) == ("utf-8", True)
    gbk = '<html><head><meta charset="gb2312"></head><body>医疗器械召回</body></html>'.encode("gbk")
    text, charset = decode_html(gbk)
    assert (charset, "医疗器械召回" in text) == ("gb18030", True)
