"""The fetch path alone, CPU per page: govsweep's Fetcher + decode_html vs a bare aiohttp session.

perf_compare.py measures fetch and extraction together; here extraction is left out, so what the
Fetcher adds (politeness gate, SSRF-guarded connector, caps, timeouts, the FetchResult) shows. The
same real list page is served on loopback by perf_compare's server process; each contender runs in
its own subprocess, interleaved over the rounds, and reads its own CPU time.

    .venv/bin/python bench/bench_fetch_path.py [--fetches 4000] [--concurrency 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from bench.perf_common import BENCH, PYTHON, Procs, median
from bench.perf_compare import REALPAGES, biggest_list_page, cpu_now, urls

CONTENDERS = ("bare", "fetcher")


async def run_bare(base: str, n: int, concurrency: int) -> dict[str, Any]:
    import aiohttp

    queue = urls(base, n)
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while queue:
            async with session.get(queue.pop()) as resp:
                body = await resp.read()
            if resp.status == 200 and body.decode("utf-8", "replace"):
                done += 1

    started_cpu, started = cpu_now(), time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return {"pages": done, "cpu_s": cpu_now() - started_cpu, "wall_s": time.monotonic() - started}


async def run_fetcher(base: str, n: int, concurrency: int) -> dict[str, Any]:
    from crawler.encoding import decode_html
    from crawler.fetch import Fetcher
    from crawler.netguard import NetPolicy
    from crawler.politeness import Politeness
    from services.config import LOOPBACK

    queue = urls(base, n)
    done = 0

    async def worker(fetcher: Fetcher) -> None:
        nonlocal done
        while queue:
            page = await fetcher.get(queue.pop())
            if page.body is not None and decode_html(page.body, page.content_type)[0]:
                done += 1

    # Limits far above what loopback serves: the gate's bookkeeping is measured, not its waiting.
    gate = Politeness(concurrency=concurrency, rate=1_000_000.0)
    started_cpu, started = cpu_now(), time.monotonic()
    async with Fetcher(gate, policy=NetPolicy([LOOPBACK])) as fetcher:
        await asyncio.gather(*(worker(fetcher) for _ in range(concurrency)))
    return {"pages": done, "cpu_s": cpu_now() - started_cpu, "wall_s": time.monotonic() - started}


def measure(fetches: int, concurrency: int, rounds: int) -> dict[str, Any]:
    page, _ = biggest_list_page(REALPAGES)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    with Procs() as procs:
        server = procs.start(
            [PYTHON, str(BENCH / "perf_compare.py"), "serve", str(page)], stdin=-1, stdout=-1
        )
        assert server.stdout is not None
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        for _ in range(rounds):
            for name in CONTENDERS:  # interleaved, so a burst of load elsewhere hits both alike
                args = [name, base, str(fetches), str(concurrency)]
                runs[name].append(contender(procs, args))
        assert server.stdin is not None
        server.stdin.close()
    figures: dict[str, Any] = {"page": page.name, "fetches": fetches, "rounds": rounds}
    for name, results in runs.items():
        figures[f"{name}_us_per_page"] = median(
            [r["cpu_s"] * 1e6 / r["pages"] for r in results if r["pages"]]
        )
        figures[f"{name}_pages_ok"] = min(r["pages"] for r in results)
    figures["fetcher_over_bare"] = figures["fetcher_us_per_page"] / figures["bare_us_per_page"]
    return figures


def contender(procs: Procs, args: list[str], timeout: float = 600) -> dict[str, Any]:
    """Run one contender of this script in its own process and decode its JSON line."""
    argv = [PYTHON, str(BENCH / "bench_fetch_path.py"), "contender", *args]
    proc = procs.start(argv, stdout=-1, stderr=-1)
    try:
        out, err = proc.communicate(timeout=timeout)
    except Exception:
        procs.stop([proc])
        raise
    procs.procs.remove(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"contender {args[0]} failed:\n{err[-2000:]}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "contender":
        name, base, n, c = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        run = run_bare if name == "bare" else run_fetcher
        print(json.dumps(asyncio.run(run(base, n, c))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetches", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.fetches, args.concurrency, args.rounds), indent=1))


if __name__ == "__main__":
    main()
