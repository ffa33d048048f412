"""Planting part B and C faults: browser-only lists, blocked, failing and slow pages and sites,
broken links and hostile behaviour, each on a few sites chosen from the seed.

Every site gets at most one of these (so each verdict has one clear cause); hostile behaviour goes on
clean sites only. Broken links never change a verdict and may sit on any readable site.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

import msgspec

from farm.oracle import duty_window, is_stale, window_starts
from farm.spec import (
    BROWSER_HOWS,
    COLUMN_TIMEOUT_S,
    HOSTILE_KINDS,
    ColumnSpec,
    Defect,
    LinkFault,
    SiteSpec,
)


class Quota(NamedTuple):
    kind: str  # defect kind
    variant: str | None  # browser how, blocking status, down form …
    share: float  # of the province's sites
    from_sites: int  # smaller provinces get none (the 40-site demo stays quick)


QUOTAS: tuple[Quota, ...] = (
    *(Quota(kind, None, 0.005, 60) for kind in HOSTILE_KINDS),
    Quota("column_timeout", None, 0.005, 60),
    *(Quota("needs_browser", how, 0.02, 30) for how in BROWSER_HOWS),
    *(Quota("waf_column", status, 0.01, 30) for status in ("403", "412", "521")),
    Quota("site_down", "refused", 0.005, 30),
    Quota("site_down", "http_500", 0.005, 100),
    Quota("waf_home", "412", 0.005, 30),
    Quota("waf_home", "521", 0.005, 100),
    Quota("flaky_home", None, 0.01, 30),
    Quota("slow_site", None, 0.01, 30),
)
LINK_SHARE, LINKS_FROM_SITES = 0.04, 30

# (kind, label, path): internal paths on the site itself; outside hosts are the farm's dead and
# silent loopback addresses.
LINKS: tuple[tuple[str, str, str], ...] = (
    ("http_404", "不忘初心 牢记使命主题教育", "/ztzl/2019/bwcx/"),
    ("http_410", "重点领域信息公开(旧版)", "/zwgk/zdly/old/"),
    ("http_500", "站内搜索", "/search/index.jsp"),
    ("waf_403", "网上调查", "/wsdc/"),
    ("waf_412", "在线访谈", "/zxft/"),
    ("waf_521", "依申请公开", "/ysqgk/"),
    ("dead_host", "中国政府网", "/"),
    ("timeout", "贵州政务服务网", "/"),
)
LINK_EXPECT = {
    "http_404": "http_404",
    "http_410": "http_410",
    "http_500": "http_500",
    "waf_403": "waf_challenge",
    "waf_412": "waf_challenge",
    "waf_521": "waf_challenge",
    "dead_host": "refused",
    "timeout": "timeout",
}


def plan(
    rng: random.Random, sites: int, clean: list[int], gbk: set[int], at_line: set[int]
) -> dict[int, Quota]:
    """Which site (by index) gets which fault. The province portal (index 0) is never touched.

    `clean`: sites planted with no defect; `gbk`: sites whose pages are GBK/GB2312 (invalid bytes
    go there first, where a decoder is most likely to trip); `at_line`: sites exactly at a veto's
    line, where one unread column flips the verdict (the first browser-only lists go there, so
    that expected_without_browser differs from expected).
    """
    clean_pool = [i for i in clean if i != 0]
    rng.shuffle(clean_pool)
    pool = list(range(1, sites))
    rng.shuffle(pool)
    chosen: dict[int, Quota] = {}
    for quota in QUOTAS:
        if sites < quota.from_sites:
            continue
        wanted = max(1, round(quota.share * sites))
        source = clean_pool if quota.kind in HOSTILE_KINDS else pool
        if quota.kind == "bad_charset_bytes":
            source = sorted(source, key=lambda i: i not in gbk)
        if quota.variant == BROWSER_HOWS[0]:
            source = sorted(source, key=lambda i: i not in at_line)
        for index in source:
            if wanted == 0:
                break
            if index not in chosen:
                chosen[index] = quota
                wanted -= 1
    return chosen


def link_sites(rng: random.Random, sites: list[SiteSpec]) -> list[int]:
    """Indices of the readable sites that show broken links on their home page."""
    if len(sites) < LINKS_FROM_SITES:
        return []
    readable = [s.index for s in sites if s.home_fault is None and s.index != 0]
    return sorted(rng.sample(readable, min(len(readable), max(1, round(LINK_SHARE * len(sites))))))


def with_links(rng: random.Random, site: SiteSpec, every_kind: bool) -> SiteSpec:
    """The site with 3–6 failing links (all kinds when `every_kind`) and a defect per link."""
    picked = list(LINKS) if every_kind else rng.sample(LINKS, rng.randint(3, 6))
    links = tuple(LinkFault(kind, label, path) for kind, label, path in picked)
    defects = tuple(
        Defect(
            "broken_link", f"{link.kind}: 「{link.label}」 {link.path} → {LINK_EXPECT[link.kind]}"
        )
        for link in links
    )
    return msgspec.structs.replace(site, links=links, defects=site.defects + defects)


def apply(rng: random.Random, site: SiteSpec, quota: Quota, at: dt.date) -> SiteSpec:
    """The site with the planted fault and its defect entry."""
    kind, variant = quota.kind, quota.variant
    if kind == "site_down":
        detail = {
            "refused": "nothing listens on the site's address: the home page is refused",
            "http_500": "every page answers HTTP 500",
        }[str(variant)]
        return _with(site, Defect(kind, detail), home_fault=variant)
    if kind == "waf_home":
        detail = f"every page answers a WAF challenge (HTTP {variant}) that no cookie passes"
        return _with(site, Defect(kind, detail), home_fault=f"waf_{variant}")
    if kind == "flaky_home":
        every = rng.choice((4, 5, 10))
        detail = (
            f"home answers HTTP 502 on every {every}th request (failure ratio {1 / every:.2f}); "
            f"requests 1–{every - 1} succeed"
        )
        return _with(site, Defect(kind, detail), flaky_every=every)
    if kind == "slow_site":
        slow = (rng.randint(2000, 5000), rng.randint(200, 500))
        detail = f"home answers after {slow[0]} ms, other pages after {slow[1]} ms"
        return _with(site, Defect(kind, detail), slow_ms=slow)

    column = _pick_column(rng, site, kind, at)
    if column is None:
        return site
    if kind == "needs_browser":
        changed = msgspec.structs.replace(column, browser=variant)
        detail = str(variant)
    elif kind == "waf_column":
        changed = msgspec.structs.replace(column, fault=f"waf_{variant}")
        detail = f"the column's pages answer HTTP {variant} from a WAF"
    elif kind == "column_timeout":
        changed = msgspec.structs.replace(column, fault=kind)
        detail = f"the list answers after {COLUMN_TIMEOUT_S:.0f} s"
    else:  # hostile
        browser = "inline_json" if kind == "endless_script" else None
        changed = msgspec.structs.replace(column, fault=kind, browser=browser)
        detail = HOSTILE_DETAILS[kind]
    columns = tuple(changed if c is column else c for c in site.columns)
    return msgspec.structs.replace(
        site, columns=columns, defects=site.defects + (Defect(kind, detail, column.key),)
    )


HOSTILE_DETAILS = {
    "redirect_loop": "the list redirects to itself through a second URL, for ever",
    "huge_page": "the list is a 200 MB response",
    "gzip_bomb": "the list is a gzip body of 200 KB that inflates to 200 MB",
    "slow_drip": "the list trickles in over 19 s, a few bytes every half second",
    "endless_pages": "every list page links a next page, for ever (read: its first page is real)",
    "deep_html": "the list sits under 2,000 unclosed nested elements with stray end tags (read)",
    "endless_script": "the script-built list is preceded by an endless loop",
    "wrong_content_type": "the list page is sent as text/plain (read: the body is the HTML list)",
    "bad_charset_bytes": "item titles carry bytes invalid in the page's charset (read: dates intact)",
}


def _with(site: SiteSpec, defect: Defect, **changes: object) -> SiteSpec:
    return msgspec.structs.replace(site, defects=site.defects + (defect,), **changes)


def _pick_column(rng: random.Random, site: SiteSpec, kind: str, at: dt.date) -> ColumnSpec | None:
    """A column for a column fault: hostile ones on fresh dated columns (the site stays 合格 either
    way, only its unmeasured list tells), browser-only lists on dated ones, blocks on any."""
    starts = window_starts(at)

    def fresh(c: ColumnSpec) -> bool:
        duty = duty_window(c.category)
        return duty is None or not is_stale(c, starts[duty])

    def dated(c: ColumnSpec) -> bool:
        return c.newest is not None and not c.undated and c.blank_form is None

    if kind in HOSTILE_KINDS:
        candidates = [c for c in site.columns if dated(c) and fresh(c)]
    elif kind == "needs_browser":  # a stale column, where reading it matters, when there is one
        candidates = [c for c in site.columns if dated(c) and not fresh(c)]
        candidates = candidates or [c for c in site.columns if dated(c)]
    else:
        candidates = list(site.columns)
    return rng.choice(candidates) if candidates else None
