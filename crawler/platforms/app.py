"""Own apps (移动客户端): the download page on the body's site (HTML).

An app has no post list a crawler can read; what the bulletins report about apps ("移动客户端无法正常
使用", 浙江 2021 Q4; "安装后无法打开", 2020 national) is noted for review: the page must offer a
download (a link to an .apk, the App Store or an app market) and may show "更新时间 YYYY-MM-DD".
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from crawler.platforms.base import AccountFacts, PublicView, unmeasured

_DOWNLOAD = re.compile(r"\.apk(\?|$)|apps\.apple\.com|itunes\.apple\.com|/download", re.I)
_UPDATED = re.compile(r"更新(?:时间|日期)[:：]?\s*(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})")


class App(PublicView):
    platform = "app"
    feed = "https://{id}"  # a bare address is the download page's host and path
    rate = 1.0  # a page on the body's own site, not a platform's

    def parse(self, body: bytes, url: str) -> AccountFacts:
        text = body.decode("utf-8", "replace")
        tree = LexborHTMLParser(text)
        if tree.body is None:
            return unmeasured(url, "客户端下载页无法识别")
        links = [a.attributes.get("href") or "" for a in tree.css("a")]
        downloads = [href for href in links if _DOWNLOAD.search(href)]
        notes = [f"下载地址: {downloads[0]}" if downloads else "下载页未提供下载地址"]
        updated = _UPDATED.search(tree.body.text())
        if updated:
            year, month, day = (int(g) for g in updated.groups())
            notes.append(f"更新时间: {year:04d}-{month:02d}-{day:02d}")
        return AccountFacts(url=url, measured=True, notes=notes)
