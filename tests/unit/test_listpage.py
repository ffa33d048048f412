"""Main-list extraction: which list is the page's, its items' dates, blank and script-built lists,
and pagination. Pages follow the markup of TRS WCM / 信息公开 platforms of government sites."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler import listpage
from crawler.listpage import ListResult, extract_list

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
T = dt.date(2024, 3, 10)
URL = "http://www.example.gov.cn/zwgk/tzgg/index.html"


def run(html: str, at: dt.date = T, url: str = URL) -> ListResult:
    return extract_list(LexborHTMLParser(html), url, at)


def page(content: str, head: str = "") -> str:
    """A column page: header with today's date, navigation, the content, a footer with a stamp."""
    return f"""<html><head><meta charset="utf-8">{head}<title>通知公告</title></head><body>
    <div class="header"><div class="top"><span>今天是 2024年3月10日 星期日</span>
      <a href="/">设为首页</a></div></div>
    <div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
      <li><a href="/xwzx/">新闻中心</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
    <div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a></div>
    <div class="content">{content}</div>
    <div class="footer"><p>主办单位：示例市人民政府办公室</p><p>更新时间：2024-03-10</p></div>
    </body></html>"""


def li_list(dates: list[str], path: str = "./202402/t2024020{n}_10{n}.html") -> str:
    items = "".join(
        f'<li><a href="{path.format(n=n)}" target="_blank">关于做好第{n}批专项工作的通知</a>'
        f"<span>{date}</span></li>"
        for n, date in enumerate(dates, start=1)
    )
    return f'<div class="list"><ul>{items}</ul></div>'


# --- which list --------------------------------------------------------------------------------


def test_trs_page_ignores_today_widget_newer_sidebar_and_page_stamp() -> None:
    result = run((PAGES / "trs_list.html").read_text(encoding="utf-8"))
    assert len(result.items) == 10  # two <ul> chunks of five make one list
    assert result.latest == "2024-02-26"  # not the 03-09 hot list, the 03-10 header or stamp
    assert result.latest_item is not None
    assert result.latest_item.title == "关于2024年度市级财政专项资金项目申报的通知"
    assert result.latest_item.url == (
        "http://www.example.gov.cn/zwgk/tzgg/202402/t20240226_1210.html"
    )
    assert result.blank is False and result.needs_browser is False


def test_pinned_old_item_is_flagged_and_does_not_hide_newer_ones() -> None:
    result = run((PAGES / "trs_list.html").read_text(encoding="utf-8"))
    first = result.items[0]
    assert first.pinned is True
    assert first.date == "2023-01-05"
    assert first.title == "关于公布示例市政府信息公开工作机构的公告"  # [置顶] stripped
    assert [item.pinned for item in result.items[1:]] == [False] * 9
    assert result.latest == "2024-02-26"


@pytest.mark.parametrize(
    "marker",
    ['<span class="zd">置顶</span>', "<b>[置顶]</b>", '<img src="/images/zhiding.gif">'],
)
def test_pinned_markers(marker: str) -> None:
    items = (
        f'<li><a href="./t20220101_1.html">示例市政府信息公开指南（2022年版）</a>{marker}'
        "<span>2022-01-01</span></li>"
        '<li><a href="./t20240301_2.html">关于开展春季爱国卫生运动的通知</a><span>2024-03-01</span></li>'
    )
    result = run(page(f'<ul class="list">{items}</ul>'))
    assert [item.pinned for item in result.items] == [True, False]
    assert result.latest == "2024-03-01"


def test_unnamed_sidebar_with_newer_dates_loses_to_the_bigger_list() -> None:
    sidebar = (
        '<div class="box"><h3>最新信息</h3><ul>'
        + "".join(
            f'<li><a href="/xwzx/t2024030{d}_9{d}.html">市领导调研第{d}项重点工程</a>'
            f"<span>2024-03-0{d}</span></li>"
            for d in (6, 7, 8, 9)
        )
        + "</ul></div>"
    )
    main = li_list([f"2024-01-{d:02d}" for d in range(20, 12, -1)])
    result = run(page(f'<div class="w1">{main}</div><div class="w2">{sidebar}</div>'))
    assert len(result.items) == 8
    assert result.latest == "2024-01-20"


