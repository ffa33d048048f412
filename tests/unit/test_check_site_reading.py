"""crawler/site.py against a small site on loopback: entry links, W-V1 candidates from every page,
留言 pages read back a year and no further, a 办事指南 sample bounded per site."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date

import pytest
from aiohttp import web

from crawler.fetch import Fetcher
from crawler.model import ColumnRef
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from crawler.site import read_column, read_home
from services.config import LOOPBACK

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

T = date(2024, 6, 30)
ELSEWHERE = "http://127.66.0.1"  # a host that is linked, never fetched


def page(body: str, title: str = "测试县人民政府") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>{body}</body></html>"
    )


NAV = (
    '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/xwdt/">新闻动态</a></li>'
    '<li><a href="/hdjl/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li></ul></div>'
)
HOME = page(
    NAV + '<div class="main"><div class="block"><div class="tit"><span>新闻动态</span>'
    '<a class="more" href="/xwdt/">更多</a></div><ul>'
    '<li><a href="/xwdt/1.html">全县工作会议召开</a><span>2024-06-28</span></li>'
    '<li><a href="/xwdt/2.html">县长调研农业生产</a><span>2024-06-27</span></li></ul></div>'
    '<div class="links"><a href="/wyxx/">我要写信</a> <a href="/xf/">网上信访</a> '
    f'<a href="{ELSEWHERE}/zwfw/">政务服务</a></div>'
    f'<div style="display:none"><a href="{ELSEWHERE}/bc/">博彩</a></div></div>'
    '<div class="footer"><a href="/sitemap.html">网站地图</a> 网站标识码:5227000001</div>'
)
SITEMAP = page(
    '<div class="sitemap"><dl><dt><a href="/bsfw/">办事服务</a></dt>'
    '<dd><a href="/bsfw/bszn/">办事指南</a></dd></dl>'
    '<dl><dt><a href="/hdjl/">政民互动</a></dt><dd><a href="/hdjl/zxzx/">咨询投诉</a></dd></dl>'
    "</div>"
)


def message_page(index: int, asked: list[str]) -> str:
    """A 留言 table that shows the 留言时间 and a status; the 答复时间 is on the letter's page."""
    rows = "".join(
        f'<tr><td><a href="m{index}_{i}.html">咨询问题{index}-{i}</a></td>'
        f"<td>{day}</td><td>已办结</td></tr>"
        for i, day in enumerate(asked)
    )
    table = f"<table><tr><th>标题</th><th>留言时间</th><th>状态</th></tr>{rows}</table>"
    pager = f'<div class="page"><script>createPageHTML(4, {index}, "index", "html");</script></div>'
    return page(NAV + f'<div class="main">{table}{pager}</div>', "咨询投诉")


def letter(asked: str, answered: str) -> str:
    return page(
        f"<table><tr><th>留言时间</th><td>{asked}</td></tr>"
        f"<tr><th>答复时间</th><td>{answered}</td></tr><tr><th>办理状态</th><td>已办结</td></tr>"
        f'</table><script src="{ELSEWHERE}/letter.js"></script>',
        "留言详情",
    )


ASKED = {
    0: ["2024-06-20", "2024-05-02"],
    1: ["2024-01-10", "2023-09-01"],
    2: ["2023-07-15", "2023-05-01"],  # the second is past a year before T
    3: ["2023-01-01"],
}
DESK = {"/hdjl/zxzx/": message_page(0, ASKED[0])} | {
    f"/hdjl/zxzx/index_{n}.html": message_page(n, ASKED[n]) for n in (1, 2, 3)
}
LETTERS = {
    f"/hdjl/zxzx/m{n}_{i}.html": letter(day, "2024-06-25")
    for n, days in ASKED.items()
    for i, day in enumerate(days)
}
# Titles only: every date is on the letter's page.
TITLES_ONLY = page(
    NAV
    + '<div class="main"><ul class="list">'
    + '<li><a href="/hdjl/ldxx/m0_0.html">关于道路维修的来信</a></li>'
    + '<li><a href="/hdjl/ldxx/m0_1.html">关于学校招生的来信</a></li></ul></div>',
    "领导信箱",
)


