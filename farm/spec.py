"""What the farm knows about each simulated site: small specs from which every page is rendered on request."""

from __future__ import annotations

import datetime as dt

import msgspec

# List-page template families (how a CMS lays out a column's list and its dates).
FAMILIES = (
    "trs",  # <div class="list"><ul><li><a …>…</a><span>2024-03-05</span>; createPageHTML pagination
    "table",  # <table> rows, <td>2024年3月5日</td>
    "monthday",  # <span>[03-05]</span> / (03-05): the year must be inferred
    "cnnum",  # 二〇二四年三月五日 in a separate <div class="date">
    "datetime",  # 2024-03-05 10:23:41
    "xxgk",  # 信息公开 platform: 索引号 table and a left-hand column tree (目录) on every list page
)

CHARSETS = ("utf-8", "gbk", "gb2312")  # gbk/gb2312 pages are encoded as gb18030

BLANK_FORMS = ("empty list", "暂无信息", "栏目建设中")

# Hostile behaviour (part C), each on a column of an otherwise clean site.
HOSTILE_KINDS = (
    "redirect_loop",  # the list redirects back and forth for ever
    "huge_page",  # the list is a 200 MB response (streamed)
    "gzip_bomb",  # a small gzip body that inflates to 200 MB
    "slow_drip",  # the list trickles in over 19 s
    "endless_pages",  # "下一页" on every page, for ever (calendar trap)
    "deep_html",  # the list sits under thousands of unclosed nested elements
    "endless_script",  # a script-built list whose page runs an endless loop first
    "wrong_content_type",  # the list page is sent as text/plain
    "bad_charset_bytes",  # titles carry bytes invalid in the page's charset
)

# Planted defect kinds (the manifest's defects[].kind); the tests check each one appears.
DEFECT_KINDS = (
    "stale",  # column past its update duty
    "boundary",  # column whose newest item sits exactly on (fresh) or just past (stale) a window edge
    "blank",  # column with no items (detail: the blank form)
    "undated",  # column whose items show no date
    "home_stale",  # home page shows no item dated within 14 days
    "nav_only_home",  # home page is only a navigation portal
    "site_code_missing",  # footer lacks 网站标识码
    "site_code_wrong",  # footer shows another site's 标识码
    "jiucuo_missing",  # no 我为政府网站找错 entry
    # part B: pages a browser must read, blocked or failing pages and sites, broken links
    "needs_browser",  # column list built by script (detail: one of BROWSER_HOWS)
    "waf_column",  # a column's pages answer a WAF block (403) or challenge (412, 521)
    "column_timeout",  # a column's list answers only after COLUMN_TIMEOUT_S
    "site_down",  # home refused (nothing listens) or every page HTTP 500
    "waf_home",  # every page of the site is a WAF challenge (412, or 521 with a __jsluid cookie)
    "flaky_home",  # the home page fails on every n-th request
    "slow_site",  # every page answers late, the home page most (still within 15 s)
    "broken_link",  # a link to a 404/410/500/WAF page or to a dead or silent outside host
    *HOSTILE_KINDS,
    # part D: 互动 (W-V5) and 办事服务 (W-V6), each on an otherwise clean site
    "no_channel",  # no 互动 column at all, only 信访 / 纪检举报 (W-V5-1)
    "reply_late",  # a valid 留言 answered, or unanswered at T, past 3 months (W-V5-2; REPLY_CASES)
    "reply_boundary",  # a 留言 at a W-V5-2 edge that does not make the veto (REPLY_CASES)
    "messages_undated",  # a 留言 list whose messages show no date anywhere (limb 2 unmeasured)
    "excluded_desk",  # a 网上信访 list with an overdue 留言: excluded from W-V5-2, not a veto
    "no_service",  # no 办事服务 column or entry at all (W-V6-1)
    "guides_incomplete",  # 办事指南 missing element types (W-V6-2, an observation; GUIDE_CASES)
)

