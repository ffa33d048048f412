"""HTML of a simulated site's pages, rendered on request from its spec (nothing is pre-rendered).

Each template family lays out lists, dates and pagination the way a family of real CMSs does.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import zlib
from urllib.parse import quote

from farm import scripts
from farm.content import (
    Item,
    Letter,
    column_items,
    column_letters,
    guide_missing,
    local_department,
    place_of,
)
from farm.spec import GUIDE_ELEMENTS, OUTSIDE_HOSTS, ColumnSpec, Functions, SiteSpec

_WEEKDAYS = "一二三四五六日"
_DIGITS = "〇一二三四五六七八九"
ARTICLE_BASE = 8_000_000  # article numbers: ARTICLE_BASE + column index * 1000 + item number
ITEMS_PER_COLUMN_MAX = 1000
ENDLESS_PAGES = 1_000_000  # the endless-pagination trap stops answering here (404)
BLOCK_SIZE = 5  # items per block of a TRS block list
DEEP_NESTING = 2000  # unclosed <div><font> pairs around a deep_html list
# Stands in a title of a bad_charset_bytes column; the server swaps it for bytes invalid in the
# page's charset after encoding (ASCII, so it encodes the same in every charset).
BAD_BYTES_MARK = "~bad-bytes~"
# Column headings of a 留言 table (Functions.header picks one); without dates when the site shows none.
DESK_HEADERS = (
    ("序号", "留言标题", "留言人", "留言时间", "答复时间", "办理状态"),
    ("信件标题", "来信时间", "回复时间", "状态"),
    ("标题", "留言日期", "答复日期"),
)
_ASKED_HEADS = ("留言时间", "来信时间", "留言日期")
_REPLIED_HEADS = ("答复时间", "回复时间", "答复日期")
# How some sites name the 办事指南 element types (Functions.synonyms).
GUIDE_SYNONYMS = {
    "设定依据": "法定依据",
    "申请条件": "受理条件",
    "办理材料": "申报材料",
    "办理地点": "受理地点",
    "办理机构": "实施主体",
    "办理时间": "受理时间",
    "联系电话": "咨询电话",
    "办理流程": "办理程序",
}
_LAWS = (
    "《中华人民共和国行政许可法》",
    "《中华人民共和国社会保险法》",
    "《贵州省优化营商环境条例》",
    "《社会救助暂行办法》",
    "《中华人民共和国食品安全法》",
)
_STYLE = Functions(
    "iso", ("已回复", "未回复"), 0, True, "table", "table", False
)  # unmodelled sites


def chinese_number(n: int) -> str:
    """1..31 as written in dates: 五, 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def format_date(family: str, date: dt.date, time: dt.time, paren: bool = False) -> str:
    """A list date as the family prints it."""
    if family == "table":
        return f"{date.year}年{date.month}月{date.day}日"
    if family == "monthday":
        return f"({date:%m-%d})" if paren else f"[{date:%m-%d}]"
    if family == "cnnum":
        year = "".join(_DIGITS[int(ch)] for ch in str(date.year))
        return f"{year}年{chinese_number(date.month)}月{chinese_number(date.day)}日"
    if family == "datetime":
        return f"{date.isoformat()} {time:%H:%M:%S}"
    return date.isoformat()


def article_number(site: SiteSpec, column: ColumnSpec, item: Item) -> int:
    return ARTICLE_BASE + site.columns.index(column) * ITEMS_PER_COLUMN_MAX + item.number


def article_path(site: SiteSpec, column: ColumnSpec, item: Item) -> str:
    """Site-absolute path of an item's article page."""
    number = article_number(site, column, item)
    if site.family == "trs" and item.date is not None:
        return f"/{column.key}/{item.date:%Y%m}/t{item.date:%Y%m%d}_{number}.html"
    return f"/{column.key}/content_{number}.html"


def page_count(site: SiteSpec, column: ColumnSpec) -> int:
    return max(1, math.ceil(column.items / site.page_size))