def test_dated_list_wins_over_a_longer_undated_link_box() -> None:
    links = "".join(
        f'<li><a href="/zwgk/fdzdgknr/lm{n}.html">法定主动公开内容第{n}类目录</a></li>'
        for n in range(12)
    )
    main = li_list(["2024-02-01", "2024-01-20", "2024-01-10"])
    result = run(page(f'<div class="catalog"><ul>{links}</ul></div>{main}'))
    assert result.latest == "2024-02-01" and len(result.items) == 3


def test_navigation_only_page_has_no_list() -> None:
    result = run(page("<p>欢迎访问</p>"))
    assert result == ListResult()


# --- where the date sits -----------------------------------------------------------------------


def test_table_list_with_header_row() -> None:
    rows = "".join(
        f'<tr><td><a href="/zwgk/zcwj/content_{n}.html">示例市人民政府关于印发第{n}号规范性文件的通知</a>'
        f"</td><td>2024年{n}月{n + 1}日</td></tr>"
        for n in (3, 2, 1)
    )
    table = f'<table class="list-table"><tr><th>标题</th><th>发布日期</th></tr>{rows}</table>'
    result = run(page(table))
    assert [item.date for item in result.items] == ["2024-03-04", "2024-02-03", "2024-01-02"]
    assert result.items[0].date_text == "2024年3月4日"
    assert result.latest == "2024-03-04"


def test_xxgk_table_takes_the_publication_date_over_the_written_date() -> None:
    rows = "".join(
        f"<tr><td>11130100-0/2024-000{n}</td>"
        f'<td><a href="./202402/t2024022{n}_5{n}.html">示例市第{n}季度重点项目推进方案</a></td>'
        f"<td>冀政办〔2024〕{n}号</td><td>2024-01-1{n}</td><td>2024-02-2{n}</td></tr>"
        for n in (5, 4)
    )
    head = "<tr><th>索引号</th><th>标题</th><th>文号</th><th>成文日期</th><th>发布日期</th></tr>"
    result = run(page(f'<table class="xxgk">{head}{rows}</table>'))
    assert [item.date for item in result.items] == ["2024-02-25", "2024-02-24"]


def test_month_day_list_infers_the_year_across_new_year() -> None:
    items = "".join(
        f'<li><span>{d}</span><a href="/xwzx/content_{n}.html">全县第{n}次安全生产检查</a></li>'
        for n, d in enumerate(["[01-03]", "[12-30]", "[12-12]"])
    )
    result = run(page(f'<ul class="news-list">{items}</ul>'), at=dt.date(2024, 1, 5))
    assert [item.date for item in result.items] == ["2024-01-03", "2023-12-30", "2023-12-12"]
    assert all(item.year_inferred for item in result.items)
    assert result.latest == "2024-01-03"


def test_chinese_numeral_dates_in_a_separate_div() -> None:
    items = "".join(
        f'<div class="item"><a href="/xwzx/content_{n}.html">全市春季植树活动第{n}次推进会</a>'
        f'<div class="date">{d}</div></div>'
        for n, d in enumerate(
            ["二〇二四年三月五日", "二〇二四年二月二十九日", "二〇二三年十二月三十一日"]
        )
    )
    result = run(page(f'<div class="news">{items}</div>'))
    assert [item.date for item in result.items] == ["2024-03-05", "2024-02-29", "2023-12-31"]
    assert result.items[0].year_inferred is False


@pytest.mark.parametrize(
    "item",
    [
        '<li><a href="{u}">{t}</a><em>2024-03-0{n}</em></li>',
        '<li><a href="{u}">{t}</a><i>(2024-03-0{n})</i></li>',
        '<li><a href="{u}">{t}</a> 2024-03-0{n}</li>',
        '<li><a href="{u}"><span class="tit">{t}</span><span class="time">2024-03-0{n}</span></a></li>',
        '<li><a href="{u}">{t} 2024-03-0{n} 10:32:11</a></li>',
        '<li><a href="{u}">{t}</a><div class="date">发布时间：2024年3月{n}日</div></li>',
        '<dl><dt><a href="{u}">{t}</a></dt><dd>2024/03/0{n}</dd></dl>',
    ],
)
def test_date_beside_the_link(item: str) -> None:
    html = "".join(
        item.format(u=f"/xwzx/content_{n}.html", t=f"示例市召开第{n}次常务会议", n=n)
        for n in (5, 4, 3)
    )
    result = run(page(f'<div class="list-box"><ul>{html}</ul></div>'))
    assert [entry.date for entry in result.items] == ["2024-03-05", "2024-03-04", "2024-03-03"]
    assert result.items[0].title == "示例市召开第5次常务会议"


