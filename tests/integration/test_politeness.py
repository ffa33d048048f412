"""Politeness across processes: crawler OS processes, and HostLimits instances on their own NATS
connections, against one slow loopback host.

The host records, as requests arrive, how many are in flight and when each came; the tests check
that neither the concurrency nor the request rate ever went past the limits. The same run with
per-process politeness (crawler.politeness.Politeness) is the control: it must go past them, or
the measurement proves nothing. The KV bucket is wrapped to count reads and writes: leases are
taken in batches, so writes are per batch of requests, not per request.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from nats.js.kv import KeyValue

from services.bus.host_leases import HostState
from services.bus.host_limits import BUCKET, HostLimits, _key
from services.bus.jetstream import Bus, EmbeddedServer

pytestmark = pytest.mark.integration

CONCURRENCY = 2
RATE = 5.0  # requests per second
JITTER_S = 0.1  # arrival times at the server wobble by loopback and scheduling delays
PROCESSES = 4  # crawler OS processes sharing the host
PER_PROCESS = 8  # 4 pages (Fetcher, slow) + 4 links (LinkProber, fast) in each process
ROOT = Path(__file__).resolve().parents[2]

# One crawler process: pages through a Fetcher and links through a LinkProber, both behind the
# same gate: the shared HostLimits, or (control) a Politeness of its own.
WORKER = """
import asyncio, sys
from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.links import LinkProber
from crawler.politeness import Politeness
from services.bus.jetstream import Bus
from services.config import LOOPBACK
from services.bus.host_limits import HostLimits

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

