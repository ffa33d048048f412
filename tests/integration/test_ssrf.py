"""SSRF guard, end to end over loopback: a "public" site on 127.0.0.1 (allow-listed as the farm is)
and an "internal" service on 127.0.0.2 (loopback, not allow-listed) that records every request it
gets. Whatever the public site does — redirect, link — the internal service must see nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio
from aiohttp import web

from checkers.model import UNMEASURED
from checkers.rules import load_rules
from checkers.verdict import evaluate
from crawler.fetch import Fetcher
from crawler.links import BLOCKED, LinkProber, classify
from crawler.netguard import BLOCKED as POLICY
from crawler.netguard import NetPolicy, open_session
from crawler.politeness import Politeness
from crawler.render import BrowserPool, chromium_available
from crawler.site import read_home

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

CHROMIUM = "/usr/bin/chromium"
PUBLIC_ONLY = NetPolicy(["127.0.0.1/32"])  # the public site admitted, 127.0.0.2 refused
ALL_LOOPBACK = NetPolicy(["127.0.0.0/8"])
AT = date(2024, 3, 31)


class Sites:
    def __init__(self) -> None:
        self.internal_hits: list[str] = []
        self.public = ""
        self.internal = ""
        self._runners: list[web.AppRunner] = []

    async def start(self) -> None:
        internal = web.Application()
        internal.router.add_route("*", "/{tail:.*}", self._internal)
        self.internal = await self._listen(internal, "127.0.0.2")
        public = web.Application()
        public.router.add_get("/redirect", self._redirect)
        public.router.add_get("/hop", self._hop)
        public.router.add_get("/", self._home)
        self.public = await self._listen(public, "127.0.0.1")

    async def _listen(self, app: web.Application, host: str) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        self._runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    async def _internal(self, request: web.Request) -> web.Response:
        self.internal_hits.append(request.path)
        return web.Response(
            text="<html><body>secret_metric 1</body></html>", content_type="text/html"
        )

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{self.internal}/metrics")

    async def _hop(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/redirect")  # two hops: the second one leads inside

    async def _home(self, request: web.Request) -> web.Response:
        return web.Response(text="<html><body>ok</body></html>", content_type="text/html")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sites() -> AsyncIterator[Sites]:
    s = Sites()
    await s.start()
    yield s
    await s.stop()


@pytest.fixture(autouse=True)
def _clear(sites: Sites) -> None:
    sites.internal_hits.clear()


async def test_redirect_to_internal_address_is_refused(sites: Sites) -> None:
    async with Fetcher(Politeness(2, 50), timeout_s=5, policy=PUBLIC_ONLY) as fetcher:
        for path in ("/redirect", "/hop"):
            page = await fetcher.get(sites.public + path)
            assert page.body is None
            error = page.result.error or ""
            assert error.startswith(POLICY) and "loopback address 127.0.0.2" in error, error
    assert sites.internal_hits == []


async def test_internal_address_given_directly_is_refused(sites: Sites) -> None:
    async with Fetcher(Politeness(2, 50), timeout_s=5, policy=PUBLIC_ONLY) as fetcher:
        page = await fetcher.get(sites.internal + "/metrics")
    assert (page.result.error or "").startswith(POLICY)
    assert sites.internal_hits == []


async def test_link_to_internal_host_is_not_requested(sites: Sites) -> None:
    async with LinkProber(Politeness(2, 50), timeout_s=5, policy=PUBLIC_ONLY) as prober:
        direct = await prober.check(sites.internal + "/metrics")
        redirected = await prober.check(sites.public + "/redirect")
    assert classify(direct) == BLOCKED and (direct.error or "").startswith(POLICY)
    assert classify(redirected) == BLOCKED and (redirected.error or "").startswith(POLICY)
    assert sites.internal_hits == []


async def test_allow_list_admits_it(sites: Sites) -> None:
    async with Fetcher(Politeness(2, 50), timeout_s=5, policy=ALL_LOOPBACK) as fetcher:
        page = await fetcher.get(sites.public + "/redirect")
    assert page.body is not None and b"secret_metric" in page.body
    assert sites.internal_hits == ["/metrics"]


async def test_fetcher_and_prober_share_one_session(sites: Sites) -> None:
    async with open_session(PUBLIC_ONLY, "govsweep-test") as session:
        gate = Politeness(2, 50)
        async with (
            Fetcher(gate, 5, session=session) as fetcher,
            LinkProber(gate, 5, session=session) as prober,
        ):
            page = await fetcher.get(sites.public + "/")
            link = await prober.check(sites.public + "/")
            refused = await prober.check(sites.internal + "/metrics")
        assert not session.closed  # the session belongs to the process, not to its users
    assert page.body is not None and classify(link) == "ok"
    assert classify(refused) == BLOCKED and sites.internal_hits == []


async def test_refused_home_page_is_unmeasured_never_failed(sites: Sites) -> None:
    async with Fetcher(Politeness(2, 50), timeout_s=5, policy=PUBLIC_ONLY) as fetcher:
        home = await read_home(fetcher, sites.public + "/redirect", AT)
    assert not home.measured and "安全策略" in (home.reason or "") and POLICY in (home.reason or "")
    verdict = evaluate(home, [], load_rules(), AT)
    assert verdict.verdict == UNMEASURED, verdict
    assert not any(f.level == "veto" and f.holds for f in verdict.findings), verdict.findings
    home_check = [f for f in verdict.findings if f.indicator == "W-V3"]
    assert [f.level for f in home_check] == ["unmeasured"] and "安全策略" in home_check[0].message
    assert sites.internal_hits == []


@pytest.mark.skipif(not chromium_available(CHROMIUM), reason="Debian chromium not installed")
async def test_browser_role_refuses_it_too(sites: Sites) -> None:
    # The deployed user agent names 政府网站检查: non-ASCII header values must not break a page.
    ua = "govsweep/0.1 (+政府网站检查)"
    pool = BrowserPool(CHROMIUM, contexts=1, page_timeout_s=15, user_agent=ua, policy=PUBLIC_ONLY)
    async with pool:
        redirected = await pool.render(sites.public + "/redirect")
        two_hops = await pool.render(sites.public + "/hop")
        direct = await pool.render(sites.internal + "/metrics")
        fine = await pool.render(sites.public + "/")
    for result in (redirected, two_hops, direct):
        assert result.html is None and (result.error or "").startswith(POLICY), result
    assert fine.error is None and fine.html is not None and "ok" in fine.html
    assert sites.internal_hits == []