# Layouts of a public 留言 list (互动 columns): a table with 留言时间 and 答复时间 columns; items with
# the 留言时间 and a status word (已办结 / 未回复), the 答复时间 only on the letter's page; items with
# a title only, every date on the letter's page.
DESK_LAYOUTS = ("table", "status", "detail")

# W-V5-2 cases planted on otherwise clean sites: (holds?, how the planted 留言 is dated).
REPLY_CASES: dict[str, tuple[bool, str]] = {
    "pending_old": (True, "unanswered, asked 4 to 11 months before T"),
    "reply_past_3mo": (True, "answered 3 calendar months and 1 day after it was asked"),
    "pending_past_3mo": (True, "unanswered, the last 留言时间 whose 3 months end before T"),
    "pending_at_1y": (True, "unanswered, asked exactly T-1y (inside the window)"),
    "reply_at_3mo": (False, "answered exactly 3 calendar months after it was asked"),
    "pending_at_3mo": (False, "unanswered, the first 留言时间 whose 3 months reach T"),
    "pending_young": (False, "unanswered, asked about 2 months before T"),
    "pending_past_1y": (False, "unanswered, asked T-1y-1d (outside the window)"),
    "late_outside_1y": (False, "asked T-1y-1d, answered 4 months later (outside the window)"),
}
# W-V6-2 cases (an observation while the rule is not enforced): (guides, how many miss how many types).
GUIDE_CASES: dict[str, tuple[int, tuple[int, ...]]] = {
    "share_at_10pct": (10, (5,)),  # 1 of 10 guides misses 5 types: 10 %, the line (crossed)
    "share_below_10pct": (11, (6,)),  # 1 of 11 guides misses 6 types: 9.1 %, below the line
    "missing_4": (10, (4, 4, 4)),  # 3 of 10 guides miss 4 types: none counts
}
GUIDE_ELEMENTS = (
    "事项名称",
    "设定依据",
    "申请条件",
    "办理材料",
    "办理地点",
    "办理机构",
    "收费标准",
    "办理时间",
    "联系电话",
    "办理流程",
)
GUIDE_MISSING_LINE = 5  # a guide missing this many element types or more "fails" ([M])
GUIDE_SHARE_LINE = 0.1  # ... and the observation holds when failing guides are this share ([M])

BROWSER_HOWS = ("inline_json", "ajax", "iframe")

# Column faults a careful crawler (15 s per request, 5 MB cap, 5 redirects, 3 list pages) cannot read
# through, with the crawler's error code for each: such a column is unmeasured and counts for nothing.
UNREADABLE_FAULTS = {
    "waf_403": "waf_challenge",
    "waf_412": "waf_challenge",
    "waf_521": "waf_challenge",
    "column_timeout": "timeout",
    "redirect_loop": "redirect_loop",
    "huge_page": "too_large",
    "gzip_bomb": "too_large",
    "slow_drip": "timeout",
    "endless_script": "browser_timeout",
}
# Home-page faults: the site cannot be judged at all (未能检测).
HOME_FAULTS = {
    "refused": "refused",
    "http_500": "http_500",
    "waf_412": "waf_challenge",
    "waf_521": "waf_challenge",
}
COLUMN_TIMEOUT_S = 18.0  # past the crawler's 15 s, short of the 20 s a sweep may wait for a page


class ColumnSpec(msgspec.Struct, frozen=True):
    """One 栏目. Its items are generated on request from the site seed, the key and these numbers."""

    key: str  # path below the site root: "zwdt" or "zwdt/gzdt"
    name: str
    category: str  # docs/CONTRACT.md column class
    level: int  # 1 = linked from the main navigation
    parent: str | None = None  # name of the level-1 column above a level-2 column
    newest: dt.date | None = None  # date of the newest item; None when blank or undated
    items: int = 0
    blank_form: str | None = None  # one of BLANK_FORMS when the column is blank
    undated: bool = False  # items carry no date anywhere (list or article; a "detail" 留言 list:
    # no date on the list, its letters' pages are dated)
    on_home: bool = False  # the home page shows a block with this column's latest items
    browser: str | None = None  # one of BROWSER_HOWS when only a browser can read the list
    fault: str | None = None  # a key of UNREADABLE_FAULTS, or a measured hostile kind
    desk: str | None = None  # one of DESK_LAYOUTS when the items are public 留言 (letters)
    planted: tuple[tuple[dt.date, dt.date | None], ...] = ()  # letters (asked, answered or None)
    guides: bool = False  # the items are 办事指南 pages
    gaps: tuple[tuple[int, int], ...] = ()  # guides (item number, element types missing) planted