async def main(base, nats_url, mode, n, concurrency, rate):
    n, concurrency, rate = int(n), int(concurrency), float(rate)
    bus = await Bus.connect(nats_url)
    if mode == "shared":
        gate = await HostLimits.open(bus.js, concurrency=concurrency, rate=rate)
    else:
        gate = Politeness(concurrency, rate)
    pages, links = Fetcher(gate, 10, policy=FARM), LinkProber(gate, 10, policy=FARM)
    async with pages, links:
        print("ready", flush=True)
        await asyncio.sleep(float(sys.stdin.readline()) - __import__("time").time())
        results = await asyncio.gather(
            *(pages.get(f"{base}/slow/{i}") for i in range(n // 2)),
            *(links.check(f"{base}/fast/{i}") for i in range(n // 2)),
        )
    if mode == "shared":
        await gate.close()
    await bus.close()
    ok = sum(1 for r in results if (getattr(r, "result", r)).error is None)
    print("ok", ok, flush=True)

asyncio.run(main(*sys.argv[1:]))
"""


class SlowHost:
    """Counts requests in flight and records arrival times."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrivals: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.arrivals.append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.5 if request.path.startswith("/slow/") else 0.05)
        finally:
            self.in_flight -= 1
        return web.Response(text="<html><body>慢</body></html>", content_type="text/html")

    def most_in_window(self, seconds: float) -> int:
        """The most arrivals within any window of `seconds`."""
        times = sorted(self.arrivals)
        most, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most


@pytest.fixture
async def nats_url(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    await server.start()
    yield server.url
    await server.stop()


@pytest.fixture
async def host():
    state = SlowHost()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield state, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def _crawlers(base: str, nats_url: str, mode: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [base, nats_url, mode, str(PER_PROCESS), str(CONCURRENCY), str(RATE)]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for proc in procs:  # all up before any starts: they really run side by side
            assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"ready\n"
        go = f"{time.time() + 0.2}\n".encode()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(proc.communicate(go) for proc in procs)), 60
        )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
    return [out.decode().strip() for out, _ in outputs]


async def test_four_crawler_processes_stay_within_the_host_limits(host, nats_url: str) -> None:
    state, base = host
    outputs = await _crawlers(base, nats_url, "shared")
    assert outputs == [f"ok {PER_PROCESS}"] * PROCESSES
    assert len(state.arrivals) == PROCESSES * PER_PROCESS  # a page is one GET, a link one HEAD
    assert state.max_in_flight == CONCURRENCY  # 2 over 4 processes, never 2 each
    # Starts are 1/rate apart over all processes (no burst), give or take arrival jitter.
    assert state.most_in_window(1.0 - JITTER_S) <= RATE


async def test_control_per_process_politeness_goes_past_the_limits(host, nats_url) -> None:
    state, base = host
    outputs = await _crawlers(base, nats_url, "local")
    assert outputs == [f"ok {PER_PROCESS}"] * PROCESSES
    assert state.max_in_flight > CONCURRENCY
    assert state.most_in_window(1.0 - JITTER_S) > RATE


async def test_back_off_is_shared_and_success_does_not_speed_up(nats_url: str) -> None:
    bus = await Bus.connect(nats_url)
    try:
        # Intervals of 0.3 s (3 starts at 10/s): the others see a back-off within that.
        first = await HostLimits.open(bus.js, concurrency=2, rate=10.0, term_s=0.3)
        second = await HostLimits.open(bus.js, concurrency=2, rate=10.0, term_s=0.3)
        host = "http://127.0.0.1:9"
        async with second.slot(host):
            pass  # second holds a lease: the rest of its interval is its own
        first.slow_down(host, 1.0)  # a 429 with Retry-After: 1 seen by one worker …
        backed_off = time.monotonic()
        await first.close()
        starts = []
        for _ in range(4):  # … holds the other back once its interval is spent
            async with second.slot(host):
                starts.append(time.monotonic() - backed_off)
        assert all(t < 0.3 + JITTER_S or t >= 1.0 - JITTER_S for t in starts), starts
        assert 1.0 - JITTER_S <= starts[-1] < 1.5
        first.slow_down(host, None)  # every 429/503, from any worker, doubles the back-off
        second.slow_down(host, None)
        await asyncio.gather(first.close(), second.close())
        state = msgspec.json.decode((await first.kv.get(_key(host))).value, type=HostState)
        assert state.backoff_s == 4.0  # 1 s, 2 s, 4 s
        first.succeeded(host)
        await first.close()
        state = msgspec.json.decode((await first.kv.get(_key(host))).value, type=HostState)
        assert state.backoff_s == 0.0
        # Successes never raise the rate: requests still start 1/rate apart.
        other = "http://127.0.0.1:10"
        started = time.monotonic()
        for _ in range(6):
            async with second.slot(other):
                second.succeeded(other)
        assert time.monotonic() - started >= 0.5 - JITTER_S
        await second.close()
    finally:
        await bus.close()


async def test_an_idle_process_gives_its_slot_to_a_waiting_one(nats_url: str) -> None:
    """A process that stops sending keeps its lease only to the end of its interval (one term),
    far sooner than the lease would lapse (60 s)."""
    buses = [await Bus.connect(nats_url) for _ in range(2)]
    try:
        first, second = [
            await HostLimits.open(bus.js, concurrency=1, rate=10.0, max_wait_s=3.0) for bus in buses
        ]
        host = "http://127.0.0.1:11"
        async with first.slot(host):
            pass  # then idle, without closing
        async with second.slot(host):  # TimeoutError after 3 s if the slot were kept
            shared = msgspec.json.decode((await second.kv.get(_key(host))).value, type=HostState)
            assert set(shared.leases) == {second.pid}
        await second.close()
        assert first._hosts == {}  # the idle process forgot the host by itself
    finally:
        for bus in buses:
            await bus.close()


class CountingKV:
    """The KV bucket, counting the round trips HostLimits makes."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self.reads = 0
        self.writes = 0
        self.watches = 0

    async def get(self, key: str) -> KeyValue.Entry:
        self.reads += 1
        return await self.kv.get(key)

    async def create(self, key: str, value: bytes) -> int:
        self.writes += 1
        return await self.kv.create(key, value)

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        self.writes += 1
        return await self.kv.update(key, value, last=last)

    async def watch(self, key: str) -> Any:
        self.watches += 1
        return await self.kv.watch(key)


async def _hammer(limits: HostLimits, base: str, paths: list[str]) -> int:
    """Each path requested once through `limits`, all at once; the number answered 200."""
    async with aiohttp.ClientSession() as session:

        async def one(path: str) -> int:
            async with limits.slot(base), session.get(f"{base}{path}") as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(one(path) for path in paths))
    await limits.close()
    return statuses.count(200)


async def test_four_contending_processes_share_the_limits(host, nats_url: str) -> None:
    """Concurrency 2 over 4 processes never gives more than 2 in flight (leases are cut to a
    fair share, not `concurrency` each), the rate holds for the sum, and every process gets
    its turn."""
    state, base = host
    buses = [await Bus.connect(nats_url) for _ in range(4)]
    try:
        counted = [CountingKV(await bus.js.key_value(BUCKET)) for bus in buses]
        gates = [HostLimits(kv, CONCURRENCY, RATE) for kv in counted]  # type: ignore[arg-type]
        paths = [f"/{'slow' if i % 3 == 0 else 'fast'}/{i}" for i in range(6)]
        done = await asyncio.wait_for(
            asyncio.gather(*(_hammer(gate, base, paths) for gate in gates)), 60
        )
    finally:
        for bus in buses:
            await bus.close()
    assert done == [6] * 4
    assert len(state.arrivals) == 24
    assert state.max_in_flight == CONCURRENCY
    assert state.most_in_window(1.0 - JITTER_S) <= RATE
    writes = sum(kv.writes for kv in counted)
    print(f"4 contending processes: {writes} KV writes, {sum(kv.reads for kv in counted)} reads")


async def test_kv_writes_are_per_lease_not_per_request(host, nats_url: str) -> None:
    """One process, 400 requests: the lease is written a handful of times (a term's worth of
    starts per write), where a compare-and-set per acquire and per release took 800."""
    state, base = host
    bus = await Bus.connect(nats_url)
    try:
        kv = CountingKV(await bus.js.key_value(BUCKET))
        limits = HostLimits(kv, concurrency=8, rate=400.0)  # type: ignore[arg-type]
        done = await _hammer(limits, base, [f"/fast/{i}" for i in range(400)])
        assert done == 400
        assert state.max_in_flight <= 8
        assert kv.writes <= 20, (kv.writes, kv.reads)
        assert limits._hosts == {}  # closed: the host is forgotten …
        shared = msgspec.json.decode((await kv.kv.get(_key(base))).value, type=HostState)
        assert shared.leases == {}  # … and its lease given back, not left to lapse
        print(f"1 process, 400 requests: {kv.writes} KV writes, {kv.reads} reads")
    finally:
        await bus.close()


HOLDER = """
import asyncio, sys
from services.bus.jetstream import Bus
from services.bus.host_limits import HostLimits

async def main(nats_url):
    bus = await Bus.connect(nats_url)
    limits = await HostLimits.open(bus.js, concurrency=1, rate=100.0, lease_ttl_s=1.0)
    async with limits.slot("http://127.0.0.1:9"):
        print("held", flush=True)
        await asyncio.sleep(60)

asyncio.run(main(sys.argv[1]))
"""


async def test_a_dead_workers_slot_lapses(nats_url: str) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        nats_url,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    bus = await Bus.connect(nats_url)
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
        limits = await HostLimits.open(bus.js, concurrency=1, rate=100.0, max_wait_s=1.5)
        with pytest.raises(TimeoutError, match="no request slot"):
            async with limits.slot("http://127.0.0.1:9"):
                pass  # the live holder renews its 1 s lease: no slot in 1.5 s
        holder.kill()  # the worker dies holding the slot
        await holder.wait()
        killed = time.monotonic()
        limits.max_wait_s = 5.0
        async with limits.slot("http://127.0.0.1:9"):
            lapsed = time.monotonic() - killed
        assert lapsed <= 1.5  # within the lease's TTL (1 s) of its last renewal
    finally:
        if holder.returncode is None:
            holder.kill()
        await bus.close()
