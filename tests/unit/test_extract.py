"""extract_page end to end: page kinds, home facts (dated entries, columns, footer identity),
list facts, article dates, input errors; and the bytes → facts path of the crawler."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.identity import read_identity
from crawler.model import Footer

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
T = dt.date(2024, 3, 10)
HOME = "http://www.sxian.gov.cn/"
LIST_URL = "http://www.example.gov.cn/zwgk/tzgg/index.html"


def fixture(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def home():
    return extract_page(fixture("home.html"), HOME, T)


# --- home pages --------------------------------------------------------------------------------


def test_root_url_is_a_home_page(home) -> None:
    assert home.kind == "home"
    assert extract_page(fixture("home.html"), HOME + "index.html", T).kind == "home"
    assert extract_page(fixture("home.html"), HOME + "zwgk/", T).kind != "home"
    assert extract_page(fixture("home.html"), HOME + "zwgk/", T, kind_hint="home").kind == "home"


def test_home_dated_entries_ignore_the_date_widget_and_footer_stamp(home) -> None:
    titles = {item.title: item for item in home.items}
    assert titles["县政府召开第五次常务会议"].date == "2024-03-05"
    assert titles["县政府召开第五次常务会议"].year_inferred is True
    assert titles["示例县入选省级乡村振兴示范县"].date == "2023-12-20"  # [12-20] is last year
    assert all(item.date for item in home.items)
    assert "设为首页" not in titles and "网站地图" not in titles
    # the newest is the focus picture's article (dated by its TRS URL), not 2024-03-10
    assert home.latest == "2024-03-09"
    assert home.latest_item is not None and home.latest_item.title == "县委常委会召开会议"
    assert home.blank is False and home.needs_browser is False


def test_home_columns_and_footer(home) -> None:
    assert {c.name for c in home.columns} >= {"新闻中心", "通知公告", "县长信箱", "乡村振兴"}
    assert home.footer == Footer(
        site_code="1301230001",
        meta_site_code="1301230001",
        jiucuo_code="1301230001",
        icp="冀ICP备05012345号",
        police_record="冀公网安备13012302000001号",
        conac=True,
        sitemap_url="http://www.sxian.gov.cn/wzdt/",
    )


def test_meta_and_links(home) -> None:
    assert home.meta == {
        "SiteName": "示例县人民政府",
        "SiteDomain": "www.sxian.gov.cn",
        "SiteIDCode": "1301230001",
    }
    assert "http://www.sxian.gov.cn/images/logo.png" in home.links  # images too
    assert "http://www.gov.cn/" in home.links  # outside links as well
    assert "http://www.sxian.gov.cn/files/guide.pdf" in home.links
    assert not [link for link in home.links if not link.startswith(("http://", "https://"))]
    assert len(home.links) == len(set(home.links))


def test_navigation_only_home_page() -> None:
    html = """<html><body><div class="nav"><ul><li><a href="/">首页</a></li>
      <li><a href="/zwgk/">政务公开</a></li><li><a href="/xwzx/">新闻中心</a></li></ul></div>
      <div class="portal"><ul class="tiles"><li class="tile"><a href="/zwgk/"><span>政务公开</span></a>
      </li><li class="tile"><a href="/xwzx/"><span>新闻中心</span></a></li></ul></div></body></html>"""
    facts = extract_page(html, HOME, T)
    assert (facts.kind, facts.items, facts.latest, facts.blank) == ("home", [], None, False)
    assert facts.needs_browser is False
    assert [c.name for c in facts.columns] == ["政务公开", "新闻中心"]


def test_home_page_drawn_by_script_needs_a_browser() -> None:
    html = """<html><body><div class="nav"><a href="/zwgk/">政务公开</a></div>
      <div class="news" id="news"></div><script>$.getJSON("/api/news.json", draw);</script></body></html>"""
    facts = extract_page(html, HOME, T)
    assert facts.kind == "home" and facts.items == [] and facts.needs_browser is True


# --- identity variants -------------------------------------------------------------------------


def test_identity_from_jiucuo_script_and_conac_script() -> None:
    html = """<html><head><meta name="siteidcode" content="bm07000001"></head><body>
      <div class="foot">政府网站标识码 bm07000001 京ICP备 05070218号-3
      <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010202000001">
      <img src="ga.png"></a></div>
      <script id="_jiucuo_" sitecode='bm07000001' src='https://zfwzgl.www.gov.cn/exposure/jiucuo.js'></script>
      <script src="https://dcs.conac.cn/js/33/000/0000/40672838/CA330000000406728380001.js"></script>
      </body></html>"""
    footer = read_identity(LexborHTMLParser(html), "http://www.miit.gov.cn/")
    assert footer == Footer(
        site_code="bm07000001",
        meta_site_code="bm07000001",
        jiucuo_code="bm07000001",
        icp="京ICP备05070218号-3",
        police_record="11010202000001",  # only the record link carries the number
        conac=True,
    )


def test_identity_of_a_bare_page() -> None:
    assert read_identity(LexborHTMLParser("<p>hello</p>"), HOME) == Footer()


# --- lists -------------------------------------------------------------------------------------


def test_list_page_facts() -> None:
    facts = extract_page(fixture("trs_list.html"), LIST_URL, T, charset="gb18030", kind_hint="list")
    assert facts.kind == "list"
    assert facts.title == "通知公告_示例市人民政府"
    assert facts.charset == "gb18030"
    assert len(facts.items) == 10
    assert facts.latest == "2024-02-26"
    assert facts.latest_item == facts.items[1]
    assert facts.next_pages[0] == "http://www.example.gov.cn/zwgk/tzgg/index_1.html"
    assert facts.columns == [] and facts.footer is None and facts.published is None


def test_list_kind_is_found_without_a_hint() -> None:
    assert extract_page(fixture("trs_list.html"), LIST_URL, T).kind == "list"


def test_blank_and_script_built_columns() -> None:
    blank = '<html><body><div class="list"><span>暂无信息</span></div></body></html>'
    facts = extract_page(blank, LIST_URL, T, kind_hint="list")
    assert (facts.kind, facts.blank, facts.blank_reason) == ("list", True, "暂无信息")
    framed = (
        '<html><body><div class="main"><iframe src="/list.jsp?id=3"></iframe></div></body></html>'
    )
    facts = extract_page(framed, LIST_URL, T, kind_hint="list")
    assert (facts.kind, facts.blank, facts.needs_browser) == ("list", False, True)


def test_page_without_a_list_is_other() -> None:
    facts = extract_page("<html><body><p>联系我们</p></body></html>", LIST_URL, T, kind_hint="list")
    assert (facts.kind, facts.items, facts.blank) == ("other", [], False)


def test_gbk_page_from_bytes_to_facts() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '<title>人事信息</title></head><body><ul class="list">'
        '<li><a href="./202402/t20240220_7.html">关于王镕同志任职的通知</a><span>2024-02-20</span></li>'
        '<li><a href="./202401/t20240105_6.html">关于李堃同志免职的通知</a><span>2024-01-05</span></li>'
        "</ul></body></html>"
    )
    text, charset = decode_html(html.encode("gbk"), "text/html")
    facts = extract_page(text, "http://www.example.gov.cn/zwgk/rsxx/", T, charset=charset)
    assert facts.charset == "gb18030"
    assert [item.title for item in facts.items] == [
        "关于王镕同志任职的通知",
        "关于李堃同志免职的通知",
    ]
    assert facts.latest == "2024-02-20"


# --- articles ----------------------------------------------------------------------------------


ARTICLE = """<html><head>{meta}<title>关于开展春季植树活动的通知</title></head><body>
<div class="header"><span>2024年3月10日 星期日</span></div>
<div class="article"><h1>关于开展春季植树活动的通知</h1>
<div class="info">{info}<span>来源：示例市林业局</span></div>
<div class="content"><p>各县（市、区）人民政府，市政府各部门：为深入贯彻落实全民义务植树精神，
进一步改善城乡生态环境，经市政府同意，决定在全市范围内开展2024年春季植树活动，现将有关事项通知如下。</p></div>
<ul class="related"><li><a href="/t20240301_1.html">相关：全市绿化工作会议召开</a><span>2024-03-01</span></li>
<li><a href="/t20240228_2.html">相关：示例市森林防火工作方案</a><span>2024-02-28</span></li></ul>
</div></body></html>"""


def test_article_date_from_pubdate_meta() -> None:
    html = ARTICLE.format(
        meta='<meta name="ArticleTitle" content="关于开展春季植树活动的通知">'
        '<meta name="PubDate" content="2024-03-04 09:30">',
        info="<span>来源：本站</span>",
    )
    facts = extract_page(html, "http://www.example.gov.cn/zwgk/tzgg/content_9.html", T)
    assert (facts.kind, facts.published) == ("article", "2024-03-04")


def test_visible_publish_date_wins_over_a_disagreeing_meta() -> None:
    # Templates regenerate PubDate when a page is republished; the 发布时间 shown is the date.
    html = ARTICLE.format(
        meta='<meta name="ArticleTitle" content="关于开展春季植树活动的通知">'
        '<meta name="PubDate" content="2024-03-08 15:24:29">',
        info="<span>发布时间：2024-03-05 10:32</span>",
    )
    facts = extract_page(html, "http://www.example.gov.cn/zwgk/tzgg/content_9.html", T)
    assert facts.published == "2024-03-05"


@pytest.mark.parametrize(
    ("info", "published"),
    [
        # 信息公开 table: 成文日期 first, 发布日期 is the publication date
        (
            "<table><tr><td>成文日期</td><td>2024年03月01日</td>"
            "<td>发布日期</td><td>2024年03月04日</td></tr></table>",
            "2024-03-04",
        ),
        ("<span>时间： 2024-03-06 06:23</span>", "2024-03-06"),  # a bare 时间 label
        ("<span>留言时间：2024-03-07</span><span>日期：2024-03-02</span>", "2024-03-02"),
        ("<span>成文日期：2024年03月01日</span>", "2024-03-01"),  # only the document date shown
    ],
)
def test_article_date_labels(info: str, published: str) -> None:
    html = ARTICLE.format(meta="", info=info)
    facts = extract_page(
        html, "http://www.example.gov.cn/zwgk/tzgg/content_9.html", T, kind_hint="article"
    )
    assert facts.published == published


def test_list_template_with_article_title_meta_is_a_list() -> None:
    rows = "".join(
        f'<li><a href="/zwgk/tzgg/content_{n}.html">示例市第{n}号通知公告标题</a>'
        f"<span>2024-03-{n:02d}</span></li>"
        for n in range(1, 11)
    )
    html = (
        '<html><head><meta name="ArticleTitle" content="通知公告"><meta name="PubDate" content="">'
        f'</head><body><div class="main"><ul class="list">{rows}</ul></div></body></html>'
    )
    facts = extract_page(html, LIST_URL.replace("index.html", "list.jsp"), T)
    assert (facts.kind, len(facts.items), facts.latest) == ("list", 10, "2024-03-10")


def test_article_date_from_the_publish_label() -> None:
    html = ARTICLE.format(meta="", info="<span>发布时间： 2024年03月05日 10:32</span>")
    facts = extract_page(html, "http://www.example.gov.cn/zwgk/tzgg/content_9.html", T)
    assert (facts.kind, facts.published) == ("article", "2024-03-05")


def test_article_date_from_the_trs_url_when_the_page_shows_none() -> None:
    html = ARTICLE.format(meta='<meta name="ArticleTitle" content="x">', info="")
    url = "http://www.example.gov.cn/zwgk/tzgg/202403/t20240303_12.html"
    facts = extract_page(html, url, T)
    assert (facts.kind, facts.published) == ("article", "2024-03-03")


def test_undated_article() -> None:
    html = ARTICLE.format(meta='<meta name="ArticleTitle" content="x">', info="")
    facts = extract_page(html, "http://www.example.gov.cn/zwgk/content_9.html", T)
    assert (facts.kind, facts.published) == ("article", None)


# --- column trees ------------------------------------------------------------------------------


def test_sitemap_and_xxgk_hints_give_columns() -> None:
    sitemap = extract_page(
        fixture("sitemap.html"), "http://www.example.gov.cn/wzdt/", T, kind_hint="sitemap"
    )
    assert sitemap.kind == "other"
    assert {c.source for c in sitemap.columns} == {"sitemap"} and len(sitemap.columns) == 15
    xxgk = extract_page(
        fixture("xxgk.html"), "http://www.example.gov.cn/xxgk/", T, kind_hint="xxgk"
    )
    assert {c.source for c in xxgk.columns} == {"xxgk"} and len(xxgk.columns) == 8


# --- input errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((b"<html></html>", LIST_URL, T), TypeError, "html must be str"),
        (("<html></html>", "/zwgk/tzgg/", T), ValueError, "not an absolute http(s) or file URL"),
        (("<html></html>", "ftp://x.gov.cn/", T), ValueError, "'ftp://x.gov.cn/'"),
        (("<html></html>", "http:///path", T), ValueError, "has no host"),
        (("<html></html>", LIST_URL, "2024-03-10"), TypeError, "at must be a datetime.date"),
    ],
)
def test_bad_input_is_named(args, error, words) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        extract_page(*args)


def test_bad_kind_hint_is_named() -> None:
    with pytest.raises(ValueError, match="kind_hint 'page' is not one of home, list, article"):
        extract_page("<html></html>", LIST_URL, T, kind_hint="page")


def test_saved_file_url_is_accepted() -> None:
    facts = extract_page(fixture("trs_list.html"), "file:///tmp/trs_list.html", T)
    assert facts.kind == "list" and len(facts.items) == 10


@pytest.mark.parametrize(
    "html", ["", "<", "<html><body></body>", "\x00\x01garbage<<<>>>", "<p>" * 5000]
)
def test_broken_html_does_not_raise(html: str) -> None:
    facts = extract_page(html, LIST_URL, T)
    assert facts.items == [] and facts.blank is False
