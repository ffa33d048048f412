"""The farm over real HTTP on loopback: scale, encodings, routing and the serve command."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time

import aiohttp
import pytest
from selectolax.lexbor import LexborHTMLParser

from farm import FarmServer, generate_province, serve_forever
from farm.content import RARE_NAMES

pytestmark = pytest.mark.integration
AT = dt.date(2024, 3, 20)
TIMEOUT = aiohttp.ClientTimeout(total=10)


async def test_thousand_sites_start_fast_and_each_answers_as_itself() -> None:
    province = generate_province(1000, 7, AT)
    started = time.perf_counter()
    async with FarmServer(province) as server:
        seconds = time.perf_counter() - started
        print(f"farm start, 1000 sites: {seconds:.2f} s on port {province.port}")
        assert seconds < 10
        hosts = {server.site_url(s.site_id).split("/")[2] for s in province}
        assert len(hosts) == 1000 and all(h.startswith("127.") for h in hosts)
        up = [s for s in province if s.home_fault is None]  # down sites: test_farm_faults
        sample = random.Random(0).sample(up, 40) + [up[-1]]
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:

            async def fetch(site):
                async with session.get(server.site_url(site.site_id)) as response:
                    return site, response.status, await response.read()

            for site, status, body in await asyncio.gather(*(fetch(s) for s in sample)):
                assert status == 200
                codec = "utf-8" if site.charset == "utf-8" else "gb18030"
                tree = LexborHTMLParser(body.decode(codec))
                assert tree.css_first("meta[name=SiteIDCode]").attributes["content"] == site.site_id
                assert tree.css_first("meta[name=SiteName]").attributes["content"] == site.name


async def test_gbk_sites_declare_their_charset_and_carry_characters_outside_gb2312() -> None:
    province = generate_province(60, 1, AT)
    async with FarmServer(province) as server, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        for charset, declared in (("gbk", '<meta charset="gbk">'), ("gb2312", "charset=gb2312")):
            site = next(
                s
                for s in province
                if s.charset == charset and not s.nav_only and s.home_fault is None
            )
            news = site.columns[0]  # its newest item names a person written with 堃 or 镕
            async with session.get(server.site_url(site.site_id) + news.key + "/") as response:
                body = await response.read()
                header = response.headers["Content-Type"]
            assert header in ("text/html", f"text/html; charset={charset}")
            text = body.decode("gb18030")
            assert declared in text
            assert any(name in text for name in RARE_NAMES)
            with pytest.raises(UnicodeDecodeError):
                body.decode("gb2312")


async def test_routes_pages_articles_redirects_and_missing_pages() -> None:
    province = generate_province(60, 1, AT)
    site, column = next(
        (s, c)
        for s in province
        for c in s.columns
        if s.family == "trs"
        and s.home_fault is None
        and c.items > 20
        and not (c.browser or c.fault)
    )
    async with FarmServer(province) as server, aiohttp.ClientSession(timeout=TIMEOUT) as session:
        base = server.site_url(site.site_id)
        codec = "utf-8" if site.charset == "utf-8" else "gb18030"

        async def get(path: str, **kw) -> tuple[int, str]:
            async with session.get(base + path, **kw) as response:
                return response.status, (await response.read()).decode(codec)

        status, html = await get(column.key + "/")
        assert status == 200
        links = [a.attributes["href"] for a in LexborHTMLParser(html).css("div.list a")]
        assert links[0].startswith("./") and "/t" in links[0]
        status, article = await get(column.key + "/" + links[0].removeprefix("./"))
        assert status == 200 and "发布时间:" in article
        assert (await get(column.key + "/index_1.html"))[0] == 200
        assert (await get(column.key + "/index_99.html"))[0] == 404
        wrong_date = links[0].removeprefix("./").replace("/t", "/t1", 1)
        assert (await get(column.key + "/" + wrong_date))[0] == 404
        assert (await get("no-such-column/"))[0] == 404
        async with session.get(base + column.key, allow_redirects=False) as response:
            assert response.status == 301
            assert response.headers["Location"] == f"/{column.key}/"
        assert (await get("sitemap.html"))[0] == 200


async def test_serve_forever_writes_registry_and_manifest(tmp_path, capsys) -> None:
    task = asyncio.create_task(serve_forever(25, 3, AT, tmp_path / "farm"))
    manifest = tmp_path / "farm" / "manifest.json"
    deadline = time.monotonic() + 10
    while not manifest.exists() and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.05)
    try:
        assert manifest.exists()
        registry = (tmp_path / "farm" / "registry.csv").read_text("utf-8-sig")
        assert registry.splitlines()[0] == "网站标识码,网站名称,首页地址,地区/部门,网站类型"
        assert len(registry.splitlines()) == 26
        url = registry.splitlines()[1].split(",")[2]
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session, session.get(url) as response:
            assert response.status == 200
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "farm: 25 site URLs" in capsys.readouterr().out


async def test_serve_forever_rejects_an_unusable_out_dir(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="cannot create the folder"):
        await serve_forever(5, 1, AT, blocker / "farm")
