"""A site's identity elements from its footer and meta tags (INDICATORS.md §9.2, §10.3)."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from crawler.discover import find_sitemap_url
from crawler.listpage import clean_text
from crawler.model import Footer

_SITE_CODE = re.compile(r"(?:政府)?网站标识码\s*[:：]?\s*(bm\d{8}|\d{10})(?!\d)", re.I)
_JIUCUO_CODE = re.compile(r"site_?code\s*[=:]\s*[\"']?(bm\d{8}|\d{10})(?!\d)", re.I)
# Every province abbreviation that opens an ICP or 公网安备 number (贵州 uses both 贵 and 黔).
_PROVINCES = "京津沪渝冀豫云滇辽黑湘皖鲁新苏浙赣鄂桂甘陇晋蒙陕吉闽贵黔粤青藏川蜀宁琼港澳台"
_ICP = re.compile(rf"[{_PROVINCES}]\s*ICP\s*备\s*\d+\s*号(?:\s*-\s*\d+)?", re.I)
_POLICE = re.compile(rf"[{_PROVINCES}]\s*公网安备\s*\d{{14}}\s*号")
_POLICE_LINK = re.compile(r"recordcode=(\d{14})")


def read_identity(tree: LexborHTMLParser, url: str) -> Footer:
    """标识码 (footer text, SiteIDCode meta, 找错 entry), ICP and 公安 records, 党政机关 mark, 网站地图."""
    text = clean_text(tree.body.text(separator=" ")) if tree.body is not None else ""
    site_code = _SITE_CODE.search(text)
    icp = _ICP.search(text)
    police = _POLICE.search(text)
    return Footer(
        site_code=site_code.group(1).lower() if site_code else None,
        meta_site_code=_meta_site_code(tree),
        jiucuo_code=_jiucuo_code(tree),
        icp=re.sub(r"\s+", "", icp.group(0)) if icp else None,
        police_record=re.sub(r"\s+", "", police.group(0)) if police else _police_link(tree),
        conac=_has_conac(tree),
        sitemap_url=find_sitemap_url(tree, url),
    )


def _meta_site_code(tree: LexborHTMLParser) -> str | None:
    for meta in tree.css("meta[name]"):
        if (meta.attrs.get("name") or "").lower() == "siteidcode":
            return clean_text(meta.attrs.get("content")) or None
    return None


def _jiucuo_code(tree: LexborHTMLParser) -> str | None:
    """`<script id="_jiucuo_" sitecode=…>`, a jiucuo.html?site_code=… link, or an inline script."""
    for script in tree.css("script"):
        attrs = script.attrs
        code = attrs.get("sitecode") or attrs.get("site_code")
        if code:
            return clean_text(code)
    for node in tree.css("a[href], script:not([src])"):
        haystack = node.attrs.get("href") or node.text()
        if "jiucuo" in haystack or "site_code" in haystack.lower():
            match = _JIUCUO_CODE.search(haystack)
            if match:
                return match.group(1)
    return None


def _police_link(tree: LexborHTMLParser) -> str | None:
    for anchor in tree.css("a[href*='beian.gov.cn']"):
        match = _POLICE_LINK.search(anchor.attrs.get("href") or "")
        if match:
            return match.group(1)
    return None


def _has_conac(tree: LexborHTMLParser) -> bool:
    if tree.css_first("#_ideConac"):
        return True
    for node in tree.css("script, a[href], img[src]"):
        attrs = node.attrs
        # The usual mark is written by an inline document.write(unescape("…conac.cn/js/…"))
        if "conac.cn" in (attrs.get("src") or attrs.get("href") or node.text()):
            return True
    return False