def test_flat_list_with_dates_after_the_links() -> None:
    rows = "".join(
        f'<a href="/xwzx/content_{n}.html">示例县召开第{n}次脱贫攻坚工作会</a>'
        f"<span>2024-02-0{n}</span><br>"
        for n in (9, 8, 7)
    )
    result = run(page(f'<div class="news">{rows}<div class="page-stamp">2024-03-10</div></div>'))
    assert [item.date for item in result.items] == ["2024-02-09", "2024-02-08", "2024-02-07"]


def test_flat_list_with_dates_before_the_links() -> None:
    rows = "".join(
        f'<span class="date">[02-0{n}]</span><a href="/xwzx/content_{n}.html">'
        f"示例县召开第{n}次脱贫攻坚工作会</a><br>"
        for n in (9, 8, 7)
    )
    result = run(page(f'<div class="news">{rows}</div>'))
    assert [item.date for item in result.items] == ["2024-02-09", "2024-02-08", "2024-02-07"]


def test_date_on_the_following_line() -> None:
    rows = "".join(
        f'<p class="title"><a href="/xwzx/content_{n}.html">示例市第{n}批项目集中开工</a></p>'
        f'<p class="time">2024-02-1{n}</p>'
        for n in (5, 4)
    )
    result = run(page(f'<div class="news">{rows}</div>'))
    assert [item.date for item in result.items] == ["2024-02-15", "2024-02-14"]


def test_date_only_in_the_trs_url_path() -> None:
    items = "".join(
        f'<li><a href="./202402/t2024022{n}_88{n}.html">关于征集2024年民生实事项目的公告{n}</a></li>'
        for n in (6, 5)
    )
    result = run(page(f'<ul class="list">{items}</ul>'))
    assert [item.date for item in result.items] == ["2024-02-26", "2024-02-25"]
    assert result.items[0].date_text == "/t20240226_886.html"


def test_date_inside_a_title_sentence_is_not_the_item_date() -> None:
    items = (
        '<li><a href="/content_1.html">关于2024年3月8日召开全市安全生产大会的通知</a>'
        "<span>2024-02-01</span></li>"
        '<li><a href="/content_2.html">关于2024年3月9日起调整公交线路的公告</a></li>'
    )
    result = run(page(f'<ul class="list">{items}</ul>'))
    assert [item.date for item in result.items] == ["2024-02-01", None]
    assert result.latest == "2024-02-01"


def test_undated_list_is_neither_blank_nor_dated() -> None:
    items = "".join(
        f'<li><a href="/jgzn/content_{n}.html">{name}</a></li>'
        for n, name in enumerate(["主要职责", "内设机构", "领导信息", "下属单位"])
    )
    result = run(page(f'<ul class="list">{items}</ul>'))
    assert [item.title for item in result.items] == ["主要职责", "内设机构", "领导信息", "下属单位"]
    assert all(item.date is None for item in result.items)
    assert (result.latest, result.blank, result.needs_browser) == (None, False, False)


# --- blank lists -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker", ["暂无信息", "暂无数据", "暂无内容", "栏目建设中", "正在建设中", "信息正在完善中"]
)
def test_blank_markers(marker: str) -> None:
    result = run(page(f'<div class="list"><p class="no-data">{marker}!</p></div>'))
    assert (result.blank, result.blank_reason, result.items) == (True, marker, [])
    assert result.needs_browser is False


@pytest.mark.parametrize(
    "container",
    [
        '<div class="list"><ul></ul></div>',
        '<ul class="news-list"></ul>',
        '<table class="list-table"><tr><th>标题</th><th>发布日期</th></tr></table>',
        '<div class="news"> </div>',
    ],
)
def test_empty_list_container_is_blank(container: str) -> None:
    result = run(page(container))
    assert (result.blank, result.blank_reason) == (True, "empty list")


