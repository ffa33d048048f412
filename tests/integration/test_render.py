"""The browser pool with the real Debian Chromium against script-built column pages on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import async_playwright

from bench.perf_common import descendants
from crawler.extract import extract_page
from crawler.listpage import newest
from crawler.model import ColumnRef
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from crawler.render import (
    DISABLED_FEATURES,
    NO_LIST_REASON,
    BrowserPool,
    BrowserUnavailable,
    chromium_available,
    render_column,
)
from services.config import LOOPBACK
from tests.conftest import AT
from tests.integration.chromium_procs import browser_pids

CHROMIUM = "/usr/bin/chromium"
FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not chromium_available(CHROMIUM), reason="Debian chromium not installed"),
]

# One newest date per form, so a test can tell which list it read.
NEWEST = {
    "inline": "2024-03-15",
    "docwrite": "2024-03-12",
    "ajax": "2024-03-10",
    "iframe": "2024-03-08",
}
OLDER = "2024-01-05"
HANGING_SCRIPTS = 6
HANG_S = 5.0


def _items(newest: str) -> list[dict[str, str]]:
    return [
        {"title": "关于开展春季安全生产大检查的通知", "url": "/art/1.html", "date": newest},
        {"title": "关于做好防汛抗旱准备工作的通知", "url": "/art/2.html", "date": OLDER},
        {"title": "关于公布行政许可事项清单的公告", "url": "/art/3.html", "date": OLDER},
    ]


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>'
        f'<body><div class="header"><a href="/">首页</a></div><div class="main">{body}</div>'
        "</body></html>"
    )


BUILD_LIST = """
function build(items) {
  var html = '';
  for (var i = 0; i < items.length; i++) {
    html += '<li><a href="' + items[i].url + '">' + items[i].title + '</a><span>'
      + items[i].date + '</span></li>';
  }
  document.getElementById('list').innerHTML = html;
}"""


def inline_json_page(newest: str) -> str:
    data = json.dumps(_items(newest), ensure_ascii=False)
    return _page(f'<ul class="list" id="list"></ul><script>{BUILD_LIST}\nbuild({data});</script>')


def docwrite_page(newest: str) -> str:
    data = json.dumps(_items(newest), ensure_ascii=False)
    return _page(
        f'<ul class="list"><script>var d = {data};\nfor (var i = 0; i < d.length; i++) {{'
        "document.write('<li><a href=\"' + d[i].url + '\">' + d[i].title + '</a><span>'"
        " + d[i].date + '</span></li>'); }</script></ul>"
    )


def ajax_page(endpoint: str) -> str:
    return _page(
        f'<ul class="list" id="list"></ul><script>{BUILD_LIST}\n'
        f"fetch('{endpoint}').then(function (r) {{ return r.json(); }}).then(build);</script>"
    )


def iframe_page() -> str:
    return _page('<iframe src="/frames/tzgg/list.html" width="100%" height="600"></iframe>')


def frame_list(newest: str) -> str:
    # Relative links: they must resolve against the frame, not the page that embeds it.
    rows = "".join(
        f'<li><a href="../../art/{n}.html">{item["title"]}</a><span>{item["date"]}</span></li>'
        for n, item in enumerate(_items(newest), start=5)
    )
    return f'<html><body><ul class="list">{rows}</ul></body></html>'


class Site:
    """A loopback site serving each needs-browser form, and a second origin that must stay unseen."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.foreign_hits: list[str] = []
        self.url = ""
        self.foreign_url = ""
        self._runners: list[web.AppRunner] = []

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        routes = {
            "/inline/": lambda: inline_json_page(NEWEST["inline"]),
            "/docwrite/": lambda: docwrite_page(NEWEST["docwrite"]),
            "/ajax/": lambda: ajax_page("/ajax/data.json"),
            "/iframe/": iframe_page,
            "/frames/tzgg/list.html": lambda: frame_list(NEWEST["iframe"]),
            "/frameset/": lambda: (
                '<html><head><meta charset="utf-8"></head><frameset cols="20%,80%">'
                '<frame src="/frames/menu.html"><frame src="/frames/tzgg/list.html"></frameset></html>'
            ),
            "/frames/menu.html": lambda: '<html><body><a href="/">首页</a></body></html>',
            "/images/": self._images_page,
            "/foreign/": self._foreign_page,
            "/endless/": lambda: _page("<p>加载中</p><script>while (true) {}</script>"),
            # Holds its thread for a second, well short of HUNG_S, then builds its list.
            "/busy/": lambda: inline_json_page(NEWEST["inline"]).replace(
                "<script>",
                "<script>var until = Date.now() + 1000; while (Date.now() < until) {}\n",
                1,
            ),
            # Keeps requesting /tick/ from a timer as long as it is open.
            "/ticking/": lambda: inline_json_page(NEWEST["inline"]).replace(
                "</body>",
                "<script>setInterval(function () { fetch('/tick/'); }, 50);</script></body>",
            ),
            "/tick/": lambda: "",
            "/blank/": lambda: _page(
                '<div id="list"></div><script>var d = [];\nfor (var i = 0; i < 1; i++) {'
                "document.getElementById('list').innerHTML = '<p>暂无信息</p>'; }</script>"
            ),
            "/broken-ajax/": lambda: ajax_page("/ajax/missing.json"),
            # a 瑞数 challenge shell whose script never arrives: no browser gets past it
            "/ruishu/": lambda: (
                '<html><head><meta content="gZLmGrT7oUh66F9B" r="m">'
                "<script r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=2143;</script>"
                "<script src=\"/4QbVtADbnLVI/c.js\" r='m'></script></head><body></body></html>"
            ),
            "/slow-ajax/": lambda: ajax_page("/ajax/slow.json"),
            # More scripts than the host has slots, each answered after the page's deadline.
            "/hanging/": lambda: _page(
                "".join(f'<script src="/hang/{n}.js"></script>' for n in range(HANGING_SCRIPTS))
            ),
            "/flaky-ajax/": lambda: ajax_page("/ajax/flaky.json"),
            # Three slow requests ahead of the list's own: with one slot for the host, the list's
            # request waits for them past the settle time.
            "/queued-ajax/": lambda: ajax_page("/ajax/data.json").replace(
                "<script>", "<script>" + "fetch('/ajax/slow.json');" * 3, 1
            ),
            "/style.css": lambda: (
                "@font-face { font-family: gov; src: url(/font/gov.woff2); }"
                " body { font-family: gov; background: url(/img/bg.png); }"
            ),
        }
        for path, make in routes.items():
            app.router.add_get(path, self._serve(make, path))
        app.router.add_get("/ajax/data.json", self._data)
        app.router.add_get("/ajax/slow.json", self._slow_data)
        app.router.add_get("/ajax/flaky.json", self._flaky_data)
        app.router.add_get("/hang/{name}", self._hang)
        self.url = await self._listen(app)
        other = web.Application(middlewares=[self._record_foreign])
        other.router.add_get("/{tail:.*}", self._foreign_any)
        self.foreign_url = await self._listen(other)

    async def _listen(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    @web.middleware
    async def _record(self, request: web.Request, handler):
        self.hits.append(request.path)
        return await handler(request)

    @web.middleware
    async def _record_foreign(self, request: web.Request, handler):
        self.foreign_hits.append(request.path)
        return await handler(request)

    @staticmethod
    def _serve(make, path: str):
        kind = "text/css" if path.endswith(".css") else "text/html"

        async def handler(request: web.Request) -> web.Response:
            return web.Response(text=make(), content_type=kind, charset="utf-8")

        return handler

    async def _data(self, request: web.Request) -> web.Response:
        return web.json_response(_items(NEWEST["ajax"]))

    async def _slow_data(self, request: web.Request) -> web.Response:
        await asyncio.sleep(0.8)  # longer than the quiet spell: the render must wait for it
        return await self._data(request)

    async def _flaky_data(self, request: web.Request) -> web.Response:
        """Fails the first time only: a list that one bad moment left unbuilt."""
        if self.hits.count(request.path) == 1:
            return web.Response(status=503)
        return await self._data(request)

    async def _hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(HANG_S)
        return web.Response(text="var hung = 1;", content_type="application/javascript")

    async def _foreign_any(self, request: web.Request) -> web.Response:
        return web.Response(text="{}", content_type="application/json")

    def _images_page(self) -> str:
        return (
            inline_json_page(NEWEST["inline"])
            .replace(
                "</head>",
                '<link rel="stylesheet" href="/style.css"></head>',
            )
            .replace(
                '<div class="main">',
                '<div class="main"><img src="/img/logo.png"><video src="/media/intro.mp4"></video>',
            )
        )

    def _foreign_page(self) -> str:
        other = self.foreign_url
        return inline_json_page(NEWEST["inline"]).replace(
            "</body>",
            f'<script src="{other}/lib.js"></script>'
            f'<iframe src="{other}/frame.html"></iframe>'
            f"<script>fetch('{other}/data.json').catch(function () {{}});</script></body>",
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site():
    served = Site()
    await served.start()
    yield served
    await served.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool():
    async with BrowserPool(CHROMIUM, contexts=2, page_timeout_s=10, policy=FARM) as shared:
        yield shared


def column(site: Site, path: str) -> ColumnRef:
    return ColumnRef(name="通知公告", url=site.url + path, category="通知公告")


@pytest.mark.parametrize("form", ["inline", "docwrite", "ajax", "iframe"])
async def test_script_built_list_is_read_after_rendering(
    site: Site, pool: BrowserPool, form: str
) -> None:
    url = f"{site.url}/{form}/"
    raw = {
        "inline": inline_json_page(NEWEST["inline"]),
        "docwrite": docwrite_page(NEWEST["docwrite"]),
        "ajax": ajax_page("/ajax/data.json"),
        "iframe": iframe_page(),
    }[form]
    # Without a browser the extractor cannot read these lists: that is why they come here.
    assert extract_page(raw, url, AT, kind_hint="list").needs_browser

    facts = await render_column(pool, column(site, f"/{form}/"), AT)

    assert facts.measured and facts.rendered, facts.reason
    assert facts.latest == NEWEST[form]
    assert facts.items_count == 3 and facts.undated_count == 0
    assert facts.latest_item is not None
    number = 5 if form == "iframe" else 1
    assert facts.latest_item.url == f"{site.url}/art/{number}.html"
    assert facts.fetch.status == 200 and facts.fetch.error is None


async def test_render_waits_for_a_slow_data_request(site: Site, pool: BrowserPool) -> None:
    facts = await render_column(pool, column(site, "/slow-ajax/"), AT)
    assert facts.measured and facts.latest == NEWEST["ajax"]
    assert facts.fetch.elapsed_ms >= 800


async def test_iframe_is_inlined_into_the_returned_html(site: Site, pool: BrowserPool) -> None:
    result = await pool.render(site.url + "/iframe/")
    assert result.error is None and result.html is not None
    assert result.frames_merged == 1
    assert "<iframe" not in result.html and "关于开展春季安全生产大检查的通知" in result.html


async def test_frameset_page_is_flattened(site: Site, pool: BrowserPool) -> None:
    facts = await render_column(pool, column(site, "/frameset/"), AT)
    assert facts.measured and facts.latest == NEWEST["iframe"]
    assert facts.latest_item is not None and facts.latest_item.url == f"{site.url}/art/5.html"


async def test_images_fonts_and_media_are_never_requested(site: Site, pool: BrowserPool) -> None:
    result = await pool.render(site.url + "/images/")
    assert result.error is None
    assert "/style.css" in site.hits  # the stylesheet itself is same-origin and allowed
    assert not [p for p in site.hits if p.startswith(("/img/", "/font/", "/media/"))]
    assert result.blocked >= 2  # the <img> and the <video> at least


async def test_other_origins_are_blocked(site: Site, pool: BrowserPool) -> None:
    facts = await render_column(pool, column(site, "/foreign/"), AT)
    assert facts.measured and facts.latest == NEWEST["inline"]
    assert site.foreign_hits == []


async def test_blank_column_written_by_script(site: Site, pool: BrowserPool) -> None:
    facts = await render_column(pool, column(site, "/blank/"), AT)
    assert facts.measured and facts.blank and facts.blank_reason == "暂无信息"
    assert facts.items_count == 0


async def test_list_whose_data_failed_to_load_is_unmeasured_not_blank(
    site: Site, pool: BrowserPool
) -> None:
    facts = await render_column(pool, column(site, "/broken-ajax/"), AT)
    assert not facts.measured and not facts.blank
    assert facts.reason == NO_LIST_REASON
    assert site.hits.count("/broken-ajax/") == 2  # one more try, then unread


async def test_a_list_left_unbuilt_once_is_read_on_the_second_try(
    site: Site, pool: BrowserPool
) -> None:
    facts = await render_column(pool, column(site, "/flaky-ajax/"), AT)
    assert facts.measured and facts.items_count == 3
    assert facts.latest == NEWEST["ajax"]
    assert site.hits.count("/flaky-ajax/") == 2


async def test_challenge_the_browser_cannot_pass_is_unmeasured_waf(
    site: Site, pool: BrowserPool
) -> None:
    facts = await render_column(pool, column(site, "/ruishu/"), AT)
    assert not facts.measured and not facts.blank
    assert facts.reason is not None and "WAF" in facts.reason and "瑞数" in facts.reason


async def test_http_error_and_bad_url_are_unmeasured(site: Site, pool: BrowserPool) -> None:
    missing = await render_column(pool, column(site, "/no-such-column/"), AT)
    assert not missing.measured and missing.fetch.status == 404
    assert missing.reason == "浏览器渲染失败: HTTP 404 (http_404)"

    bad = ColumnRef(name="坏地址", url="javascript:void(0)", category="other")
    facts = await render_column(pool, bad, AT)
    assert not facts.measured and facts.reason == "栏目地址无效 (bad_url)"


async def test_endless_script_times_out_once_and_the_pool_goes_on(site: Site) -> None:
    # A deadline far off: the page is given up because its script holds its thread, not on it.
    async with BrowserPool(CHROMIUM, contexts=2, page_timeout_s=60, policy=FARM) as pool:
        tries = site.hits.count("/endless/")
        endless = asyncio.create_task(render_column(pool, column(site, "/endless/"), AT))
        normal = await pool.render(site.url + "/inline/")
        assert normal.error is None and not endless.done()  # not held up by the other slot
        facts = await endless
        assert not facts.measured and facts.reason == "浏览器渲染超时 (timeout)"
        assert facts.fetch.error == "timeout"
        assert site.hits.count("/endless/") == tries + 1  # a second try would hang as well
        hung = await pool.render(site.url + "/endless/")
        assert hung.error == "timeout" and hung.hung and hung.html is None
        # Both slots render again, the one that timed out included.
        again = await asyncio.gather(*(pool.render(site.url + "/inline/") for _ in range(2)))
        assert [r.error for r in again] == [None, None]


async def test_a_script_busy_for_a_moment_is_waited_for(site: Site, pool: BrowserPool) -> None:
    facts = await render_column(pool, column(site, "/busy/"), AT)
    assert facts.measured and facts.latest == NEWEST["inline"], facts.reason
    assert site.hits.count("/busy/") == 1


async def test_one_tab_per_context_renders_page_after_page(site: Site) -> None:
    async with BrowserPool(CHROMIUM, contexts=1, recycle_after=10, policy=FARM) as pool:
        forms = ["inline", "ajax", "iframe", "docwrite", "inline"]
        results = [await render_column(pool, column(site, f"/{form}/"), AT) for form in forms]
        assert [r.latest for r in results] == [NEWEST[form] for form in forms]
        # A page that answered with an error leaves the tab as fit as a page read.
        missing = await render_column(pool, column(site, "/no-such-column/"), AT)
        assert not missing.measured and missing.fetch.status == 404
        again = await render_column(pool, column(site, "/ajax/"), AT)
        assert again.measured and again.latest == NEWEST["ajax"]
        assert pool.tabs_opened == 1 and pool.contexts_created == 1


async def test_a_page_read_stops_running_once_returned(site: Site, pool: BrowserPool) -> None:
    """The tab is kept for the next page, but not the page's scripts: their requests stop."""
    facts = await render_column(pool, column(site, "/ticking/"), AT)
    assert facts.measured and facts.latest == NEWEST["inline"], facts.reason
    await asyncio.sleep(0.3)  # a tick already on its way when the page was left may land
    ticks = site.hits.count("/tick/")
    assert ticks >= 1  # the timer ran while the page was open
    await asyncio.sleep(0.5)  # ten periods of the timer
    assert site.hits.count("/tick/") == ticks


def _cmdline(pid: int) -> bytes:
    """A process's command line, arguments space-separated (renderers rewrite theirs so)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""  # ended meanwhile


async def test_our_disabled_features_still_cover_playwrights() -> None:
    """Chromium keeps only the last --disable-features, so ours replaces Playwright's own list:
    it must hold every feature this Playwright disables."""
    before = set(browser_pids())
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            (pid,) = set(browser_pids()) - before
            switches = [a for a in _cmdline(pid).split() if a.startswith(b"--disable-features=")]
        finally:
            await browser.close()
    playwrights = set(switches[-1].split(b"=", 1)[1].decode().split(","))
    assert playwrights and playwrights <= set(DISABLED_FEATURES)


async def test_windows_have_no_omnibox_renderers(site: Site) -> None:
    before = set(browser_pids())  # the module's shared pool may have one running
    async with BrowserPool(CHROMIUM, contexts=1, policy=FARM) as pool:
        assert (await pool.render(site.url + "/inline/")).error is None
        (browser,) = set(browser_pids()) - before
        commands = [_cmdline(pid) for pid in descendants(browser)]
        renderers = [command for command in commands if b"--type=renderer" in command]
        assert renderers and not [c for c in renderers if b"--top-chrome-webui" in c]


async def test_contexts_are_recycled(site: Site) -> None:
    async with BrowserPool(CHROMIUM, contexts=1, recycle_after=2, policy=FARM) as pool:
        results = [await pool.render(site.url + "/inline/") for _ in range(5)]
        assert [r.error for r in results] == [None] * 5
        assert pool.contexts_created == 3  # pages 1-2, 3-4, 5


async def test_browser_crash_is_reported_and_the_browser_restarted(site: Site) -> None:
    async with BrowserPool(CHROMIUM, contexts=1, page_timeout_s=10, policy=FARM) as pool:
        assert (await pool.render(site.url + "/inline/")).error is None  # launches the browser
        before = set(browser_pids())
        assert before
        pending = asyncio.create_task(pool.render(site.url + "/endless/"))
        await asyncio.sleep(1.0)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        crashed = await pending
        assert crashed.error == "crashed" and crashed.elapsed_ms < 9000

        after = await pool.render(site.url + "/inline/")
        assert after.error is None and after.html is not None
        assert pool.browser_launches == 2
        assert set(browser_pids()).isdisjoint(before)


async def _until(condition, seconds: float = 15.0) -> bool:
    """Poll `condition` every 50 ms for at most `seconds`; whether it came true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_chromium_starts_with_the_first_page_and_stops_when_idle(site: Site) -> None:
    async with BrowserPool(CHROMIUM, contexts=2, idle_stop_s=0.5, policy=FARM) as pool:
        await asyncio.sleep(0.7)  # longer than the idle time: nothing to stop, nothing started
        assert browser_pids() == [] and pool.browser_launches == 0 and not pool.running

        first = await render_column(pool, column(site, "/inline/"), AT)
        assert first.measured and first.latest == NEWEST["inline"]
        assert pool.browser_launches == 1 and browser_pids()

        assert await _until(lambda: pool.idle_stops == 1 and not browser_pids()), browser_pids()
        assert not pool.running

        second = await render_column(pool, column(site, "/ajax/"), AT)
        assert second.measured and second.latest == NEWEST["ajax"]
        assert pool.browser_launches == 2 and pool.running and browser_pids()
    assert browser_pids() == []


async def test_a_render_running_across_the_idle_deadline_is_not_cut(site: Site) -> None:
    async with BrowserPool(CHROMIUM, contexts=1, idle_stop_s=0.3, policy=FARM) as pool:
        assert (await pool.render(site.url + "/inline/")).error is None
        # Its data request alone takes 0.8 s: the idle deadline of the first render passes during it.
        slow = await pool.render(site.url + "/slow-ajax/")
        assert slow.error is None and slow.html is not None and slow.elapsed_ms >= 800
        assert "关于开展春季安全生产大检查的通知" in slow.html
        assert pool.browser_launches == 1 and pool.idle_stops == 0
        assert await _until(lambda: pool.idle_stops == 1)  # then, idle, it is stopped


async def test_a_browser_that_will_not_start_leaves_each_column_unmeasured(site: Site) -> None:
    # /bin/false exists, so the pool opens; each render's launch fails and says why.
    async with BrowserPool("/bin/false", contexts=1, policy=FARM) as pool:
        for path in ("/inline/", "/ajax/"):
            facts = await render_column(pool, column(site, path), AT)
            assert not facts.measured and not facts.blank and facts.rendered
            assert facts.fetch.error is not None
            assert facts.fetch.error.startswith("no_browser: Chromium at /bin/false did not start")
            assert facts.reason is not None and facts.reason.startswith(
                "浏览器无法启动 (no_browser"
            )
        assert pool.browser_launches == 0 and not pool.running


async def test_missing_chromium_is_a_clear_error() -> None:
    with pytest.raises(BrowserUnavailable, match=r"Chromium not found at /nonexistent/chromium"):
        async with BrowserPool(executable="/nonexistent/chromium"):
            pass
    assert not chromium_available("/nonexistent/chromium")
    with pytest.raises(ValueError, match="contexts"):
        BrowserPool(contexts=0)
    with pytest.raises(ValueError, match="idle_stop_s"):
        BrowserPool(idle_stop_s=0)


class CountingGate(Politeness):
    """The in-process politeness, recording every host a request was admitted for."""

    def __init__(self) -> None:
        super().__init__(concurrency=1, rate=100)
        self.admitted: list[str] = []

    @contextlib.asynccontextmanager
    async def slot(self, host: str):
        async with super().slot(host):
            self.admitted.append(host)
            yield


@pytest.mark.parametrize("form", ["ajax", "iframe"])
async def test_every_browser_request_passes_the_host_gate(site: Site, form: str) -> None:
    """The browser's requests count against the same per-host limits as the HTTP crawlers."""
    gate = CountingGate()
    async with BrowserPool(
        CHROMIUM, contexts=1, page_timeout_s=10, gate=gate, policy=FARM
    ) as gated:
        facts = await render_column(gated, column(site, f"/{form}/"), AT)
    assert facts.measured and facts.latest == NEWEST[form], facts.reason
    # The page itself and its data request (or frame) were each admitted for the site's origin.
    assert gate.admitted.count(site.url) >= 2, gate.admitted
    assert set(gate.admitted) == {site.url}


async def test_a_closed_page_frees_its_host_slots_for_the_next_render(site: Site) -> None:
    """A page that timed out leaves requests waiting for, or fetching inside, the host's slots;
    they must not keep the slots from the next page of the same host (the column's second try
    or the other context's page), which would then time out in turn."""
    gate = Politeness(concurrency=2, rate=100)
    async with BrowserPool(CHROMIUM, contexts=1, page_timeout_s=2, gate=gate, policy=FARM) as pool:
        hung = await pool.render(site.url + "/hanging/")
        assert hung.error == "timeout" and not hung.hung  # waiting on requests: worth a retry
        after = await pool.render(site.url + "/inline/")
        assert after.error is None, after.error
        assert after.html is not None and "关于开展春季安全生产大检查的通知" in after.html


async def test_a_list_request_queued_for_the_host_slot_is_waited_for(site: Site) -> None:
    """Time a page's request spends waiting for the host's politeness slot is not network time:
    the render waits for it rather than settling on a list not built yet."""
    gate = Politeness(concurrency=1, rate=100)
    async with BrowserPool(CHROMIUM, contexts=1, page_timeout_s=10, gate=gate, policy=FARM) as pool:
        result = await pool.render(site.url + "/queued-ajax/")
    assert result.error is None and result.html is not None
    facts = extract_page(result.html, result.url, AT, kind_hint="list")
    assert facts.items and newest(facts.items) is not None
    assert newest(facts.items).date == NEWEST["ajax"]
