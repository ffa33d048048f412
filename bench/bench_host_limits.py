"""Shared per-host politeness: KV round trips per 1,000 requests, and how close to the limits.

    .venv/bin/python bench/bench_host_limits.py
    .venv/bin/python bench/bench_host_limits.py --requests 2000

An embedded nats-server and a loopback HTTP host (answers after 20 ms, counts requests in
flight). services.bus.host_limits.HostLimits instances, each on its own NATS connection (as
separate processes would be), send every request through `slot`; the KV bucket is wrapped to
count reads and writes. Two cases:
  alone     — one process, concurrency 8, 400 requests/s: the sweep's usual case, one crawler
              process per host at a time;
  contended — 4 processes on one host, concurrency 2, 50 requests/s.
Printed per case: KV writes and reads per 1,000 requests, wall time against the politeness bound
(requests / rate), the most requests in flight seen by the host, and CPU seconds of this process
(client, limiter and the loopback host; nats-server not included).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from services.bus.host_limits import BUCKET, HostLimits
from services.bus.jetstream import Bus, EmbeddedServer


class CountingKV:
    """The KV bucket, counting round trips."""

    def __init__(self, kv: Any) -> None:
        self.kv = kv
        self.reads = 0
        self.writes = 0
        self.watches = 0

    async def get(self, key: str) -> Any:
        self.reads += 1
        return await self.kv.get(key)

    async def create(self, key: str, value: bytes) -> int:
        self.writes += 1
        return int(await self.kv.create(key, value))

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        self.writes += 1
        return int(await self.kv.update(key, value, last=last))

    async def watch(self, key: str) -> Any:
        self.watches += 1
        return await self.kv.watch(key)


class Host:
    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.02)
        finally:
            self.in_flight -= 1
        return web.Response(text="ok")


async def case(
    nats_url: str, base: str, host: Host, processes: int, concurrency: int, rate: float, n: int
) -> str:
    host.most = 0
    buses = [await Bus.connect(nats_url) for _ in range(processes)]
    kvs = [CountingKV(await bus.js.key_value(BUCKET)) for bus in buses]
    gates = [HostLimits(kv, concurrency, rate) for kv in kvs]  # type: ignore[arg-type]
    per = n // processes

    async def crawl(gate: HostLimits) -> None:
        async with aiohttp.ClientSession() as session:

            async def one(i: int) -> None:
                async with gate.slot(base), session.get(f"{base}/{i}") as response:
                    await response.read()

            await asyncio.gather(*(one(i) for i in range(per)))
        await gate.close()

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(crawl(gate) for gate in gates))
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    for bus in buses:
        await bus.close()
    total = per * processes
    writes = sum(kv.writes for kv in kvs) * 1000 / total
    reads = sum(kv.reads for kv in kvs) * 1000 / total
    bound = total / rate
    return (
        f"{writes:10.0f} {reads:10.0f} {wall:8.2f} {bound:8.2f} {host.most:3d}/{concurrency:<3d}"
        f" {cpu:7.2f}"
    )


async def bench(requests: int) -> None:
    nats = EmbeddedServer(Path(tempfile.mkdtemp(prefix="bench-host-limits-")))
    await nats.start()
    host = Host()
    app = web.Application()
    app.router.add_get("/{tail:.*}", host.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        print(f"{requests} requests per case through HostLimits, KV ops counted")
        print(
            f"{'':10} {'writes/1k':>10} {'reads/1k':>10} {'wall s':>8} {'bound s':>8} "
            f"{'in flight':>9} {'CPU s':>7}"
        )
        for name, processes, concurrency, rate, base in [
            ("alone", 1, 8, 400.0, f"http://127.0.0.1:{port}"),
            ("contended", 4, 2, 50.0, f"http://127.0.0.1:{port}"),
        ]:
            row = await case(nats.url, base, host, processes, concurrency, rate, requests)
            print(f"{name:10} {row}")
    finally:
        await runner.cleanup()
        await nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    asyncio.run(bench(parser.parse_args().requests))


if __name__ == "__main__":
    main()
