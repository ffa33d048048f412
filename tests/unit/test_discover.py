"""Column discovery (navigation, 更多 blocks, 网站地图, 信息公开 tree) and column classes."""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler import discover
from crawler.discover import (
    classify,
    discover_columns,
    find_sitemap_url,
    is_column_url,
    parse_sitemap,
    parse_xxgk_tree,
)
from crawler.model import ColumnRef

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
HOME = "http://www.sxian.gov.cn/"


def tree_of(name: str) -> LexborHTMLParser:
    return LexborHTMLParser((PAGES / name).read_text(encoding="utf-8"))


def by_name(columns: list[ColumnRef]) -> dict[str, ColumnRef]:
    return {column.name: column for column in columns}


@pytest.fixture(scope="module")
def home_columns() -> dict[str, ColumnRef]:
    return by_name(discover_columns(tree_of("home.html"), HOME))


def test_navigation_gives_level_one_columns_and_dropdown_children(home_columns) -> None:
    top = {name for name, column in home_columns.items() if column.level == 1}
    assert top == {"走进示例", "新闻中心", "政务公开", "互动交流", "专题专栏"}
    notice = home_columns["通知公告"]
    assert (notice.level, notice.parent, notice.source) == (2, "政务公开", "nav")
    assert notice.url == "http://www.sxian.gov.cn/zwgk/tzgg/"
    assert home_columns["部门动态"].parent == "新闻中心"


def test_navigation_exclusions(home_columns) -> None:
    assert "网站首页" not in home_columns  # the home page itself
    assert "政务服务" not in home_columns  # another host: an external system
    assert "使用帮助" not in home_columns  # an attachment, and in the footer
    assert "县委常委会召开会议研究部署春季农业生产" not in home_columns  # an article


def test_more_blocks_add_columns_not_in_the_navigation(home_columns) -> None:
    block = home_columns["乡村振兴"]
    assert (block.level, block.parent, block.source) == (2, None, "block")
    assert block.url == "http://www.sxian.gov.cn/xczx/"
    # Blocks whose 更多 leads to a navigation column are that column, found once.
    assert home_columns["示例要闻"].source == "nav"
    assert home_columns["政务公开"].source == "nav"
    urls = [column.url for column in discover_columns(tree_of("home.html"), HOME)]
    assert len(urls) == len(set(urls))


def test_block_named_like_a_navigation_column_takes_its_level() -> None:
    html = """<body><div class="nav"><ul>
      <li><a href="/zwgk/">政务公开</a><ul><li><a href="/zwgk/tzgg/">通知公告</a></li></ul></li>
      <li><a href="/xwzx/">新闻中心</a></li></ul></div>
      <div class="main"><div class="box"><div class="box-hd"><span>通知公告</span>
      <a href="/tzgg/list.html">更多</a></div><ul><li>…</li></ul></div>
      <div class="box"><h3>新闻中心</h3><a class="more" href="/xwzx/more.html">+</a></div></div></body>"""
    columns = discover_columns(LexborHTMLParser(html), HOME)
    blocks = by_name([c for c in columns if c.source == "block"])
    assert set(blocks) == {"通知公告", "新闻中心"}
    assert (blocks["通知公告"].level, blocks["通知公告"].parent) == (2, "政务公开")
    assert (blocks["新闻中心"].level, blocks["新闻中心"].parent) == (1, None)
    assert blocks["新闻中心"].url == "http://www.sxian.gov.cn/xwzx/more.html"


def test_block_titles_from_tabs_and_title_attributes() -> None:
    html = """<body><div class="main">
      <div class="tab-box"><div class="tab-hd"><span class="on">工作动态</span><span>基层动态</span>
      </div><a class="more" href="/gzdt/"><img src="/img/more.gif" alt="更多"></a><ul>…</ul></div>
      <div class="box"><div class="t"><a class="more" href="/zcjd/" title="更多政策解读">》</a></div></div>
      </div></body>"""
    columns = by_name(discover_columns(LexborHTMLParser(html), HOME))
    assert columns["工作动态"].url == "http://www.sxian.gov.cn/gzdt/"
    assert columns["政策解读"].category == "政策解读"


