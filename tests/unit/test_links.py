"""Link classes, the re-check-later rule, per-sweep dedup and the site counts.

The checker runs against real aiohttp servers on loopback (127.0.0.1 and 127.0.0.2); nothing is
stubbed.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import defaultdict

import msgspec
import pytest
from aiohttp import web

from crawler.links import (
    BLOCKED,
    BROKEN,
    OK,
    TIMEOUT,
    UNKNOWN,
    LinkChecker,
    LinkProber,
    classify,
    compact_links,
    external_flag,
    settle_class,
    summarize_links,
)
from crawler.model import (
    ColumnFacts,
    ColumnRef,
    FetchResult,
    HomeFacts,
    LinkStatus,
)
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from services.config import LOOPBACK

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

RECHECK_S = 0.3
TIMEOUT_S = 0.5


def result(status: int | None = None, error: str | None = None, **kw) -> FetchResult:
    return FetchResult(url="http://127.0.0.1:1/x", status=status, error=error, **kw)


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (200, None, OK),
        (204, None, OK),
        (404, "http_404", BROKEN),
        (410, "http_410", BROKEN),
        (500, "http_500", BROKEN),
        (502, "http_502", BROKEN),
        (None, "refused", BROKEN),
        (None, "dns", BROKEN),
        (412, "waf_challenge", BLOCKED),
        (521, "waf_challenge", BLOCKED),
        (403, "http_403", BLOCKED),
        (429, "http_429", BLOCKED),
        (None, "timeout", TIMEOUT),
        (None, "redirect_loop", UNKNOWN),
        (401, "http_401", UNKNOWN),
        (None, "client_error: ServerDisconnectedError", UNKNOWN),
    ],
)
def test_classify(status: int | None, error: str | None, expected: str) -> None:
    assert classify(result(status, error)) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((404, "http_404"), (404, "http_404"), BROKEN),
        ((500, "http_500"), (None, "refused"), BROKEN),  # broken twice, in two ways
        ((502, "http_502"), (200, None), OK),  # flaky: passed on the re-check
        ((None, "timeout"), (404, "http_404"), TIMEOUT),  # broken only once: not proven
        ((429, "http_429"), (404, "http_404"), BLOCKED),
        ((None, "timeout"), (None, "timeout"), TIMEOUT),
        ((404, "http_404"), (412, "waf_challenge"), BLOCKED),
    ],
)
def test_broken_only_when_the_recheck_agrees(first, second, expected) -> None:
    assert settle_class(result(*first), result(*second)) == expected


def test_external_flags() -> None:
    url = "http://www.example.gov.cn/"
    assert external_flag(url, result(None, "dns")) == "host_gone"
    moved = result(200, None, final_url="http://parking.example.com/")
    assert external_flag(url, moved) == "other_host"
    same = result(200, None, final_url="https://example.gov.cn/index.html")
    assert external_flag(url, same) is None


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reply(status: int = 200, text: str = "ok", **kw):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=text, **kw)

    return handler


class Site:
    """Two loopback servers: the site (127.0.0.1) and an outside host (127.0.0.2)."""

    def __init__(self) -> None:
        self.hits: dict[str, list[tuple[str, float]]] = defaultdict(list)  # path → (method, t)
        self.streamed = 0  # bytes of the slow attachment actually sent
        self.base = ""
        self.outside = ""

    def app(self) -> web.Application:
        async def record(request: web.Request, handler):
            self.hits[request.path].append((request.method, time.monotonic()))
            return await handler(request)

        app = web.Application(middlewares=[web.middleware(record)])
        app.router.add_route("*", "/ok", reply(text="ok"))
        app.router.add_route("HEAD", "/head405", reply(status=405))
        app.router.add_get("/head405", reply(text="ok"), allow_head=False)
        app.router.add_route("*", "/gone", reply(status=404))
        app.router.add_route("*", "/flaky", self.flaky)
        app.router.add_route("*", "/waf", reply(status=412, text="<script>"))
        app.router.add_route("*", "/wall", reply(status=403, text="安全验证 WAF"))
        app.router.add_route("*", "/busy", reply(status=429, headers={"Retry-After": "0"}))
        app.router.add_route("*", "/slow", self.slow)
        app.router.add_route("HEAD", "/attachment.pdf", reply(status=405))
        app.router.add_get("/attachment.pdf", self.attachment, allow_head=False)
        app.router.add_route("*", "/moved", self.moved)
        app.router.add_route("*", "/parking", reply(text="域名出售"))
        return app

    async def flaky(self, request: web.Request) -> web.Response:
        # The first check (HEAD, then GET) meets a 502; the re-check gets the page.
        return web.Response(status=502 if len(self.hits["/flaky"]) <= 2 else 200)

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(TIMEOUT_S * 4)
        return web.Response(text="late")

    async def attachment(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        await resp.prepare(request)
        for _ in range(100):  # 400 KB over 5 s: a checker that downloads it would be slow
            await resp.write(b"%" * 4096)
            self.streamed += 4096
            await asyncio.sleep(0.05)
        return resp

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{self.outside}/parking")


@pytest.fixture
async def site():
    state = Site()
    runners = []
    for address in ("127.0.0.1", "127.0.0.2"):
        runner = web.AppRunner(state.app(), handler_cancellation=True)
        await runner.setup()
        tcp = web.TCPSite(runner, address, 0)
        await tcp.start()
        runners.append(runner)
        port = tcp._server.sockets[0].getsockname()[1]
        if address == "127.0.0.1":
            state.base = f"http://{address}:{port}"
        else:
            state.outside = f"http://{address}:{port}"
    yield state
    for runner in runners:
        await runner.cleanup()


def checker(prober: LinkProber, **kw) -> LinkChecker:
    return LinkChecker(prober, recheck_after_s=RECHECK_S, concurrency=8, **kw)


def prober() -> LinkProber:
    return LinkProber(Politeness(concurrency=4, rate=200), timeout_s=TIMEOUT_S, policy=FARM)


async def test_each_link_gets_its_class(site: Site) -> None:
    dead = f"http://127.0.0.1:{_dead_port()}/"
    paths = ["/ok", "/head405", "/gone", "/flaky", "/waf", "/wall", "/busy", "/slow", "/moved"]
    links = [site.base + p for p in paths] + [f"{site.outside}/ok", dead]
    page = site.base + "/"
    async with prober() as p:
        statuses = await checker(p).check_page(page, links)
    got = {s.url.removeprefix(site.base): s for s in statuses}
    assert [s.url for s in statuses] == links  # page order, each once
    assert {path: got[path].outcome for path in paths} == {
        "/ok": OK,
        "/head405": OK,  # HEAD refused, GET answered
        "/gone": BROKEN,
        "/flaky": OK,  # 502 first, fine on the re-check: not broken
        "/waf": BLOCKED,
        "/wall": BLOCKED,
        "/busy": BLOCKED,
        "/slow": TIMEOUT,
        "/moved": OK,
    }
    assert got[dead].outcome == BROKEN and got[dead].error == "refused" and got[dead].external
    assert got["/gone"].checks == 2 and got["/gone"].status == 404
    assert got["/flaky"].checks == 2 and got["/flaky"].first == "http_502"
    assert got["/waf"].checks == 1 and got["/ok"].checks == 1  # final at once: no re-check
    assert (
        got["/moved"].flag == "other_host" and got["/moved"].final_url == site.outside + "/parking"
    )
    assert not got["/ok"].external and got[f"{site.outside}/ok"].external
    assert all(s.found_on == [page] for s in statuses)


async def test_recheck_comes_later(site: Site) -> None:
    async with prober() as p:
        [status] = await checker(p).check_page(site.base + "/", [site.base + "/gone"])
    assert status.outcome == BROKEN
    gets = [t for method, t in site.hits["/gone"] if method == "GET"]
    assert len(gets) == 2 and gets[1] - gets[0] >= RECHECK_S


async def test_attachments_are_not_downloaded(site: Site) -> None:
    started = time.monotonic()
    async with prober() as p:
        [status] = await checker(p).check_page(site.base + "/", [site.base + "/attachment.pdf"])
    assert status.outcome == OK and status.status == 200
    assert time.monotonic() - started < 2.5  # the server needs 5 s to send it all
    assert site.streamed < 100 * 4096


async def test_a_link_on_many_pages_is_requested_once(site: Site) -> None:
    shared = [site.base + "/ok", site.base + "/flaky", site.base + "/gone"]
    async with prober() as p:
        links = checker(p)
        pages = await asyncio.gather(
            *(links.check_page(f"{site.base}/col{i}/", shared) for i in range(5))
        )
    # Every page gets the final status, also the pages that asked while the re-check was pending.
    for statuses in pages:
        assert [s.outcome for s in statuses] == [OK, OK, BROKEN]
    assert [s.found_on for s in pages[3]] == [[f"{site.base}/col3/"]] * 3
    assert len(site.hits["/ok"]) == 1  # HEAD answered
    assert len(site.hits["/flaky"]) == 3  # HEAD + GET failed, the re-check's HEAD passed
    assert len(site.hits["/gone"]) == 4  # HEAD + GET, twice


async def test_max_per_page_and_bad_settings(site: Site) -> None:
    async with prober() as p:
        statuses = await checker(p, max_per_page=2).check_page(
            site.base + "/", [site.base + "/ok", site.base + "/ok", f"{site.outside}/ok", "x"]
        )
        assert [s.url for s in statuses] == [site.base + "/ok", f"{site.outside}/ok"]
        with pytest.raises(ValueError, match="concurrency"):
            LinkChecker(p, concurrency=0)


def _status(url: str, outcome: str, page: str, **kw) -> LinkStatus:
    return LinkStatus(url=url, outcome=outcome, found_on=[page], **kw)


def _site() -> tuple[HomeFacts, ColumnFacts]:
    home_url = "http://a.gov.cn/"
    col_url = "http://a.gov.cn/zwgk/"
    fetch = FetchResult(url=home_url, status=200)
    home = HomeFacts(
        url=home_url,
        fetch=fetch,
        measured=True,
        links=[
            _status("http://a.gov.cn/ok", OK, home_url),
            _status("http://a.gov.cn/old", BROKEN, home_url, status=404),
            _status("http://dead.example/", BROKEN, home_url, external=True, flag="host_gone"),
            _status("http://a.gov.cn/waf", BLOCKED, home_url),
        ],
    )
    column = ColumnFacts(
        column=ColumnRef(name="政务公开", url=col_url, category="other"),
        fetch=FetchResult(url=col_url, status=200),
        measured=True,
        links=[
            _status("http://a.gov.cn/old", BROKEN, col_url, status=404),  # also on home
            _status("http://a.gov.cn/zwgk/a.pdf", BROKEN, col_url, status=410),
            _status("http://a.gov.cn/slow", TIMEOUT, col_url),
            _status("http://a.gov.cn/ok", UNKNOWN, col_url),  # a wait ran out: home's OK wins
            _status("http://b.gov.cn/", OK, col_url, external=True, flag="other_host"),
        ],
    )
    return home, column


def test_summary_counts_each_url_once_home_first() -> None:
    home, column = _site()
    home_url, col_url = home.url, column.column.url
    summary = summarize_links(home, [column])
    assert (summary.checked, summary.broken_home, summary.broken_other) == (7, 2, 1)
    assert (summary.blocked, summary.timeout, summary.unknown) == (1, 1, 0)
    broken = {s.url: s.found_on for s in summary.broken}
    assert broken == {
        "http://a.gov.cn/old": [home_url, col_url],
        "http://dead.example/": [home_url],
        "http://a.gov.cn/zwgk/a.pdf": [col_url],
    }
    assert {s.url: s.flag for s in summary.flagged} == {
        "http://dead.example/": "host_gone",
        "http://b.gov.cn/": "other_host",
    }


async def test_a_host_that_refuses_head_gets_get_at_once(site: Site) -> None:
    async with prober() as p:
        links = checker(p)
        await links.check_page(site.base + "/", [site.base + "/head405"])
        [status] = await links.check_page(site.base + "/", [site.base + "/ok"])
    assert status.outcome == OK
    assert [method for method, _ in site.hits["/head405"]] == ["HEAD", "GET"]
    assert [method for method, _ in site.hits["/ok"]] == ["GET"]


async def test_a_new_host_refusing_head_is_asked_with_head_once(site: Site) -> None:
    async with prober() as p:
        # A page's links on a host not met before, checked at once: one HEAD finds the refusal.
        await checker(p).check_page(
            site.base + "/", [f"{site.base}/head405?n={n}" for n in range(6)]
        )
    methods = [method for method, _ in site.hits["/head405"]]
    assert methods.count("HEAD") == 1 and methods.count("GET") == 6


def _compacted(facts: HomeFacts | ColumnFacts) -> HomeFacts | ColumnFacts:
    links, tally = compact_links(facts.links)
    return msgspec.structs.replace(facts, links=links, link_tally=tally)


def test_compacted_links_give_the_same_summary_in_fewer_bytes() -> None:
    home, column = _site()
    # A second list page of the column shows the broken PDF again, and 50 more OK links.
    column.links += [
        _status("http://a.gov.cn/zwgk/a.pdf", BROKEN, column.column.url + "2.html", status=410),
        *(_status(f"http://a.gov.cn/zwgk/{n}.html", OK, column.column.url) for n in range(50)),
    ]
    small_home, small_column = _compacted(home), _compacted(column)
    assert isinstance(small_home, HomeFacts) and isinstance(small_column, ColumnFacts)
    assert summarize_links(small_home, [small_column]) == summarize_links(home, [column])
    # Only the links shown one by one stay in full: broken, unknown, flagged outside links.
    shown = {s.url: s.outcome for s in small_home.links + small_column.links}
    assert shown == {
        "http://a.gov.cn/old": BROKEN,
        "http://dead.example/": BROKEN,
        "http://a.gov.cn/zwgk/a.pdf": BROKEN,
        "http://a.gov.cn/ok": UNKNOWN,
        "http://b.gov.cn/": OK,
    }
    [pdf] = [s for s in small_column.links if s.url.endswith(".pdf")]
    assert pdf.found_on == [column.column.url, column.column.url + "2.html"]
    assert small_column.link_tally is not None and len(small_column.link_tally.ok) == 50 * 8
    # Through the wire format and back, as the checker reads it.
    wire = msgspec.json.encode(small_column)
    assert msgspec.json.decode(wire, type=ColumnFacts) == small_column
    assert len(wire) * 3 < len(msgspec.json.encode(column))
