"""Anti-bot challenge pages (WAF walls) told apart from real pages.

A challenge page answers 200 (or 202/412/521) with a script that computes a cookie and reloads: it
shows no text and no links, so a reader that took it for the page would call the column blank or
stale. Recognised here from the markup each product leaves; such a page is 未能检测 (WAF).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# (product, pattern in the raw HTML). Patterns are the products' fixed bootstrap code, not words a
# government page would print.
_SIGNATURES = (
    # 瑞数 (RiverSecurity): `$_ts=window['$_ts']` bootstrap, <meta … r="m"> and <script r='m'>.
    ("瑞数", re.compile(r"\$_[a-z]{2}\s*=\s*window\[\s*['\"]\$_[a-z]{2}['\"]\s*\]")),
    # Its <meta … r="m"> stays in a rendered DOM after the browser dropped the scripts.
    ("瑞数", re.compile(r"<meta\b[^>]*\br=['\"]m['\"]")),
    # 知道创宇 加速乐: `document.cookie=('__jsl_clearance…` then reload.
    ("加速乐", re.compile(r"__jsl_clearance|__jsluid")),
    # 阿里云 WAF slider / acw_sc__v2 cookie challenge.
    ("阿里云WAF", re.compile(r"acw_sc__v2|_waf_bd8ce2ce37|aliyun_waf")),
    # 安全狗 (SafeDog) block and challenge pages.
    ("安全狗", re.compile(r"safedog|安全狗", re.I)),
    # 云锁 (YunSuo): `yunsuo_session_verify` cookie and its redirect script.
    ("云锁", re.compile(r"yunsuo_session_verify|security_verify_data|yunsuo", re.I)),
    # 创宇盾 / 百度云加速 / Cloudflare browser checks.
    ("创宇盾", re.compile(r"jiasule|365cyd|__jsl_", re.I)),
    ("Cloudflare", re.compile(r"cf-browser-verification|challenge-platform|cf_chl_", re.I)),
    # Any other JS challenge (often answered with 202 or 412): set a cookie, then reload.
    (
        "JS质询",
        re.compile(
            r"document\.cookie\s*=[\s\S]{0,2000}?location(?:\.href|\.replace|\.reload|\s*=)"
        ),
    ),
)
# A real page may carry a WAF product's name in a script; only a page with little else is a wall.
MAX_VISIBLE_TEXT = 200  # characters of visible text a challenge shell may show ("正在验证…")
MAX_LINKS = 3
MAX_SHELL_URLS = 10  # links and images together: more and the page is no shell (a cheap pre-check)


def challenge_product(tree: LexborHTMLParser) -> str | None:
    """The anti-bot product whose challenge this page is, or None for an ordinary page."""
    body = tree.body
    if body is not None and len(body.css("a[href]")) > MAX_LINKS:
        return None  # checked first: it rules out nearly every real page cheaply
    if body is not None and _visible_length(body) > MAX_VISIBLE_TEXT:
        return None  # a real page that merely loads the product's script
    html = tree.html or ""
    return next((name for name, pattern in _SIGNATURES if pattern.search(html)), None)


def _visible_length(body: LexborNode) -> int:
    return sum(
        len("".join((node.text_content or "").split()))
        for node in body.traverse(include_text=True)
        if node.tag == "-text"
        and node.parent is not None
        and node.parent.tag not in ("script", "style", "noscript", "template")
    )