def test_sitemap_levels_and_parents() -> None:
    columns = parse_sitemap(tree_of("sitemap.html"), "http://www.example.gov.cn/wzdt/")
    named = by_name(columns)
    assert {c.name for c in columns if c.level == 1} == {"新闻中心", "政务公开", "互动交流"}
    assert (named["部门动态"].level, named["部门动态"].parent) == (2, "新闻中心")
    assert (named["通知公告"].level, named["通知公告"].parent) == (2, "政务公开")
    assert named["市政府文件"].parent == "政策文件"  # deeper entries keep their direct parent
    assert (named["民意征集"].parent, named["民意征集"].category) == ("互动交流", "互动")  # <dl>
    assert named["办事指南"].parent == "政务服务"  # a heading without a link
    assert all(c.source == "sitemap" for c in columns)
    # attachments, other hosts, javascript: links and the page's own header/footer are left out
    assert not {"信息公开指南(PDF)", "网上信访", "在线申报", "联系我们"} & set(named)


def test_xxgk_tree() -> None:
    columns = parse_xxgk_tree(tree_of("xxgk.html"), "http://www.example.gov.cn/xxgk/")
    named = by_name(columns)
    assert [c.name for c in columns if c.level == 1] == [
        "政府信息公开指南",
        "政府信息公开制度",
        "法定主动公开内容",
        "政府信息公开年报",
    ]
    assert (named["政策文件"].level, named["政策文件"].parent) == (2, "法定主动公开内容")
    assert named["政策文件"].source == "xxgk"
    assert "示例市人民政府关于印发2024年政府工作报告重点工作分工的通知" not in named


def test_find_sitemap_url() -> None:
    assert find_sitemap_url(tree_of("home.html"), HOME) == "http://www.sxian.gov.cn/wzdt/"
    html = '<body><a href="../map.html" title="站点地图"><img src="m.png"></a></body>'
    assert find_sitemap_url(LexborHTMLParser(html), "http://x.gov.cn/a/b.html") == (
        "http://x.gov.cn/map.html"
    )
    assert find_sitemap_url(LexborHTMLParser("<body><a href='/'>首页</a></body>"), HOME) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://www.sxian.gov.cn/zwgk/tzgg/", True),
        ("http://sxian.gov.cn/zwgk/", True),  # www. or not, one site
        ("http://www.sxian.gov.cn/", False),
        ("http://www.sxian.gov.cn/index.html", False),
        ("http://www.other.gov.cn/zwgk/", False),
        ("http://www.sxian.gov.cn:8080/zwgk/", False),
        ("http://www.sxian.gov.cn/files/a.PDF", False),
        ("http://www.sxian.gov.cn/files/a.docx", False),
        ("http://www.sxian.gov.cn/zwgk/202403/t20240305_1.html", False),
        ("http://www.sxian.gov.cn/art/2024/3/5/art_1_2.html", False),
        ("http://www.sxian.gov.cn/zwgk/content_12.html", False),
        (None, False),
    ],
)
def test_is_column_url(target: str | None, expected: bool) -> None:
    assert is_column_url(target, HOME) is expected


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("示例要闻", "动态要闻"),
        ("工作动态", "动态要闻"),
        ("图片新闻", "动态要闻"),
        ("领导活动", "动态要闻"),
        ("专题专栏", "other"),  # 专题 is excluded from 动态要闻
        ("新闻专题", "other"),
        ("通知公告", "通知公告"),
        ("公示公告", "通知公告"),
        ("政策文件", "政策文件"),
        ("规范性文件", "政策文件"),
        ("市政府文件", "政策文件"),
        ("政策法规", "政策文件"),
        ("政策解读", "政策解读"),
        ("政策文件解读", "政策解读"),
        ("图解", "政策解读"),
        ("人事信息", "人事"),
        ("人事任免公告", "人事"),
        ("规划计划", "规划计划"),
        ("发展规划", "规划计划"),
        ("县长信箱", "互动"),
        ("政务咨询", "互动"),
        ("我要写信", "互动"),
        ("在线访谈", "互动"),
        ("信访举报", "other"),  # not a consultation channel
        ("纪检举报", "other"),
        ("办事指南", "办事服务"),
        ("便民服务", "办事服务"),
        ("机构职能", "机构职能"),
        ("领导信息", "机构职能"),
        ("机构概况", "机构职能"),
        ("示例概况", "概况"),
        ("走进示例", "概况"),
        ("县情简介", "概况"),
        ("政府信息公开年报", "other"),
        (" 通知 公告 ", "通知公告"),
    ],
)
def test_classify(name: str, category: str) -> None:
    assert classify(name) == category


# --- navigation of older portals (2010–2018 templates) -----------------------------------------

