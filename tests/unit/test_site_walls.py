"""crawler/site.py on loopback: a column or home page answered with an anti-bot challenge (status 200)
is 未能检测 (WAF), never blank or stale; a framed portal's columns come from its frames."""

from __future__ import annotations

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

T = date(2024, 6, 30)
SHELL = (
    '<html><head><meta content="gZLmGrT7oUh66F9B" r="m"><script type="text/javascript" r=\'m\'>'
    "$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=2143;</script>"
    "<script src=\"/4QbVtADbnLVI/c.js\" r='m'></script></head><body></body></html>"
)
NAV = "".join(
    f'<td><a href="/{path}/">{name}</a></td>'
    for name, path in (
        ("政务公开", "zwgk"),
        ("新闻中心", "xwzx"),
        ("互动交流", "hdjl"),
        ("办事服务", "bsfw"),
    )
)
PAGES = {
    "/walled/": SHELL,
    "/rs/": SHELL,
    "/framed/": '<html><frameset rows="100,*"><frame src="/framed/top.html"><frame src="/framed/main.html">'
    "</frameset></html>",
    "/framed/top.html": f"<html><body><table><tr>{NAV}</tr></table></body></html>",
    "/framed/main.html": "<html><body><p>欢迎访问</p></body></html>",
}


@pytest.fixture
async def origin() -> AsyncIterator[str]:
    async def serve(request: web.Request) -> web.Response:
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
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Politeness(4, 100.0), timeout_s=5, policy=NetPolicy([LOOPBACK])) as fetcher:
        yield fetcher


async def test_challenge_column_is_unmeasured_waf_never_blank(origin, fetcher) -> None:
    column = ColumnRef(name="通知公告", url=f"{origin}/walled/", category="通知公告")
    facts = await read_column(fetcher, column, T)
    assert (facts.measured, facts.blank, facts.needs_browser) == (False, False, True)
    assert facts.reason is not None and "WAF" in facts.reason and "瑞数" in facts.reason


async def test_challenge_home_page_is_unmeasured_waf(origin, fetcher) -> None:
    home = await read_home(fetcher, f"{origin}/rs/", T)
    assert home.measured is False and home.columns == []
    assert home.reason is not None and "WAF" in home.reason


async def test_framed_portal_columns_come_from_its_frames(origin, fetcher) -> None:
    home = await read_home(fetcher, f"{origin}/framed/", T)
    assert [c.name for c in home.columns if c.level == 1] == [
        "政务公开",
        "新闻中心",
        "互动交流",
        "办事服务",
    ]