def status_page(index: int, days: list[str]) -> str:
    """Items with a bare date and a status word: which date it is, only the letter says."""
    items = "".join(
        f'<li><a href="s{index}_{i}.html">来信{index}-{i}</a><span>已办结</span><span>{day}</span></li>'
        for i, day in enumerate(days)
    )
    pager = f'<div class="page"><script>createPageHTML(3, {index}, "index", "html");</script></div>'
    return page(NAV + f'<div class="main"><ul class="list">{items}</ul>{pager}</div>', "书记信箱")


STATUS_DAYS = {0: ["2024-06-01", "2024-03-01"], 1: ["2023-10-01", "2023-06-01"], 2: ["2023-01-01"]}
STATUS_DESK = {"/hdjl/sjxx/": status_page(0, STATUS_DAYS[0])} | {
    f"/hdjl/sjxx/index_{n}.html": status_page(n, STATUS_DAYS[n]) for n in (1, 2)
}
STATUS_LETTERS = {
    f"/hdjl/sjxx/s{n}_{i}.html": letter(day, "2024-06-20")
    for n, days in STATUS_DAYS.items()
    for i, day in enumerate(days)
}
NEWS_LIKE = page(
    NAV + '<div class="main"><ul class="list"><li><a href="/hdjl/ft/1.html">访谈预告</a>'
    "<span>2024-06-01</span></li></ul></div>",
    "在线访谈",
)
ARTICLE = page("<h1>访谈预告</h1><p>发布时间：2024-06-01</p><p>本期访谈……</p>", "访谈预告")


GUIDES = 8
PAGES = {
    "/": HOME,
    "/sitemap.html": SITEMAP,
    **DESK,
    **LETTERS,
    **STATUS_DESK,
    **STATUS_LETTERS,
    "/hdjl/ldxx/": TITLES_ONLY,
    "/hdjl/ldxx/m0_0.html": letter("2024-01-05", "2024-06-01"),
    "/hdjl/ldxx/m0_1.html": page("<p>留言时间：2024-02-05</p><p>状态：未回复</p>", "来信"),
    "/hdjl/ft/": NEWS_LIKE,
    "/hdjl/ft/1.html": ARTICLE,
    "/bsfw/bszn/": page(
        NAV
        + '<div class="main"><ul class="list">'
        + "".join(
            f'<li><a href="/bsfw/bszn/g{i}.html">事项{i}办事指南</a></li>' for i in range(GUIDES)
        )
        + "</ul></div>",
        "办事指南",
    ),
    **{
        f"/bsfw/bszn/g{i}.html": page(
            "<table><tr><th>事项名称</th><td>事项</td></tr><tr><th>设定依据</th><td>法</td></tr>"
            f"<tr><th>联系电话</th><td>1</td></tr></table>"
            f'<script src="{ELSEWHERE}/inject.js"></script>',
            f"事项{i}办事指南",
        )
        for i in range(GUIDES)
    },
}


@pytest.fixture
async def site() -> AsyncIterator[tuple[str, Counter[str]]]:
    hits: Counter[str] = Counter()

    async def serve(request: web.Request) -> web.Response:
        hits[request.path] += 1
        body = PAGES.get(request.path)
        if body is None:
            return web.Response(status=404, text="not found")
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Politeness(4, 100.0), timeout_s=5, policy=FARM) as fetcher:
        yield fetcher


async def test_home_gives_entry_links_candidates_and_the_guide_columns(site, fetcher) -> None:
    origin, _ = site

    home = await read_home(fetcher, f"{origin}/", T)

    assert home.measured
    assert [(link.name, link.url) for link in home.channels] == [
        ("政民互动", f"{origin}/hdjl/"),
        ("我要写信", f"{origin}/wyxx/"),
    ]  # 网上信访 is no consultation channel
    assert [link.name for link in home.services] == ["办事服务", "政务服务"]
    assert [(c.kind, c.target) for c in home.candidates] == [("hidden_link", f"{ELSEWHERE}/bc/")]
    marked = [c.name for c in home.columns if c.sample_guides]
    assert marked == ["办事服务", "办事指南"]  # at most two 办事服务 columns, 办事指南 first


