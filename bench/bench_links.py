"""Link checking throughput on loopback: govsweep's checker against a plain aiohttp loop.

    .venv/bin/python bench/bench_links.py                  # 3000 links on 20 hosts, 3 rounds
    .venv/bin/python bench/bench_links.py --links 10000 --rounds 5

A server process answers on 20 loopback ports (20 hosts; HEAD and GET, 200). This process checks
the same links, round after round, side by side:
  plain     — aiohttp HEAD per link, a semaphore of CONCURRENCY, nothing else;
  govsweep  — crawler.links.LinkChecker (per-host politeness gate, classes, per-sweep cache);
  +shared   — the same with services.bus.host_limits.HostLimits (per-host state in NATS KV);
  +KV cache — govsweep with the sweep's link cache in NATS KV (services.bus.link_cache), as the
              crawler role runs it: statuses written in batches (a fresh sweep per round).
Links per second are printed per wall second and per CPU second of this process (one core: the
event loop is single-threaded), the best round of each. Politeness limits are set high so that
the checker's own cost is measured, not the waiting it is meant to do.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from crawler.links import LinkCache, LinkChecker, LinkProber, MemoryLinkCache
from crawler.netguard import NetPolicy
from crawler.politeness import Gate, Politeness
from services.bus.host_limits import HostLimits
from services.bus.jetstream import Bus, EmbeddedServer
from services.bus.link_cache import KvLinkCache
from services.config import LOOPBACK

HOSTS = 20
CONCURRENCY = 64
PER_HOST_CONCURRENCY = 8
PER_HOST_RATE = 100_000.0


def serve(ports: int) -> None:
    """The loopback hosts (run in a child process so that their CPU is not counted here)."""

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>ok</body></html>", content_type="text/html")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        bound = []
        for _ in range(ports):
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
            await site.start()
            bound.append(runner.addresses[-1][1])
        print(" ".join(map(str, bound)), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


async def plain(links: list[str]) -> int:
    """What one would write without govsweep: HEAD every link, CONCURRENCY at a time."""
    gate = asyncio.Semaphore(CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(url: str) -> bool:
            async with gate, session.head(url, allow_redirects=True) as resp:
                return resp.status < 400

        return sum(await asyncio.gather(*(one(url) for url in links)))


async def govsweep(links: list[str], gate: Gate, cache: LinkCache | None = None) -> int:
    prober = LinkProber(gate, timeout_s=15, policy=NetPolicy([LOOPBACK]))
    async with prober:
        checker = LinkChecker(
            prober, cache or MemoryLinkCache(), concurrency=CONCURRENCY, max_per_page=len(links)
        )
        statuses = await checker.check_page("http://127.0.0.1/", links)
    return sum(1 for s in statuses if s.outcome == "ok")


async def kv_cached(links: list[str], bus: Bus, sweep: int) -> int:
    """govsweep with a fresh sweep's KV link cache (so that every link is checked again)."""
    cache = KvLinkCache(await KvLinkCache.bucket(bus.js), f"bench{sweep}")
    try:
        return await govsweep(links, Politeness(PER_HOST_CONCURRENCY, PER_HOST_RATE), cache)
    finally:
        await cache.close()


async def timed(name: str, run, links: list[str], results: dict) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    ok = await run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if ok != len(links):
        raise SystemExit(f"{name}: only {ok} of {len(links)} links came back ok")
    best = results.get(name)
    if best is None or wall < best[0]:
        results[name] = (wall, cpu)


async def bench(links_wanted: int, rounds: int) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(HOSTS), stdout=asyncio.subprocess.PIPE
    )
    nats = EmbeddedServer(Path(tempfile.mkdtemp(prefix="bench-links-")))
    assert server.stdout is not None  # stdout=PIPE
    try:
        ports = (await asyncio.wait_for(server.stdout.readline(), 30)).split()
        per_host = max(1, links_wanted // len(ports))
        links = [f"http://127.0.0.1:{int(p)}/a/{i}.html" for i in range(per_host) for p in ports]
        await nats.start()
        bus = await Bus.connect(nats.url)
        shared = await HostLimits.open(bus.js, concurrency=PER_HOST_CONCURRENCY, rate=PER_HOST_RATE)
        results: dict[str, tuple[float, float]] = {}
        sweeps = itertools.count()
        runs = {
            "plain aiohttp": lambda: plain(links),
            "govsweep": lambda: govsweep(links, Politeness(PER_HOST_CONCURRENCY, PER_HOST_RATE)),
            "govsweep +shared": lambda: govsweep(links, shared),
            "govsweep +KV cache": lambda: kv_cached(links, bus, next(sweeps)),
        }
        for _ in range(rounds):
            for name, run in runs.items():  # side by side, round after round
                await timed(name, run, links, results)
        await bus.close()
    finally:
        server.kill()
        await server.wait()
        await nats.stop()

    print(
        f"{len(links)} links on {len(ports)} loopback hosts, best of {rounds} rounds, "
        f"{os.cpu_count()} CPU(s) on the machine, server in its own process"
    )
    print(f"{'':20} {'links/s (wall)':>15} {'links/s per core (CPU)':>24} {'vs plain':>9}")
    base = len(links) / results["plain aiohttp"][1]
    for name, (wall, cpu) in results.items():
        per_core = len(links) / cpu
        print(f"{name:20} {len(links) / wall:15.0f} {per_core:24.0f} {per_core / base:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.links < HOSTS or not 1 <= args.rounds <= 20:
        parser.error(f"--links must be at least {HOSTS} and --rounds 1 to 20")
    asyncio.run(bench(args.links, args.rounds))


if __name__ == "__main__":
    main()