class SitePages:
    """The pages of one site as seen through one origin (scheme://host:port)."""

    def __init__(self, site: SiteSpec, seed: int, at: dt.date, origin: str) -> None:
        self.site = site
        self.seed = seed
        self.at = at
        self.origin = origin

    # -- whole pages -------------------------------------------------------------------------
    def home(self) -> str:
        site = self.site
        if site.nav_only:
            tiles = "".join(
                f'<li class="tile"><a href="/{c.key}/"><i class="icon-{c.key}"></i>'
                f"<span>{c.name}</span></a></li>"
                for c in site.columns
                if c.level == 1
            )
            main = f'<div class="portal"><ul class="tiles">{tiles}</ul></div>'
        else:
            main = "".join(self._block(c) for c in site.columns if c.on_home)
            main = f'<div class="main home">{main}</div>'
        inside = "".join(
            f'<li><a href="{link.path}" target="_blank">{link.label}</a></li>'
            for link in site.links
            if link.kind not in OUTSIDE_HOSTS
        )
        if inside:  # 专题专栏: a block of links without dates and without 更多
            main += f'<div class="zt"><div class="zt-tit">专题专栏</div><ul>{inside}</ul></div>'
        return self._page(site.name, main, meta={}, today=True)

    def column_page(self, column: ColumnSpec, page: int) -> str | None:
        """Page `page` (0-based) of a column's list; None past the last page."""
        if column.browser is not None:
            return self._page_of(column, self._browser_shell(column)) if page == 0 else None
        pages = page_count(self.site, column)
        endless = column.fault == "endless_pages"
        if not 0 <= page < (ENDLESS_PAGES if endless else pages):
            return None
        size = self.site.page_size
        items = column_items(self.site, column, self.seed, self.at)[page * size : (page + 1) * size]
        if column.blank_form is not None:
            listing = self._blank(column.blank_form)
        elif endless:  # past the real pages: empty lists, each with its "下一页"
            listing = self._list(column, items) if items else self._list_container_only()
            listing += (
                f'<div class="pages"><span>第{page + 1}页</span> '
                f'<a href="?pageIndex={page + 2}">下一页</a></div>'
            )
        else:
            listing = self._list(column, items) + self._pager(column, page, pages)
        if column.fault == "deep_html":
            listing = _broken_and_deep(listing)
        return self._page_of(column, listing)

    def frame_page(self, column: ColumnSpec) -> str | None:
        """The list an iframe column shows in its frame (a bare page, no site chrome)."""
        if column.browser != "iframe":
            return None
        items = column_items(self.site, column, self.seed, self.at)[: self.site.page_size]
        return (
            f"<!DOCTYPE html><html><head>{self._declare()}<title>{column.name}</title></head>"
            f"<body>{self._list(column, items)}</body></html>"
        )

    def list_data(self, column: ColumnSpec, page: int) -> dict | None:
        """The JSON an AJAX column loads: one page of entries (page counts from 1)."""
        if column.browser != "ajax" or page < 1:
            return None
        size = self.site.page_size
        items = column_items(self.site, column, self.seed, self.at)
        return {
            "total": len(items),
            "page": page,
            "pageSize": size,
            "items": self._entries(column, items[(page - 1) * size : page * size]),
        }

    def _entries(self, column: ColumnSpec, items: list[Item]) -> list[dict[str, str]]:
        return [
            {
                "title": it.title,
                "url": article_path(self.site, column, it),
                "date": it.date.isoformat() if it.date else "",
            }
            for it in items
        ]

    def _browser_shell(self, column: ColumnSpec) -> str:
        """A list only a browser fills: from inline JSON, from data.json, or inside an iframe."""
        if column.browser == "iframe":
            return (
                '<iframe id="listFrame" src="frame.html" width="100%" height="900" '
                'frameborder="0" scrolling="no"></iframe>'
            )
        if column.browser == "ajax":
            code = scripts.AJAX
        else:
            items = column_items(self.site, column, self.seed, self.at)[: self.site.page_size]
            code = scripts.inline_json(self._entries(column, items))
        busy = (
            f"<script>{scripts.ENDLESS_LOOP}</script>" if column.fault == "endless_script" else ""
        )
        return f'<div class="list"><ul id="list"></ul></div>{busy}<script>{code}</script>'

    def _page_of(self, column: ColumnSpec, listing: str) -> str:
        crumbs = ['<a href="/">首页</a>']
        if column.parent:
            parent = next(c for c in self.site.columns if c.name == column.parent and c.level == 1)
            crumbs.append(f'<a href="/{parent.key}/">{parent.name}</a>')
        crumbs.append(f"<span>{column.name}</span>")
        main = (
            f'<div class="main">{self._left_nav(column)}<div class="right">'
            f'<div class="crumb">当前位置:{" &gt; ".join(crumbs)}</div>'
            f'<div class="column-title"><h2>{column.name}</h2></div>{listing}</div></div>'
        )
        meta = {"ColumnName": column.name, "ColumnType": column.category}
        return self._page(f"{column.name}_{self.site.name}", main, meta)

    def article(self, column: ColumnSpec, number: int) -> str | None:
        items = column_items(self.site, column, self.seed, self.at)
        if not 0 <= number < len(items):
            return None
        item = items[number]
        if column.desk is not None:
            return self._letter(
                column, column_letters(self.site, column, self.seed, self.at)[number]
            )
        if column.guides:
            return self._guide(column, item)
        title = html.escape(item.title)
        meta = {"ArticleTitle": item.title, "ContentSource": self.site.unit}
        info = f"<span>来源:{self.site.unit}</span>"
        if item.date is not None:
            stamp = f"{item.date.isoformat()} {item.time:%H:%M}"
            meta["PubDate"] = stamp
            info = f"<span>发布时间:{stamp}</span>" + info
        body = (
            f"<p>{title}。近日,{self.site.unit}认真贯彻落实上级部署,结合实际抓好各项工作。</p>"
            "<p>会议要求,各相关单位要提高思想认识,压实工作责任,确保各项任务落地见效。</p>"
        )
        if self.site.family == "xxgk":  # 信息公开 articles carry a metadata table
            made = item.date - dt.timedelta(days=item.number % 5) if item.date else None
            cells = (
                ("索引号", self._index_number(column, item)),
                ("发布机构", self.site.unit),
                ("成文日期", made.isoformat() if made else ""),
                ("发布日期", item.date.isoformat() if item.date else ""),
            )
            rows = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in cells)
            info = f'<table class="xxgk-meta">{rows}</table>' + info
        main = (
            f'<div class="main"><div class="article"><h1 class="title">{title}</h1>'
            f'<div class="info">{info}<span>字体:[大 中 小]</span></div>'
            f'<div class="content TRS_Editor">{body}</div></div></div>'
        )
        return self._page(f"{item.title}_{self.site.name}", main, meta)

    def _letter(self, column: ColumnSpec, letter: Letter) -> str:
        """The page of one 留言: the question, then the answer (or that there is none yet)."""
        style = self._style
        title = html.escape(letter.title)
        word = style.words[0] if letter.answered else style.words[1]
        asked = self._letter_date(letter.asked, letter.asked_time, True)
        replied = self._letter_date(letter.replied, letter.replied_time, True)
        if style.letter == "table":
            rows = [f'<tr><th>信件标题</th><td colspan="3">{title}</td></tr>']
            if asked:
                rows.append(
                    f"<tr><th>留言人</th><td>{letter.writer}</td><th>留言时间</th><td>{asked}</td></tr>"
                )
            else:
                rows.append(f'<tr><th>留言人</th><td colspan="3">{letter.writer}</td></tr>')
            rows.append(f'<tr><th>留言内容</th><td colspan="3">{letter.question}</td></tr>')
            rows.append(f'<tr><th>办理状态</th><td colspan="3">{word}</td></tr>')
            if letter.answered:
                office = html.escape(letter.office)
                if replied:
                    rows.append(
                        f"<tr><th>答复单位</th><td>{office}</td>"
                        f"<th>答复时间</th><td>{replied}</td></tr>"
                    )
                else:
                    rows.append(f'<tr><th>答复单位</th><td colspan="3">{office}</td></tr>')
                rows.append(f'<tr><th>答复内容</th><td colspan="3">{letter.answer}</td></tr>')
            body = f'<table class="xj-table" border="1">{"".join(rows)}</table>'
        else:
            when = f"<span>留言时间：{asked}</span>" if asked else ""
            body = (
                f'<div class="ask"><p class="info"><span>来信人：{letter.writer}</span>{when}'
                f"<span>办理状态：{word}</span></p>"
                f'<div class="text"><b>留言内容：</b>{letter.question}</div></div>'
            )
            if letter.answered:
                when = f"<span>答复时间：{replied}</span>" if replied else ""
                body += (
                    f'<div class="reply"><p class="info"><span>答复单位：'
                    f"{html.escape(letter.office)}</span>{when}</p>"
                    f'<div class="text"><b>答复内容：</b>{letter.answer}</div></div>'
                )
            else:
                body += (
                    '<div class="reply"><p class="state">暂未答复</p>'
                    "<p>您的留言已收到，相关部门正在办理，请耐心等待。</p></div>"
                )
        main = (
            f'<div class="main"><div class="letter-detail"><h1 class="title">{title}</h1>'
            f"{body}</div></div>"
        )
        return self._page(f"{letter.title}_{self.site.name}", main, {"ArticleTitle": letter.title})

    def _guide(self, column: ColumnSpec, item: Item) -> str:
        """A 办事指南: its element types as table rows, numbered headings or terms, less the ones
        this guide leaves out."""
        style = self._style
        left_out = guide_missing(self.site, column, self.seed)[item.number]
        service = item.title.removesuffix("办事指南")
        place = place_of(self.site)
        values = {
            "事项名称": service,
            "设定依据": f"{_LAWS[item.number % len(_LAWS)]}及相关规定",
            "申请条件": "1.具有完全民事行为能力的申请人；2.申请事项属于本机关职权范围；"
            "3.申请材料齐全、符合法定形式。",
            "办理材料": f"1.申请人居民身份证原件及复印件1份；2.《{service}申请表》1份；"
            "3.其他相关证明材料。",
            "办理地点": f"{place}政务服务中心一楼{item.number % 20 + 1}号综合受理窗口",
            "办理机构": local_department(self.site, item.number),
            "收费标准": "不收费",
            "办理时间": "周一至周五 上午9:00—12:00，下午13:00—17:00（法定节假日除外）",
            "联系电话": f"0851-{(self.site.index * 7919 + item.number) % 9000000 + 1000000}",
            "办理流程": "申请人提交材料→窗口受理→审查→作出决定→办结送达",
        }
        shown = [
            (GUIDE_SYNONYMS.get(e, e) if style.synonyms else e, values[e])
            for e in GUIDE_ELEMENTS
            if e not in left_out
        ]
        if style.guide_markup == "table":
            rows = "".join(f"<tr><th>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in shown)
            body = f'<table class="bszn-table"><tbody>{rows}</tbody></table>'
        elif style.guide_markup == "headings":
            body = "".join(
                f"<h4>{chinese_number(n)}、{k}</h4><p>{html.escape(v)}</p>"
                for n, (k, v) in enumerate(shown, 1)
            )
            body = f'<div class="bszn-content">{body}</div>'
        else:
            body = "".join(f"<dt>{k}：</dt><dd>{html.escape(v)}</dd>" for k, v in shown)
            body = f'<dl class="guide-item">{body}</dl>'
        info = f"<span>来源:{self.site.unit}</span>"
        if item.date is not None:
            info = f"<span>发布时间:{item.date.isoformat()} {item.time:%H:%M}</span>" + info
        main = (
            f'<div class="main"><div class="article bszn"><h1 class="title">'
            f'{html.escape(item.title)}</h1><div class="info">{info}</div>{body}</div></div>'
        )
        return self._page(f"{item.title}_{self.site.name}", main, {"ArticleTitle": item.title})

    @property
    def _style(self) -> Functions:
        return self.site.functions or _STYLE

    def _letter_date(self, date: dt.date | None, time: dt.time, with_time: bool) -> str:
        """A 留言时间 / 答复时间 as the site's 互动 platform prints it ("" when there is none)."""
        if date is None:
            return ""
        form = self._style.date_form
        if form == "cn":
            return f"{date.year}年{date.month}月{date.day}日"
        if form == "datetime" and with_time:
            return f"{date.isoformat()} {time:%H:%M:%S}"
        return date.isoformat()

    def _desk_list(self, column: ColumnSpec, items: list[Item], link) -> str:
        """A page of a 留言 list in the column's layout (DESK_LAYOUTS)."""
        style = self._style
        letters = column_letters(self.site, column, self.seed, self.at)
        dated = column.desk != "detail" and not column.undated

        def word(letter: Letter) -> str:
            return style.words[0] if letter.answered else style.words[1]

        if column.desk == "table":
            heads: tuple[str, ...] = DESK_HEADERS[style.header % len(DESK_HEADERS)]
            if not dated:
                heads = tuple(h for h in heads if "时间" not in h and "日期" not in h)
            rows = []
            for it in items:
                letter = letters[it.number]
                cells = []
                for head in heads:
                    if head == "序号":
                        cells.append(str(it.number + 1))
                    elif head in ("留言标题", "信件标题", "标题"):
                        cells.append(link(it))
                    elif head == "留言人":
                        cells.append(letter.writer)
                    elif head in _ASKED_HEADS:
                        cells.append(
                            self._letter_date(letter.asked, letter.asked_time, "时间" in head)
                        )
                    elif head in _REPLIED_HEADS:
                        when = self._letter_date(
                            letter.replied, letter.replied_time, "时间" in head
                        )
                        no_status = not any("状态" in h for h in heads)
                        cells.append(when or (word(letter) if no_status else ""))
                    else:
                        cells.append(word(letter))
                rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            head_row = "".join(f"<th>{h}</th>" for h in heads)
            return f'<table class="xj-list"><tr>{head_row}</tr>{"".join(rows)}</table>'
        if column.desk == "status" and style.labelled:
            entries = []
            for it in items:
                letter = letters[it.number]
                asked = self._letter_date(letter.asked, letter.asked_time, False) if dated else ""
                when = f"<span>留言时间：{asked}</span>" if asked else ""
                entries.append(
                    f'<div class="xj-item">{link(it)}<p class="xj-info">'
                    f"<span>留言人：{letter.writer}</span>{when}"
                    f"<span>办理状态：{word(letter)}</span></p></div>"
                )
            return f'<div class="xj-list">{"".join(entries)}</div>'
        if column.desk == "status":
            entries = []
            for it in items:
                letter = letters[it.number]
                asked = self._letter_date(letter.asked, letter.asked_time, False) if dated else ""
                when = f'<span class="rq">{asked}</span>' if asked else ""
                entries.append(f'<li><span class="zt">[{word(letter)}]</span>{link(it)}{when}</li>')
            return f'<ul class="xj-list">{"".join(entries)}</ul>'
        entries = [
            f'<li>{link(it)}<span class="name">来信人：{letters[it.number].writer}</span></li>'
            for it in items
        ]
        return f'<ul class="xj-list">{"".join(entries)}</ul>'

    def sitemap(self) -> str:
        groups = []
        for top in (c for c in self.site.columns if c.level == 1):
            subs = "".join(
                f'<dd><a href="/{c.key}/">{c.name}</a></dd>'
                for c in self.site.columns
                if c.parent == top.name
            )
            groups.append(f'<dl><dt><a href="/{top.key}/">{top.name}</a></dt>{subs}</dl>')
        main = (
            f'<div class="main"><h2>网站地图</h2><div class="sitemap">{"".join(groups)}</div></div>'
        )
        return self._page(f"网站地图_{self.site.name}", main, {})

    def simple(self, title: str, text: str) -> str:
        return self._page(f"{title}_{self.site.name}", f'<div class="main"><p>{text}</p></div>', {})

    # -- parts -------------------------------------------------------------------------------
    def _page(self, title: str, main: str, meta: dict[str, str], today: bool = False) -> str:
        site = self.site
        declare = self._declare()
        metas = {"SiteName": site.name, "SiteDomain": self.origin.split("//")[1], **meta}
        metas["SiteIDCode"] = site.site_id
        meta_html = "".join(
            f'<meta name="{k}" content="{html.escape(v)}">' for k, v in metas.items()
        )
        level_one = [c for c in site.columns if c.level == 1]
        if site.family == "table":  # a 2010s table-layout portal: the navigation is a table row
            cells = "".join(
                f'<td>|</td><td><a href="/{c.key}/">{c.name}</a></td>' for c in level_one
            )
            navigation = (
                '<table width="1000" align="center" cellspacing="0" bgcolor="#0b5aa2"><tr>'
                f'<td><a href="/">首页</a></td>{cells}</tr></table>'
            )
        else:
            nav = "".join(f'<li><a href="/{c.key}/">{c.name}</a></li>' for c in level_one)
            navigation = f'<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div>'

        weekday = _WEEKDAYS[self.at.weekday()]
        date_widget = (
            f'<span class="today">今天是:{self.at.year}年{self.at.month}月{self.at.day}日 '
            f"星期{weekday}</span>"
            if today
            else ""
        )
        return (
            f"<!DOCTYPE html><html><head>{declare}<title>{html.escape(title)}</title>{meta_html}"
            '<link rel="stylesheet" href="/images/style.css"></head><body>'
            f'<div class="header"><div class="top">{date_widget}'
            '<a href="/sitemap.html">网站地图</a></div>'
            f'<div class="logo"><h1>{site.name}</h1></div></div>'
            f"{navigation}{main}{self._footer()}</body></html>"
        )

    def _declare(self) -> str:
        if self.site.charset == "gb2312":
            return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        return f'<meta charset="{self.site.charset}">'

    def _footer(self) -> str:
        site = self.site
        code = f"<span>网站标识码:{site.footer_code}</span>" if site.footer_code else ""
        jiucuo = (
            f'<a class="jiucuo" href="/exposure/jiucuo.html?site_code={site.site_id}'
            f'&amp;url={quote(self.origin + "/", safe="")}">'
            '<img src="/images/jiucuo.png" alt="我为政府网站找错"></a>'
            if site.jiucuo
            else ""
        )
        conac = (
            '<span id="_ideConac"><a href="/conac/sitename?method=show&amp;id='
            f'{zlib.crc32(site.site_id.encode()):08X}">'
            '<img src="/images/red.png" alt="党政机关网站标识"></a></span>'
        )
        outside = "".join(
            f'<a href="{link.url(self.origin)}" target="_blank">{link.label}</a> '
            for link in site.links
            if link.kind in OUTSIDE_HOSTS
        )
        friends = f'<div class="yqlj">友情链接:{outside}</div>' if outside else ""
        return (
            f'<div class="footer">{friends}<p><a href="/sitemap.html">网站地图</a> | '
            '<a href="/lxwm.html">联系我们</a></p>'
            f"<p>主办单位:{site.unit} 联系电话:0851-{site.index % 9000000 + 1000000}</p>"
            f"<p>{code} <span>{site.icp}</span> "
            f'<span><img src="/images/gaba.png">{site.police}</span></p>'
            f"{conac}{jiucuo}</div>"
        )

    def _block(self, column: ColumnSpec) -> str:
        items = column_items(self.site, column, self.seed, self.at)[:7]
        lis = "".join(
            f'<li><a href="{article_path(self.site, column, it)}" title="{html.escape(it.title)}">'
            f"{html.escape(it.title)}</a>{self._date_html(it)}</li>"
            for it in items
        )
        return (
            f'<div class="block"><div class="tit"><span>{column.name}</span>'
            f'<a href="/{column.key}/" class="more">更多</a></div><ul>{lis}</ul></div>'
        )

    def _date_html(self, item: Item) -> str:
        if item.date is None:
            return ""
        text = format_date(self.site.family, item.date, item.time, paren=self.site.index % 2 == 1)
        if self.site.family == "cnnum":
            return f'<div class="date">{text}</div>'
        if self.site.family == "datetime":
            return f"<em>{text}</em>"
        return f"<span>{text}</span>"

    def _list(self, column: ColumnSpec, items: list[Item]) -> str:
        site = self.site

        def link(it: Item) -> str:
            path = article_path(site, column, it)
            if site.family == "trs":
                path = "." + path.removeprefix(f"/{column.key}")
            t = html.escape(it.title)
            if column.fault == "bad_charset_bytes":
                t = t[:4] + BAD_BYTES_MARK + t[4:]
            return f'<a href="{path}" title="{t}" target="_blank">{t}</a>'

        if column.desk is not None:
            return self._desk_list(column, items, link)
        if site.family == "table":
            rows = "".join(
                f"<tr><td>{link(it)}</td><td>{self._bare_date(it)}</td></tr>" for it in items
            )
            return (
                f'<table class="list-table"><tr><th>标题</th><th>发布日期</th></tr>{rows}</table>'
            )
        if site.family == "xxgk":
            rows = "".join(
                f"<tr><td>{self._index_number(column, it)}</td><td>{link(it)}</td>"
                f"<td>{self._bare_date(it)}</td></tr>"
                for it in items
            )
            return f'<table class="xxgk-list">{_XXGK_HEAD}{rows}</table>'
        if site.family == "monthday":
            lis = "".join(f"<li>{self._date_html(it)}{link(it)}</li>" for it in items)
            return f'<ul class="news-list">{lis}</ul>'
        if site.family == "cnnum":
            rows = "".join(
                f'<div class="item">{link(it)}{self._date_html(it)}</div>' for it in items
            )
            return f'<div class="news">{rows}</div>'
        entries = [f"<li>{link(it)}{self._date_html(it)}</li>" for it in items]
        if site.family == "trs" and site.index % 2 == 1:
            # TRS 动静结合: the list pre-rendered as <div><ul> blocks of BLOCK_SIZE items
            blocks = "".join(
                f'<div class="list_con"><ul class="ul_list">{"".join(entries[i : i + BLOCK_SIZE])}'
                "</ul></div>"
                for i in range(0, len(entries), BLOCK_SIZE)
            )
            return f'<div class="list_box">{blocks}</div>'
        return f'<div class="list"><ul>{"".join(entries)}</ul></div>'

    def _index_number(self, column: ColumnSpec, item: Item) -> str:
        """索引号 as 信息公开 platforms print it: unit code / year-sequence."""
        unit = f"11{self.site.site_id[:6]}MB{zlib.crc32(self.site.site_id.encode()) % 10**7:07d}"
        year = (item.date or self.at).year
        return f"{unit}/{year}-{article_number(self.site, column, item) % 100000:05d}"

    def _bare_date(self, item: Item) -> str:
        if item.date is None:
            return ""
        return format_date(self.site.family, item.date, item.time)

    def _blank(self, form: str) -> str:
        if form == "暂无信息":
            return '<div class="list"><p class="no-data">暂无信息</p></div>'
        if form == "栏目建设中":
            return '<div class="building"><p>栏目建设中,敬请期待!</p></div>'
        return self._list_container_only()

    def _list_container_only(self) -> str:
        family = self.site.family
        if family == "table":
            return '<table class="list-table"><tr><th>标题</th><th>发布日期</th></tr></table>'
        if family == "xxgk":
            return f'<table class="xxgk-list">{_XXGK_HEAD}</table>'
        if family == "monthday":
            return '<ul class="news-list"></ul>'
        if family == "cnnum":
            return '<div class="news"></div>'
        return '<div class="list"><ul></ul></div>'

    def _pager(self, column: ColumnSpec, page: int, pages: int) -> str:
        family = self.site.family
        if family == "trs":
            return f'<div class="page"><script>createPageHTML({pages}, {page}, "index", "html");</script></div>'
        if pages == 1:
            return ""
        if family in ("table", "xxgk"):
            links = f"共{column.items}条 第{page + 1}/{pages}页 "
            if page + 1 < pages:
                links += f'<a href="index.html?page={page + 2}">下一页</a> '
            links += f'<a href="index.html?page={pages}">尾页</a>'
            return f'<div class="pagination">{links}</div>'
        pattern = {"monthday": "list_{}.html", "cnnum": "page_{}.html"}.get(family, "?pageIndex={}")
        links = "".join(
            f"<span>{k}</span>" if k == page + 1 else f'<a href="{pattern.format(k)}">{k}</a>'
            for k in range(1, pages + 1)
        )
        return f'<div class="pages">{links}</div>'

    def _left_nav(self, column: ColumnSpec) -> str:
        if self.site.family == "xxgk":
            return self._xxgk_tree(column)
        if not self.site.left_nav:
            return ""
        top = column.parent or column.name
        subs = [c for c in self.site.columns if c.parent == top]
        if not subs:
            return ""
        lis = "".join(f'<li><a href="/{c.key}/">{c.name}</a></li>' for c in subs)
        return f'<div class="left-nav"><h3>{top}</h3><ul>{lis}</ul></div>'

    def _xxgk_tree(self, current: ColumnSpec) -> str:
        """The 信息公开 platform's column tree (目录): every level-1 column with its children."""
        groups = []
        for top in (c for c in self.site.columns if c.level == 1):
            subs = "".join(
                f'<li{_on(c, current)}><a href="/{c.key}/">{c.name}</a></li>'
                for c in self.site.columns
                if c.parent == top.name
            )
            subs = f"<ul>{subs}</ul>" if subs else ""
            groups.append(f'<li{_on(top, current)}><a href="/{top.key}/">{top.name}</a>{subs}</li>')
        return f'<div class="gkml-tree"><h3>政府信息公开目录</h3><ul>{"".join(groups)}</ul></div>'


_XXGK_HEAD = "<tr><th>索引号</th><th>名称</th><th>发布日期</th></tr>"


def _on(column: ColumnSpec, current: ColumnSpec) -> str:
    return ' class="on"' if column is current else ""


def _broken_and_deep(listing: str) -> str:
    """The list without its closing </li>, </tr>, </td>, under DEEP_NESTING unclosed elements,
    followed by stray end tags (browsers and HTML5 parsers still find every entry)."""
    for closing in ("</li>", "</tr>", "</td>"):
        listing = listing.replace(closing, "")
    return '<div class="wrap"><font>' * DEEP_NESTING + listing + "</td></b></font></span>"
