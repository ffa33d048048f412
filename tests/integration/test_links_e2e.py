"""Link checking end to end: the simulated province on loopback, two link-checking workers sharing
a sweep's results through a real nats-server's KV bucket, every site's counts against the manifest.

The pages are read as the crawler reads them (fetch, decode, extract); the links of each page go
through crawler.links with the KV cache of services.bus.link_cache, as the crawl worker wires it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

import msgspec
import pytest
from aiohttp import web
from nats.js.kv import KeyValue

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.fetch import Fetcher, origin
from crawler.links import (
    BLOCKED,
    BROKEN,
    OK,
    TIMEOUT,
    UNKNOWN,
    LinkChecker,
    LinkProber,
    summarize_links,
)
from crawler.model import ColumnFacts, ColumnRef, HomeFacts, LinkStatus
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from farm.province import generate_province
from farm.server import FarmServer
from services.bus import link_cache
from services.bus.jetstream import RESULTS_STREAM, SUBJECT_HOME, Bus, EmbeddedServer
from services.bus.link_cache import KvHeadRefusals, KvLinkCache
from services.bus.schema import HomeResult, LinkBatch, Site, SiteJob
from services.config import LOOPBACK, Config, for_loopback_farm
from services.roles.crawl_worker import (
    CrawlWorker,
    compact_column_links,
    compact_home_links,
    make_fetcher,
)
from tests.conftest import AT

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

pytestmark = pytest.mark.integration

SITES, SEED = 40, 7
LINK_TIMEOUT_S = 3.0
RECHECK_S = 1.0
COLUMNS_READ = 8  # column pages read on the sites with planted links and the flaky site
EXPECT_CLASS = {
    "http_404": BROKEN,
    "http_410": BROKEN,
    "http_500": BROKEN,
    "refused": BROKEN,
    "waf_challenge": BLOCKED,
    "timeout": TIMEOUT,
}
COLUMN_FAULT_CLASS = {  # how a link to a column planted with a fault answers
    "waf_403": BLOCKED,
    "waf_412": BLOCKED,
    "waf_521": BLOCKED,
    "column_timeout": TIMEOUT,
    "redirect_loop": UNKNOWN,
}


@pytest.fixture
async def bus(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    await server.start()
    bus = await Bus.connect(server.url)
    yield bus
    await bus.close()
    await server.stop()


class Worker:
    """One crawler's link checking: its own politeness and prober, the sweep's shared cache."""

    def __init__(self, cache: KvLinkCache) -> None:
        self.prober = LinkProber(Politeness(8, 400.0), timeout_s=LINK_TIMEOUT_S, policy=FARM)
        self.checker = LinkChecker(self.prober, cache, recheck_after_s=RECHECK_S, concurrency=64)


async def read_page(fetcher: Fetcher, url: str, kind: str):
    page = await fetcher.get(url)
    assert page.body is not None, f"{url}: {page.result.error}"
    text, charset = decode_html(page.body, page.content_type)
    return page, extract_page(text, url, AT, charset=charset, kind_hint=kind)


async def test_province_links_match_the_manifest(bus: Bus) -> None:
    province = generate_province(SITES, SEED, AT)
    kv = await KvLinkCache.bucket(bus.js)
    home_worker = Worker(KvLinkCache(kv, "sweep1", wait_s=30))
    column_worker = Worker(KvLinkCache(kv, "sweep1", wait_s=30))
    async with (
        FarmServer(province),
        Fetcher(Politeness(8, 400.0), timeout_s=15, policy=FARM) as fetcher,
        home_worker.prober,
        column_worker.prober,
    ):
        manifest = {site["site_id"]: site for site in province.manifest()["sites"]}
        readable = [s for s in manifest.values() if s["availability"]["home"] == "up"]
        flaky = [s for s in readable if s["availability"]["flaky"]]
        assert flaky and any(s["links"] for s in readable), "the province must plant both"

        async def read_site(site: dict) -> tuple[HomeFacts, list[ColumnFacts]]:
            url = site["url"]
            page, facts = await read_page(fetcher, url, "home")
            fails_every = (site["availability"]["flaky"] or {}).get("fails_every")
            if fails_every:  # so that the link check's GET of "/" is the request that fails
                for _ in range(fails_every - 2):
                    await fetcher.get(url)
            links = await home_worker.checker.check_page(url, facts.links)
            home = HomeFacts(url=url, fetch=page.result, measured=True, links=links)
            columns = []
            if site["links"] or fails_every:
                for column in site["columns"][:COLUMNS_READ]:
                    if column["fault"] or column["needs_browser"]:
                        continue
                    page, facts = await read_page(fetcher, column["url"], "list")
                    links = await column_worker.checker.check_page(column["url"], facts.links)
                    ref = ColumnRef(column["name"], column["url"], column["category"])
                    columns.append(ColumnFacts(ref, page.result, measured=True, links=links))
            return home, columns

        started = time.monotonic()
        results = await asyncio.gather(*(read_site(site) for site in readable))
        elapsed = time.monotonic() - started

    for site, (home, columns) in zip(readable, results, strict=True):
        summary = summarize_links(home, columns)
        # What the crawler publishes (compacted) gives the checker the same summary.
        compacted = [compact_column_links(column) for column in columns]
        assert summarize_links(compact_home_links(home), compacted) == summary
        want: dict[str, set[str]] = {BROKEN: set(), BLOCKED: set(), TIMEOUT: set()}
        for link in site["links"]:
            want[EXPECT_CLASS[link["expect"]]].add(link["url"])
        pages: list[HomeFacts | ColumnFacts] = [home, *columns]
        merged = {s.url: s for page in pages for s in page.links}
        for column in site["columns"]:
            outcome = COLUMN_FAULT_CLASS.get(column["fault"])
            if outcome == BLOCKED:  # the WAF walls the column's list and its articles
                want[BLOCKED] |= {url for url in merged if url.startswith(column["url"])}
            elif outcome:  # a slow or looping list page; its articles answer
                want.setdefault(outcome, set()).add(column["url"])
        got: dict[str, set[str]] = {
            outcome: set() for outcome in (OK, BROKEN, BLOCKED, TIMEOUT, UNKNOWN)
        }
        for status in merged.values():
            got[status.outcome].add(status.url)
        label = f"{site['site_id']} {site['name']}"
        assert got[BROKEN] == want[BROKEN], label
        assert got[BLOCKED] == want[BLOCKED], label
        slow_home = {site["url"]} if site["availability"]["slow_ms"] else set()
        assert want[TIMEOUT] <= got[TIMEOUT] <= want[TIMEOUT] | slow_home, label
        assert got[UNKNOWN] == want.get(UNKNOWN, set()), label
        # The counts the rules use: every planted broken link sits on the home page.
        assert (summary.broken_home, summary.broken_other) == (len(want[BROKEN]), 0), label
        assert summary.checked == len(merged) and summary.timeout == len(got[TIMEOUT])
        for status in summary.broken:
            assert home.url in status.found_on and status.checks == 2, status
    # The flaky home page met a 502 on its link check and passed the re-check: not broken.
    for site in flaky:
        home, _ = results[readable.index(site)]
        [self_link] = [s for s in home.links if s.url == site["url"]]
        assert (self_link.outcome, self_link.checks, self_link.first) == (OK, 2, "http_502")
    # Footer links shown on every page were checked once and found on the column pages too.
    dead = next(
        link["url"] for site in readable for link in site["links"] if link["kind"] == "dead_host"
    )
    site = next(s for s in readable if any(link["url"] == dead for link in s["links"]))
    home, columns = results[readable.index(site)]
    summary = summarize_links(home, columns)
    [status] = [s for s in summary.broken if s.url == dead]
    assert len(status.found_on) > 1 and status.external and status.error == "refused"
    print(f"\n{sum(len(h.links) + sum(len(c.links) for c in cs) for h, cs in results)} "
          f"page links of {len(readable)} sites checked in {elapsed:.1f} s")  # fmt: skip


HOME_PAGE = (
    "<html><head><title>某某县人民政府</title></head><body>"
    + "".join(f'<a href="/p{n}">第{n}条</a>' for n in range(20))
    + '<a href="/gone">旧链接</a></body></html>'
)


class Counting:
    """A loopback host that counts requests per path: /ok, /gone (404), /flaky (502 once)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []  # (method, path)

    async def handle(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        self.requests.append((request.method, request.path))
        if request.path == "/home":
            return web.Response(text=HOME_PAGE, content_type="text/html")
        if request.path.startswith("/nohead") and request.method == "HEAD":
            return web.Response(status=405)
        if request.path == "/gone":
            return web.Response(status=404)
        if request.path == "/flaky" and self.hits[request.path] <= 2:
            return web.Response(status=502)
        return web.Response(text="ok")


@pytest.fixture
async def counting():
    state = Counting()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    yield state, f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"
    await runner.cleanup()


async def batches(kv: KeyValue, sweep: str) -> list[LinkBatch]:
    """Every batch written to the sweep's link cache."""
    watcher = await kv.watch(f"{sweep}.*")
    found = []
    async for entry in watcher:
        if entry is None:  # every value written so far has arrived
            break
        found.append(msgspec.json.decode(entry.value, type=LinkBatch))
    await watcher.stop()
    return found


async def written(kv: KeyValue, sweep: str) -> Counter[str]:
    """How often each URL's final status was written to the sweep's link cache."""
    return Counter(status.url for batch in await batches(kv, sweep) for status in batch.final())


async def test_workers_share_final_statuses_only(bus: Bus, counting) -> None:
    state, base = counting
    kv = await KvLinkCache.bucket(bus.js)
    links = [f"{base}/ok", f"{base}/gone", f"{base}/flaky"]
    workers = [Worker(KvLinkCache(kv, "sweep2", wait_s=10)) for _ in range(3)]
    async with workers[0].prober, workers[1].prober, workers[2].prober:
        first = asyncio.create_task(workers[0].checker.check_page(f"{base}/a", links))
        await asyncio.sleep(RECHECK_S / 2)
        # Mid re-check the bucket holds /gone and /flaky, never their first outcome.
        held = [url for batch in await batches(kv, "sweep2") for url in batch.held]
        assert sorted(held) == [f"{base}/flaky", f"{base}/gone"]
        assert set(await written(kv, "sweep2")) <= {f"{base}/ok"}
        others = await asyncio.gather(
            *(w.checker.check_page(f"{base}/b{i}", links) for i, w in enumerate(workers[1:]))
        )
        pages = [await first, *others]
    for statuses in pages:
        assert [s.outcome for s in statuses] == [OK, BROKEN, OK]
    # Each link was requested by one worker only: HEAD; HEAD + GET twice; HEAD + GET, then HEAD.
    assert state.hits == {"/ok": 1, "/gone": 4, "/flaky": 3}
    assert await written(kv, "sweep2") == dict.fromkeys(links, 1)
    # Another sweep checks afresh.
    async with Worker(KvLinkCache(kv, "sweep3")).prober as prober:
        checker = LinkChecker(prober, KvLinkCache(kv, "sweep3"), recheck_after_s=RECHECK_S)
        [status] = await checker.check_page(f"{base}/a", [f"{base}/ok"])
    assert status.outcome == OK and state.hits["/ok"] == 2


async def test_a_dead_workers_claim_is_taken_over_and_waiting_is_bounded(bus: Bus) -> None:
    kv = await KvLinkCache.bucket(bus.js)
    url = "http://127.0.0.1:9/x"
    crashed = KvLinkCache(kv, "sweep4", wait_s=0.3, lease_s=0.5)
    assert await crashed.claim(url) is None
    await crashed.hold(url)  # its re-check began, then the worker died
    waiting = KvLinkCache(kv, "sweep4", wait_s=0.3, lease_s=60)
    status = await waiting.claim(url)  # within the lease: wait, bounded, then "unknown"
    assert status is not None and status.outcome == UNKNOWN and "not_ready" in status.error
    await asyncio.sleep(0.5)
    taker = KvLinkCache(kv, "sweep4", wait_s=5, lease_s=0.5)
    assert await taker.claim(url) is None  # the lease ran out: ours to check
    final = LinkStatus(url=url, outcome=BROKEN, status=404, checks=2)
    await taker.settle(url, final)
    await taker.flush()
    assert await waiting.claim(url) == final


class CountedKv:
    """The real bucket, its operations counted: what one crawler process costs the KV store."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self.ops: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        if name in ("create", "put", "update", "get", "delete", "watch"):
            self.ops[name] += 1
        return getattr(self.kv, name)


async def test_a_process_asks_the_bucket_once_per_unique_link(bus: Bus, counting) -> None:
    state, base = counting
    kv = await KvLinkCache.bucket(bus.js)
    links = [f"{base}/ok", f"{base}/gone", *(f"{base}/p{n}" for n in range(10))]
    first = CountedKv(kv)
    cache = KvLinkCache(cast(KeyValue, first), "sweep5", wait_s=10)
    worker = Worker(cache)
    async with worker.prober:
        # Four pages show the same links; two ask at once, two later (other jobs of the sweep).
        pages = await asyncio.gather(
            *(worker.checker.check_page(f"{base}/a{n}", links) for n in range(2))
        )
        pages += [await worker.checker.check_page(f"{base}/b{n}", links) for n in range(2)]
    # Each unique link's final status written once, in a few batches (the hold of /gone, the
    # pages' ends, a timed flush); nothing read back or polled.
    assert set(first.ops) == {"watch", "put"} and first.ops["put"] <= 4
    assert await written(kv, "sweep5") == dict.fromkeys(links, 1)
    # Another process, later in the sweep: every status is known from its watch, no KV op.
    second = CountedKv(kv)
    other = KvLinkCache(cast(KeyValue, second), "sweep5", wait_s=10)
    async with Worker(other).prober as prober:
        checker = LinkChecker(prober, other, recheck_after_s=RECHECK_S)
        pages.append(await checker.check_page(f"{base}/c", links))
    assert second.ops == {"watch": 1}
    for statuses in pages:
        assert [s.outcome for s in statuses] == [OK, BROKEN] + [OK] * 10
    # Each link was requested by one worker once: HEAD; /gone HEAD + GET, twice.
    assert state.hits == {"/ok": 1, "/gone": 4, **{f"/p{n}": 1 for n in range(10)}}
    await cache.close()
    await other.close()


async def test_a_host_refusing_head_gets_get_from_every_process(bus: Bus, counting) -> None:
    state, base = counting
    kv = await KvLinkCache.bucket(bus.js)
    refusals = [KvHeadRefusals(kv), KvHeadRefusals(kv)]
    probers = [
        LinkProber(Politeness(8, 400.0), timeout_s=LINK_TIMEOUT_S, policy=FARM, head_refusals=r)
        for r in refusals
    ]
    for r in refusals:
        await r.start()
    async with probers[0], probers[1]:
        assert (await probers[0].check(f"{base}/nohead/1")).status == 200
        for _ in range(100):  # the other process hears of it through its watch
            if refusals[1].refuses(origin(base)):
                break
            await asyncio.sleep(0.05)
        assert (await probers[1].check(f"{base}/nohead/2")).status == 200
    assert state.requests == [("HEAD", "/nohead/1"), ("GET", "/nohead/1"), ("GET", "/nohead/2")]
    # A process started later knows it from the bucket at once.
    later = KvHeadRefusals(kv)
    await later.start()
    assert later.refuses(origin(base)) and not later.refuses("http://127.0.0.9:80")
    for r in [*refusals, later]:
        await r.close()


async def test_a_process_keeps_the_links_it_uses_and_rechecks_a_forgotten_one(
    bus: Bus, counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = counting
    monkeypatch.setattr(link_cache, "KNOWN_MAX", 3)
    kv = await KvLinkCache.bucket(bus.js)
    cache = KvLinkCache(kv, "sweep6", wait_s=10)
    async with Worker(cache).prober as prober:
        checker = LinkChecker(prober, cache, recheck_after_s=RECHECK_S)
        pages = [["/p0", "/p1", "/p2"], ["/p0"], ["/p3"], ["/p0", "/p1"]]
        for n, paths in enumerate(pages):
            statuses = await checker.check_page(f"{base}/{n}", [base + p for p in paths])
            assert [s.outcome for s in statuses] == [OK] * len(paths)
    # /p0, asked for again, was kept; /p1, the least recently used, was forgotten and checked
    # again (a request, never a wrong answer).
    assert state.hits == {"/p0": 1, "/p1": 2, "/p2": 1, "/p3": 1}
    await cache.close()


async def test_the_crawler_publishes_compact_link_results(
    bus: Bus, counting, tmp_path: Path
) -> None:
    state, base = counting
    kv = CountedKv(await KvLinkCache.bucket(bus.js))
    config = for_loopback_farm(Config(state_dir=str(tmp_path), metrics_port=-1))
    prober = LinkProber(Politeness(8, 400.0), timeout_s=LINK_TIMEOUT_S, policy=FARM)
    async with make_fetcher(config) as fetcher, prober:
        worker = CrawlWorker(bus, config, fetcher, prober, cast(KeyValue, kv))
        homes = []
        for site_id in ("5200000001", "5200000002"):  # two sites showing the same links
            site = Site(site_id=site_id, name="某某县", url=f"{base}/home", region_code="520000")
            await worker.crawl_site(SiteJob("sweep7", AT.isoformat(), "2024Q1", site))
            subject = SUBJECT_HOME.format(sweep_id="sweep7", site_id=site_id)
            raw = await bus.js.get_last_msg(RESULTS_STREAM, subject)
            homes.append(msgspec.json.decode(raw.data or b"", type=HomeResult).home)
            if site_id.endswith("1"):
                ops = +kv.ops
        await worker.close()
    # The second site's links were known in this process: no KV operation, no request. The
    # first site's: each status written once, in a few batches.
    assert kv.ops == ops and set(ops) == {"watch", "put"} and ops["put"] <= 3
    assert sum((await written(kv.kv, "sweep7")).values()) == 21
    assert state.hits["/p0"] == 1 and state.hits["/gone"] == 4
    for home in homes:
        # On the stream: the broken link in full, with its page; the 20 OK ones as digests.
        [gone] = home.links
        assert (gone.url, gone.outcome, gone.status, gone.found_on) == (
            f"{base}/gone",
            BROKEN,
            404,
            [f"{base}/home"],
        )
        assert home.link_tally is not None and len(home.link_tally.ok) == 20 * 8
        summary = summarize_links(home, [])
        assert (summary.checked, summary.broken_home, summary.broken) == (21, 1, [gone])


async def test_a_batch_over_the_limit_is_split(
    bus: Bus, counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = counting
    monkeypatch.setattr(link_cache, "BATCH_MAX", 2)
    kv = await KvLinkCache.bucket(bus.js)
    cache = KvLinkCache(kv, "sweep8", wait_s=10)
    links = [f"{base}/p{n}" for n in range(5)]
    async with Worker(cache).prober as prober:
        checker = LinkChecker(prober, cache, recheck_after_s=RECHECK_S)
        await checker.check_page(f"{base}/a", links)
    await cache.close()
    written_batches = await batches(kv, "sweep8")
    assert all(len(batch.final()) <= 2 for batch in written_batches)
    assert await written(kv, "sweep8") == dict.fromkeys(links, 1)