class Functions(msgspec.Struct, frozen=True):
    """How a site's 互动 platform and 办事指南 pages look. A site without it (hand-built specs) has
    its 互动 and 办事服务 unmodelled: the oracle does not judge W-V5 and W-V6 there."""

    date_form: str  # iso (2024-03-05), datetime (2024-03-05 10:23:11), cn (2024年3月5日)
    words: tuple[str, str]  # the status shown for an answered / a not yet answered 留言
    header: int  # which column headings a 留言 table uses (render.DESK_HEADERS)
    labelled: bool  # status lists label the 留言时间 (else a bare date)
    letter: str  # the letter page: "table" (a form-like table) or "blocks" (question, answer)
    guide_markup: str  # 办事指南 pages: "table" rows, "headings" (一、事项名称), "dl" terms
    synonyms: bool  # guides name elements as 受理条件, 申报材料, 咨询电话, 法定依据 …


class Defect(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str  # one of DEFECT_KINDS
    detail: str
    column: str | None = None  # column key


# Outside hosts of the province's links, on the farm's port: one bound but never listening (connections
# are refused: a dead host), one listening but never answering (requests time out).
DEAD_HOST = "127.42.250.1"
SILENT_HOST = "127.42.250.2"
OUTSIDE_HOSTS = {"dead_host": DEAD_HOST, "timeout": SILENT_HOST}


class LinkFault(msgspec.Struct, frozen=True):
    """A link on the home page whose target fails (the ground truth of a link check)."""

    kind: str  # http_404/410/500, waf_403/412/521 (internal path); dead_host, timeout (outside)
    label: str
    path: str = "/"  # site-absolute path; for outside hosts the path on that host

    def url(self, origin: str) -> str:
        """Absolute URL of the link on a site served at `origin` (scheme://host:port)."""
        host = OUTSIDE_HOSTS.get(self.kind)
        if host is None:
            return origin + self.path
        return f"http://{host}:{origin.rsplit(':', 1)[1]}{self.path}"


class SiteSpec(msgspec.Struct, frozen=True):
    index: int  # position in the province; fixes the site's loopback address
    site_id: str  # 政府网站标识码
    name: str
    region_code: str  # 6-digit GB/T 2260 code (the 标识码's first six digits)
    region_name: str  # name of region_code
    registry_region: str  # 地区/部门 column of the registry export
    kind: str  # 门户 / 部门
    tier: str  # province / city / county (level of government)
    unit: str  # 主办单位
    family: str  # one of FAMILIES
    charset: str  # one of CHARSETS
    header_charset: bool  # Content-Type header names the charset (else only the <meta> does)
    page_size: int  # items per list page
    nav_only: bool  # home page is navigation only (no dated blocks)
    left_nav: bool  # column pages carry a left-hand sub-column menu
    footer_code: str | None  # 网站标识码 printed in the footer (None: missing)
    jiucuo: bool  # footer has the 我为政府网站找错 entry
    icp: str
    police: str
    profile: str  # which defect mix was planted (for humans reading the manifest)
    columns: tuple[ColumnSpec, ...]
    defects: tuple[Defect, ...] = ()
    home_fault: str | None = None  # a key of HOME_FAULTS: the home page cannot be read
    flaky_every: int = 0  # the home page fails on every n-th request (0: never)
    slow_ms: tuple[int, int] = (0, 0)  # delay of the home page, of every other page
    links: tuple[LinkFault, ...] = ()  # failing links shown on the home page
    functions: Functions | None = None  # 互动 and 办事服务 modelled (W-V5, W-V6 judged)