async def test_message_pages_are_read_back_a_year_and_no_further(site, fetcher) -> None:
    origin, hits = site
    column = ColumnRef(name="咨询投诉", url=f"{origin}/hdjl/zxzx/", category="互动", level=2)

    facts = await read_column(fetcher, column, T, max_pages=3, max_message_pages=5)

    assert facts.message_list and facts.measured
    assert [(m.asked, m.answered) for m in facts.messages] == [
        ("2024-06-20", "2024-06-25"),
        ("2024-05-02", "2024-06-25"),
        ("2024-01-10", "2024-06-25"),
        ("2023-09-01", "2024-06-25"),
        ("2023-07-15", "2024-06-25"),
        ("2023-05-01", None),  # past the year: its letter is not read
    ]
    assert facts.pages_read == 3
    assert hits["/hdjl/zxzx/index_3.html"] == 0
    assert hits["/hdjl/zxzx/m2_1.html"] == 0
    assert facts.messages_more is True  # index_3 was left: the checker sees it is past the year
    assert {(c.kind, c.target) for c in facts.candidates} == {("script", f"{ELSEWHERE}/letter.js")}


async def test_message_and_letter_pages_stop_at_their_bounds(site, fetcher) -> None:
    origin, hits = site
    column = ColumnRef(name="咨询投诉", url=f"{origin}/hdjl/zxzx/", category="互动", level=2)

    facts = await read_column(fetcher, column, T, max_pages=1, max_message_pages=2, max_letters=3)

    assert facts.pages_read == 2
    # The oldest letters are read first: the newest 留言 cannot be more than 3 months late yet.
    assert [(m.asked, m.answered) for m in facts.messages] == [
        ("2024-06-20", None),
        ("2024-05-02", "2024-06-25"),
        ("2024-01-10", "2024-06-25"),
        ("2023-09-01", "2024-06-25"),
    ]
    assert sum(hits.values()) == 2 + 3
    assert facts.messages_more is True


async def test_undated_list_pages_are_dated_from_their_letters_before_reading_on(
    site, fetcher
) -> None:
    origin, hits = site
    column = ColumnRef(name="书记信箱", url=f"{origin}/hdjl/sjxx/", category="互动", level=2)

    facts = await read_column(fetcher, column, T)

    assert [(m.asked, m.answered) for m in facts.messages] == [
        ("2024-06-01", "2024-06-20"),
        ("2024-03-01", "2024-06-20"),
        ("2023-10-01", "2024-06-20"),
        ("2023-06-01", "2024-06-20"),
    ]
    assert facts.pages_read == 2
    assert hits["/hdjl/sjxx/index_2.html"] == 0
    assert all(n == 1 for path, n in hits.items() if "/hdjl/sjxx/s" in path)


async def test_a_list_of_titles_is_a_desk_when_its_letters_are_dated(site, fetcher) -> None:
    origin, _ = site
    desk = ColumnRef(name="领导信箱", url=f"{origin}/hdjl/ldxx/", category="互动", level=2)
    talks = ColumnRef(name="在线访谈", url=f"{origin}/hdjl/ft/", category="互动", level=2)

    letters = await read_column(fetcher, desk, T)
    interviews = await read_column(fetcher, talks, T)

    assert letters.message_list is True
    assert [(m.title, m.asked, m.answered, m.replied) for m in letters.messages] == [
        ("关于道路维修的来信", "2024-01-05", "2024-06-01", True),
        ("关于学校招生的来信", "2024-02-05", None, False),
    ]
    assert (interviews.message_list, interviews.messages) == (False, [])


async def test_guide_sample_is_bounded_and_read_for_elements_and_candidates(site, fetcher) -> None:
    origin, hits = site
    column = ColumnRef(
        name="办事指南",
        url=f"{origin}/bsfw/bszn/",
        category="办事服务",
        level=2,
        sample_guides=True,
    )

    facts = await read_column(fetcher, column, T, max_guides=3)

    assert [g.url for g in facts.guides] == [f"{origin}/bsfw/bszn/g{i}.html" for i in range(3)]
    assert all(g.elements == ["事项名称", "设定依据", "联系电话"] for g in facts.guides)
    assert sum(n for path, n in hits.items() if path.startswith("/bsfw/bszn/g")) == 3
    assert {(c.kind, c.target) for c in facts.candidates} == {("script", f"{ELSEWHERE}/inject.js")}


async def test_unmarked_service_columns_read_no_guides(site, fetcher) -> None:
    origin, hits = site
    column = ColumnRef(name="办事指南", url=f"{origin}/bsfw/bszn/", category="办事服务")

    facts = await read_column(fetcher, column, T)

    assert facts.guides == []
    assert sum(hits.values()) == 1