OLD_NAMES = ["政务公开", "新闻中心", "通知公告", "政策文件", "互动交流", "办事服务"]
OLD_PATHS = ["zwgk", "xwzx", "tzgg", "zcwj", "hdjl", "bsfw"]


def old_portal(nav: str) -> str:
    """A table-layout home page: banner, the navigation, a news table and a footer table."""
    news = "".join(
        f'<tr><td><a href="/xwzx/201803/t2018030{n}_{n}.html">县政府召开第{n}次常务会议</a></td>'
        f"<td>2018-03-0{n}</td></tr>"
        for n in range(1, 7)
    )
    return f"""<html><body><table width="1000" align="center"><tr><td><img src="/images/banner.jpg"></td></tr></table>
    {nav}
    <table width="1000" align="center"><tr><td width="700"><table>{news}</table></td>
    <td><a href="http://www.gov.cn/">中国政府网</a></td></tr></table>
    <table width="1000"><tr><td>主办：示例县人民政府 <a href="/wzdt/">网站地图</a></td></tr></table>
    </body></html>"""


def _nav_names(html: str) -> list[str]:
    columns = discover_columns(LexborHTMLParser(html), HOME)
    return [column.name for column in columns if column.level == 1 and column.source == "nav"]


def test_table_navigation_without_a_nav_class() -> None:
    cells = "".join(
        f'<td align="center"><a href="/{path}/index.html">{name}</a></td><td>|</td>'
        for name, path in zip(OLD_NAMES, OLD_PATHS, strict=True)
    )
    nav = f'<table width="1000" align="center" bgcolor="#0066cc"><tr><td><a href="/">首页</a></td>{cells}</tr></table>'
    assert _nav_names(old_portal(nav)) == OLD_NAMES


def test_image_navigation_named_by_alt_or_title() -> None:
    cells = "".join(
        f'<td><a href="/{path}/"><img src="/images/nav_{n}.gif" {"alt" if n % 2 else "title"}="{name}"></a></td>'
        for n, (name, path) in enumerate(zip(OLD_NAMES, OLD_PATHS, strict=True))
    )
    nav = f'<table width="1000"><tr><td><a href="/"><img src="/images/nav_home.gif"></a></td>{cells}</tr></table>'
    assert _nav_names(old_portal(nav)) == OLD_NAMES


def test_image_map_navigation() -> None:
    areas = "".join(
        f'<area shape="rect" coords="{n * 100},0,{n * 100 + 90},40" href="/{path}/" alt="{name}">'
        for n, (name, path) in enumerate(zip(OLD_NAMES, OLD_PATHS, strict=True))
    )
    nav = f'<img src="/images/nav.jpg" usemap="#Map"><map name="Map" id="Map">{areas}</map>'
    assert _nav_names(old_portal(nav)) == OLD_NAMES


def test_script_written_menu() -> None:
    links = "".join(
        f'document.write(\'<td><a href="/{path}/" class="menu_a">{name}</a></td>\');'
        for name, path in zip(OLD_NAMES, OLD_PATHS, strict=True)
    )
    nav = f"<table><tr><script type='text/javascript'>{links}</script></tr></table>"
    assert _nav_names(old_portal(nav)) == OLD_NAMES


def test_frame_urls_of_a_framed_portal() -> None:
    from crawler.discover import frame_urls

    html = """<html><frameset rows="120,*"><frame src="top.html" name="top">
    <frame src="/main.html" name="main"><frame src="http://other.example.com/ad.html"></frameset>
    <iframe src="/stat.html" width="0" height="0"></iframe></html>"""
    assert frame_urls(LexborHTMLParser(html), HOME + "index.html") == [
        HOME + "top.html",
        HOME + "main.html",
    ]


def test_link_counts_and_footer_test_agree_with_the_per_element_reading() -> None:
    """The bottom-up link counts and the memoised footer test give, for every element of a real
    home page, what a CSS query and a climb per element give."""
    body = tree_of("home.html").body
    assert body is not None
    counts = discover._link_counts(body)
    footer = discover._Footer()
    elements = body.css("*")
    assert any(footer.holds(node) for node in elements)  # the fixture has a footer
    for node in elements:
        if node.tag not in ("a", "area"):
            assert counts.get(hash(node), 0) == len(node.css(discover._LINK_SELECTOR))
        inside, current = False, node.parent
        while current is not None and current.tag not in ("body", "html"):
            if current.tag == "footer" or discover._matches(current, discover._FOOTER_TOKEN):
                inside = True
                break
            current = current.parent
        assert footer.holds(node) == inside
