"""The fetcher against a real aiohttp server on loopback: caps, WAF challenges, back-off."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time

import pytest
from aiohttp import web

from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from services.config import LOOPBACK

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

pytestmark = pytest.mark.integration


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hits() -> dict[str, int]:
    """Requests seen per handler of `server`."""
    return {}


@pytest.fixture
async def server(hits: dict[str, int]):

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>你好</body></html>", content_type="text/html")

    async def big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for _ in range(100):  # 10 MB, far over the 1 MB cap of these tests
            await resp.write(b"x" * 100_000)
        return resp

    async def bomb(request: web.Request) -> web.Response:
        body = gzip.compress(b"\0" * 20_000_000)  # 20 MB once inflated, ~20 KB on the wire
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def waf(request: web.Request) -> web.Response:
        return web.Response(status=521, text="<script>document.cookie='__jsluid_s=1'</script>")

    async def wall(request: web.Request) -> web.Response:
        return web.Response(status=403, text="安全验证 captcha")

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="not found")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async def busy(request: web.Request) -> web.Response:
        hits["busy"] = hits.get("busy", 0) + 1
        if hits["busy"] == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(text="ok now")

    async def flaky(request: web.Request) -> web.Response:
        hits["flaky"] = hits.get("flaky", 0) + 1
        if hits["flaky"] == 1:
            return web.Response(status=502, text="bad gateway")
        return web.Response(text="ok after 502")

    async def broken(request: web.Request) -> web.Response:
        hits["broken"] = hits.get("broken", 0) + 1
        return web.Response(status=502, text="bad gateway")

    app = web.Application()
    for path, handler in {
        "/ok": ok,
        "/big": big,
        "/bomb": bomb,
        "/loop": loop,
        "/waf": waf,
        "/wall": wall,
        "/missing": missing,
        "/slow": slow,
        "/busy": busy,
        "/flaky": flaky,
        "/broken": broken,
    }.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def fetcher(**kw) -> Fetcher:
    return Fetcher(
        Politeness(2, 10), timeout_s=kw.pop("timeout_s", 2), max_bytes=1_000_000, policy=FARM, **kw
    )


async def test_outcomes_are_told_apart(server: str) -> None:
    async with fetcher() as f:
        results = {
            p: (await f.get(f"{server}/{p}"))
            for p in ("ok", "big", "bomb", "loop", "waf", "wall", "missing", "slow")
        }
        dead = await f.get(f"http://127.0.0.1:{_dead_port()}/")
    assert results["ok"].body and "你好".encode() in results["ok"].body
    assert results["ok"].result.error is None and results["ok"].result.status == 200
    assert results["big"].result.error == "too_large" and results["big"].body is None
    assert results["bomb"].result.error == "too_large"
    assert results["loop"].result.error == "redirect_loop"
    assert results["waf"].result.error == "waf_challenge"
    assert results["wall"].result.error == "waf_challenge"
    assert results["missing"].result.error == "http_404"
    assert results["slow"].result.error == "timeout"
    assert dead.result.error == "refused"


async def test_429_waits_for_retry_after_then_succeeds(server: str) -> None:
    async with fetcher() as f:
        started = time.monotonic()
        page = await f.get(f"{server}/busy")
    assert page.body == b"ok now"
    assert time.monotonic() - started >= 0.9  # Retry-After: 1 was honoured


async def test_a_single_502_is_retried_and_a_lasting_one_is_given_up(
    server: str, hits: dict[str, int]
) -> None:
    async with fetcher() as f:
        flaky = await f.get(f"{server}/flaky")
        broken = await f.get(f"{server}/broken")
        probe = await f.get(f"{server}/flaky", retries_on_busy=0)
    assert flaky.body == b"ok after 502" and flaky.result.error is None
    assert broken.body is None and broken.result.error == "http_502"
    assert hits["broken"] == 2  # one retry, then the page counts as unreadable
    assert probe.result.status == 200 and hits["flaky"] == 3
