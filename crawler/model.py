"""Facts the crawler returns. Pure data: no NATS, no I/O. Dates are ISO strings (YYYY-MM-DD)."""

from __future__ import annotations

import msgspec


class ListItem(msgspec.Struct, omit_defaults=True):
    """One entry of a column's list (or a dated entry on the home page)."""

    title: str
    url: str | None = None
    date: str | None = None  # YYYY-MM-DD, None when the item shows no date
    date_text: str | None = None  # the text the date was read from, as evidence
    year_inferred: bool = False  # month-day date whose year was inferred from context
    pinned: bool = False  # 置顶


class ColumnRef(msgspec.Struct, omit_defaults=True):
    """A column (栏目) of a site as discovered from its pages."""

    name: str
    url: str
    category: str  # 动态要闻, 通知公告, 政策文件, 政策解读, 人事, 规划计划, 互动, 办事服务, 概况, 机构职能, other
    level: int = 1  # 1 = 一级栏目 (linked from the main navigation / home), 2 = below
    parent: str | None = None
    source: str = "nav"  # nav, block, sitemap, xxgk
    sample_guides: bool = False  # the site's one 办事服务 column whose 办事指南 pages are sampled


class EntryLink(msgspec.Struct, omit_defaults=True):
    """A named link to a function of the site (a 留言/信箱 channel, a 办事服务 entry)."""

    name: str
    url: str


class Message(msgspec.Struct, omit_defaults=True):
    """One public 留言 of a consultation list (W-V5). Dates are ISO strings."""

    title: str
    url: str | None = None
    asked: str | None = None  # 留言时间
    answered: str | None = None  # 答复时间
    replied: bool | None = None  # what the list says: answered, not yet, or nothing shown
    status: str | None = None  # the status text shown (已回复, 办理中 …), as evidence


class GuideFacts(msgspec.Struct, omit_defaults=True):
    """One sampled 办事指南 page: which of the key element types its headings show (W-V6)."""

    url: str
    title: str = ""
    elements: list[str] = []  # canonical element names found (事项名称, 设定依据 …)
    measured: bool = True  # False: not fetched, or not a 办事指南 page; `reason` says why
    reason: str | None = None


class Candidate(msgspec.Struct, omit_defaults=True):
    """A possible serious problem (W-V1) seen on a page; a person must confirm it."""

    kind: str  # lexicon (严重表述错误), hidden_link (暗链), script, iframe (to another host)
    page: str  # URL of the page it was seen on
    text: str  # the wrong form, the link text, or the script/frame URL
    target: str | None = None  # where a hidden link, script or frame points
    detail: str = ""  # the correct form, how the link is hidden, the context
    example: bool = False  # matched a lexicon entry shipped as an example


class Footer(msgspec.Struct, omit_defaults=True):
    """Identity elements read from a page's footer and meta tags (INDICATORS §10.3)."""

    site_code: str | None = None  # 网站标识码 in the footer text
    meta_site_code: str | None = None  # <meta name="SiteIDCode">
    jiucuo_code: str | None = None  # site_code of the 我为政府网站找错 entry
    icp: str | None = None
    police_record: str | None = None  # 公安机关备案
    conac: bool = False  # 党政机关网站标识
    sitemap_url: str | None = None


class PageFacts(msgspec.Struct, omit_defaults=True):
    """Everything extracted from one page (the `govsweep extract` output)."""

    url: str
    kind: str  # home, list, article, other
    title: str = ""
    charset: str | None = None
    items: list[ListItem] = []
    latest: str | None = None  # newest item date
    latest_item: ListItem | None = None
    blank: bool = False  # a list page with no items at all (空白栏目)
    blank_reason: str | None = None  # e.g. "暂无信息", "栏目建设中", "empty list"
    columns: list[ColumnRef] = []
    published: str | None = None  # article date
    next_pages: list[str] = []  # further pages of the same list, in order
    needs_browser: bool = False  # the list is built by script / AJAX / iframe
    challenge: str | None = None  # anti-bot product (瑞数, 安全狗 …) whose wall this is
    meta: dict[str, str] = {}
    footer: Footer | None = None
    links: list[str] = []  # absolute URLs of every link on the page


class FetchResult(msgspec.Struct, omit_defaults=True):
    """How a fetch went. `error` is set when no usable page arrived."""

    url: str
    final_url: str | None = None
    status: int | None = None
    error: str | None = (
        None  # timeout, refused, dns, too_large, redirect_loop, waf_challenge, http_4xx/5xx …
    )
    elapsed_ms: int = 0
    charset: str | None = None
    fetched_at: str | None = None  # ISO timestamp