def test_text_page_with_an_empty_box_is_not_blank() -> None:
    text = (
        "示例市机构编制委员会办公室是市委工作机关，负责全市机构编制管理工作，"
        "主要职责是贯彻执行党中央关于机构编制工作的方针政策和法律法规，拟订全市机构编制工作规划。"
    )
    result = run(page(f'<div class="article"><p>{text}</p></div><div class="info"></div>'))
    assert result == ListResult()


def test_item_opened_by_script_keeps_its_date() -> None:
    items = "".join(
        f'<li><a href="javascript:void(0)" onclick="openDetail({n})">示例市第{n}批政府采购意向公开</a>'
        f"<span>2024-02-0{n}</span></li>"
        for n in (3, 2)
    )
    result = run(page(f'<ul class="list">{items}</ul>'))
    assert [(item.url, item.date) for item in result.items] == [
        (None, "2024-02-03"),
        (None, "2024-02-02"),
    ]


def test_blank_marker_beside_a_real_list_is_not_blank() -> None:
    side = '<div class="side"><h3>热点排行</h3><p>暂无数据</p></div>'
    result = run(page(li_list(["2024-02-01", "2024-01-20"]) + side))
    assert result.blank is False and len(result.items) == 2


def test_hidden_iframe_does_not_make_a_blank_page_need_a_browser() -> None:
    html = page('<div class="list">暂无信息</div><iframe src="/stat.html" width="0" height="0">')
    result = run(html)
    assert (result.blank, result.needs_browser) == (True, False)


# --- lists built by script ---------------------------------------------------------------------


INLINE_JSON = """<ul id="list"></ul><script>
var data = [{"title": "关于开展春季植树活动的通知", "url": "./t20240301_1.html", "date": "2024-03-01"}];
for (var i = 0; i < data.length; i++) {
  document.getElementById("list").innerHTML += '<li><a href="' + data[i].url + '">'
    + data[i].title + '</a><span>' + data[i].date + '</span></li>';
}</script>"""
DOC_WRITE = """<div class="list"><script type="text/javascript">
document.write('<ul><li><a href="./t20240301_1.html">关于开展春季植树活动的通知</a></li></ul>');
</script></div>"""
AJAX = """<ul class="news-list" id="newsList"><li class="loading">暂无数据</li></ul><script>
$(function () { $.ajax({ url: "/api/column/123/articles.json", dataType: "json",
  success: function (res) { render(res.list); } }); });</script>"""
FETCH = """<div class="list" id="app"></div><script>
fetch("/api/list?columnId=12").then(r => r.json()).then(show);</script>"""
IFRAME = '<div class="list-frame"><iframe src="/xxgk/list.jsp?col=12" width="100%" height="800">'


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (INLINE_JSON, "script builds the list"),
        (DOC_WRITE, "document.write"),
        (AJAX, "ajax"),
        (FETCH, "ajax"),
        (IFRAME, "iframe"),
    ],
)
def test_script_built_lists_need_a_browser_and_are_never_blank(content: str, reason: str) -> None:
    result = run(page(content))
    assert result.needs_browser is True
    assert result.browser_reason == reason
    assert result.blank is False and result.items == []


def test_static_list_with_a_counter_script_is_read_statically() -> None:
    counter = '<script>$.ajax({url: "/count?id=1"});</script>'
    result = run(page(li_list(["2024-02-01"]) + counter))
    assert result.needs_browser is False and result.latest == "2024-02-01"


# --- pagination --------------------------------------------------------------------------------


def test_trs_create_page_html() -> None:
    result = run((PAGES / "trs_list.html").read_text(encoding="utf-8"))
    base = "http://www.example.gov.cn/zwgk/tzgg/"
    assert result.next_pages == [
        f"{base}index_1.html",
        f"{base}index_2.html",
        f"{base}index_3.html",
    ]


def test_trs_create_page_html_on_a_later_page_and_capped() -> None:
    script = '<script language="JavaScript">createPageHTML(50, 2, "index", "shtml");</script>'
    result = run(page(li_list(["2023-05-01"]) + script), url="http://x.gov.cn/tzgg/index_2.shtml")
    assert result.next_pages == [f"http://x.gov.cn/tzgg/index_{k}.shtml" for k in range(3, 13)]


def test_trs_create_page_html_with_variables() -> None:
    script = """<script>
    var currentPage = 0;//所在页从0开始
    var prevPage = currentPage-1//上一页
    var nextPage = currentPage+1//下一页
    var countPage = 3//共多少页
    createPageHTML(countPage, currentPage, "index", "html");</script>"""
    result = run(page(li_list(["2024-01-01"]) + script))
    assert result.next_pages == [
        "http://www.example.gov.cn/zwgk/tzgg/index_1.html",
        "http://www.example.gov.cn/zwgk/tzgg/index_2.html",
    ]


def test_single_page_trs_list_has_no_next_pages() -> None:
    script = '<script>createPageHTML(1, 0, "index", "html");</script>'
    assert run(page(li_list(["2024-01-01"]) + script)).next_pages == []


def test_numbered_pager_from_the_current_page() -> None:
    pager = (
        '<div class="pages"><a href="list_1.html">首页</a><a href="list_2.html">上一页</a>'
        '<a href="list_1.html">1</a><a href="list_2.html">2</a><span class="current">3</span>'
        '<a href="list_4.html">4</a><a href="list_5.html">5</a><a href="list_4.html">下一页</a>'
        '<a href="list_9.html">尾页</a></div>'
    )
    result = run(page(li_list(["2023-06-01"]) + pager), url="http://x.gov.cn/xwzx/list_3.html")
    assert result.next_pages == [
        "http://x.gov.cn/xwzx/list_4.html",
        "http://x.gov.cn/xwzx/list_5.html",
    ]


def test_next_link_only_pager() -> None:
    pager = '<div class="pagination">共120条 第1/6页 <a href="?page=2">下一页</a> <a href="?page=6">尾页</a></div>'
    result = run(page(li_list(["2023-06-01"]) + pager), url="http://x.gov.cn/tzgg/index.html")
    assert result.next_pages == ["http://x.gov.cn/tzgg/index.html?page=2"]


def test_two_page_list_with_a_lone_page_link() -> None:
    pager = '<div class="pages"><span>1</span><a href="page_2.html">2</a></div>'
    result = run(page(li_list(["2023-06-01"]) + pager), url="http://x.gov.cn/tzgg/")
    assert result.next_pages == ["http://x.gov.cn/tzgg/page_2.html"]


def test_javascript_pager_links_are_not_followed() -> None:
    pager = '<div class="pages"><span>1</span><a href="javascript:goPage(2)">2</a><a href="javascript:goPage(3)">3</a></div>'
    assert run(page(li_list(["2023-06-01"]) + pager)).next_pages == []


# --- lists rendered in blocks ------------------------------------------------------------------


def _li(n: int, date: str, pin: str = "") -> str:
    return f'<li><a href="./202402/t20240201_{n}.html">{pin}关于做好第{n}项专项工作的通知</a><span>{date}</span></li>'


def _dates(count: int, first: int = 28) -> list[str]:
    return [f"2024-02-{day:02d}" for day in range(first, first - count, -1)]


def test_trs_block_list_merges_its_sibling_blocks() -> None:
    # TRS 动静结合: the list pre-rendered as <div><ul> blocks of 5; the first holds old pinned items.
    pinned = "".join(_li(n, f"2023-0{n}-15", "<em class='zd'>置顶</em>") for n in range(1, 3))
    rows = [_li(n, date) for n, date in enumerate(_dates(18), start=3)]
    blocks = [pinned + "".join(rows[:3])] + ["".join(rows[i : i + 5]) for i in range(3, 18, 5)]
    content = "".join(f'<div class="list_con"><ul class="ul_list">{b}</ul></div>' for b in blocks)
    result = run(page(f'<div class="list_box">{content}</div>'))
    assert len(result.items) == 20
    assert result.latest == "2024-02-28"
    assert [item.pinned for item in result.items[:3]] == [True, True, False]


def test_hidden_pagination_chunks_are_one_list() -> None:
    rows = [_li(n, date) for n, date in enumerate(_dates(15), start=1)]
    chunks = "".join(
        f'<div id="page_{i}" class="page{i}" style="{"" if i == 0 else "display:none"}">'
        f"<ul>{''.join(rows[i * 5 : i * 5 + 5])}</ul></div>"
        for i in range(3)
    )
    result = run(page(chunks))
    assert (len(result.items), result.latest) == (15, "2024-02-28")