class LinkStatus(msgspec.Struct, omit_defaults=True):
    """How one link (page, image or attachment) answered; `outcome` is its class.

    ok, broken (404/410, 5xx, refused, DNS failure — each seen again on a later re-check), blocked
    (WAF challenge, 403, 429), timeout, unknown (anything else, e.g. a redirect loop).
    """

    url: str
    outcome: str  # ok, broken, blocked, timeout, unknown
    found_on: list[str] = []  # the page(s) the link was found on
    status: int | None = None  # HTTP status of the deciding check
    error: str | None = None  # fetch error code of the deciding check (http_404, refused, …)
    final_url: str | None = None  # where redirects ended, when elsewhere
    external: bool = False  # on another host than the page it was found on
    flag: str | None = None  # external link whose host is gone (host_gone) or moved (other_host)
    checks: int = 1  # requests made: 2 when the first outcome needed a re-check
    first: str | None = None  # the first check's error when the re-check came out differently
    checked_at: str | None = None  # ISO timestamp of the deciding check


class LinkTally(msgspec.Struct, omit_defaults=True):
    """The links of a page or column that need no evidence (ok, blocked, timed out), only
    counting: 8-byte digests of their URLs (crawler.links.link_digest), end to end per class."""

    ok: bytes = b""
    blocked: bytes = b""
    timeout: bytes = b""


class LinkSummary(msgspec.Struct):
    """A site's link counts for one sweep (distinct URLs), with the broken and flagged links."""

    checked: int = 0
    broken_home: int = 0  # broken links found on the home page
    broken_other: int = 0  # broken links found only on other pages
    blocked: int = 0
    timeout: int = 0
    unknown: int = 0
    broken: list[LinkStatus] = []
    flagged: list[LinkStatus] = []  # external links whose host is gone or serves another host


class Probe(msgspec.Struct, omit_defaults=True):
    """One availability probe of a site's home page (W-V2), on govsweep.results.probe.<site_id>."""

    site_id: str
    url: str
    at: str  # ISO timestamp with offset: when the probe started
    # ok, failed, waf (a WAF challenge: counted apart, neither up nor down), blocked (refused by
    # the SSRF guard: not measured, never a failure)
    outcome: str
    status: int | None = None
    error: str | None = None  # fetch error code when not ok
    elapsed_ms: int = 0
    timeout_s: float = 15.0  # the probe's time limit: a page not loaded within it failed


class ColumnFacts(msgspec.Struct, omit_defaults=True):
    """The outcome of reading one column."""

    column: ColumnRef
    fetch: FetchResult
    measured: bool  # False ⇒ 未能检测 for this column; `reason` says why
    reason: str | None = None
    items_count: int = 0
    undated_count: int = 0
    latest: str | None = None
    latest_item: ListItem | None = None
    blank: bool = False
    blank_reason: str | None = None
    pages_read: int = 0
    needs_browser: bool = (
        False  # the static HTML cannot yield the list: hand it to the browser role
    )
    rendered: bool = False  # read through the browser
    message_list: bool = False  # the page shows a public 留言 list (互动 columns)
    messages: list[Message] = []
    messages_more: bool = False  # further 留言 pages existed that were not read
    guides: list[GuideFacts] = []  # 办事指南 sample (only the column marked sample_guides)
    candidates: list[Candidate] = []  # W-V1 candidates seen on the column's pages
    # The links on the list page(s) read: in full the broken, unknown and flagged ones (all of
    # them before crawler.links.compact_links), the others as digests in `link_tally`.
    links: list[LinkStatus] = []
    link_tally: LinkTally | None = None


class HomeFacts(msgspec.Struct, omit_defaults=True):
    """The outcome of reading a site's home page."""

    url: str
    fetch: FetchResult
    measured: bool
    reason: str | None = None
    items: list[ListItem] = []  # dated entries shown on the home page
    latest: str | None = None
    nav_only: bool = False  # the home page is only a navigation portal
    columns: list[ColumnRef] = []
    footer: Footer | None = None
    meta: dict[str, str] = {}
    channels: list[EntryLink] = []  # 留言/信箱/咨询 links on the home page (信访/举报 excluded)
    services: list[EntryLink] = []  # 办事服务/政务服务 links on the home page
    candidates: list[Candidate] = []  # W-V1 candidates seen on the home page and site map
    links: list[LinkStatus] = []  # the links on the home page, as ColumnFacts.links
    link_tally: LinkTally | None = None


class Published(msgspec.Struct, frozen=True):
    """Something a unit published: a site's list item or an account's post."""

    title: str
    date: str | None
    url: str = ""