def test_table_split_by_separator_rows_and_into_tables() -> None:
    def row(n: int, date: str) -> str:
        return (
            f'<tr><td class="td_title"><a href="./t20240201_{n}.html">第{n}号通知公告的标题</a></td>'
            f'<td class="td_date">{date}</td></tr><tr><td colspan="2" class="line"></td></tr>'
        )

    dates = _dates(12)
    tables = "".join(
        f'<table width="100%">{"".join(row(n, dates[n]) for n in range(i, i + 4))}</table>'
        for i in range(0, 12, 4)
    )
    result = run(page(tables))
    assert (len(result.items), result.latest) == (12, "2024-02-28")


def test_blocks_with_their_own_headings_are_not_merged() -> None:
    # A related-links block of the same shape beside the list is a block of its own.
    main = "".join(_li(n, date) for n, date in enumerate(_dates(10), start=1))
    related = "".join(_li(n, "2024-03-09") for n in range(20, 25))
    content = (
        f'<div class="list_con"><ul class="ul_list">{main}</ul></div>'
        f'<div class="list_con"><h3>相关链接</h3><ul class="ul_list">{related}</ul></div>'
    )
    result = run(page(content))
    assert (len(result.items), result.latest) == (10, "2024-02-28")


def test_a_block_titled_by_bare_text_is_not_merged() -> None:
    main = "".join(_li(n, date) for n, date in enumerate(_dates(10), start=1))
    related = "".join(_li(n, "2024-03-09") for n in range(20, 25))
    content = (
        f'<div class="list_con"><ul class="ul_list">{main}</ul></div>'
        f'<div class="list_con">相关链接<ul class="ul_list">{related}</ul></div>'
    )
    result = run(page(content))
    assert (len(result.items), result.latest) == (10, "2024-02-28")


# --- link grouping paths -----------------------------------------------------------------------


def test_list_nested_past_max_depth_reads_as_the_shallow_one() -> None:
    """Hostile nesting: links deeper than MAX_DEPTH look at their nearest ancestors only (the
    link-by-link path); the list still reads as the same list one level deep."""
    listing = li_list(["2024-03-08", "2024-03-05", "2024-02-29"])
    shallow = run(page(listing))
    deep = run(page("<div>" * (listpage.MAX_DEPTH + 6) + listing + "</div>" * 70))
    assert len(shallow.items) == 3 and shallow.latest == "2024-03-08"
    assert deep.items == shallow.items and deep.latest == shallow.latest


@pytest.mark.parametrize("fixture", sorted(PAGES.glob("*.html")), ids=lambda path: path.name)
def test_bottom_up_holders_match_the_link_by_link_ones(fixture: Path) -> None:
    """Where every link reaches the top within MAX_DEPTH, counting links bottom-up chooses the
    same item element for each link as climbing from each link."""
    body = LexborHTMLParser(fixture.read_text(encoding="utf-8", errors="replace")).body
    assert body is not None
    anchors = body.css("a[href], a[onclick]")
    links = listpage._Links(body, anchors, T)
    if not anchors or max(links.depths[i] for i in links.anchor_ids) >= listpage.MAX_DEPTH:
        pytest.skip("no links, or nested past MAX_DEPTH")
    by_chain = listpage._best_holders_by_chain(links, anchors)
    assert listpage._best_holders(listpage._Links(body, anchors, T), anchors) == by_chain
    assert any(holder >= 0 for holder in by_chain)


def test_sidebar_list_is_read_when_the_content_area_has_none() -> None:
    """Only the sidebar has a list (its dates in the URLs): the aside groups are read then."""
    links = "".join(
        f'<li><a href="/xwzx/202402/t2024020{n}_9{n}.html">示例市召开第{n}次专题工作会议</a></li>'
        for n in range(1, 5)
    )
    html = page(f'<div class="side"><ul>{links}</ul></div>')
    result = run(html)
    assert [item.title for item in result.items][:1] == ["示例市召开第1次专题工作会议"]
    assert len(result.items) == 4 and result.latest == "2024-02-04"
