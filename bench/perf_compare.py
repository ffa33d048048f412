"""Fetch + extract, pages per CPU-second: bare aiohttp + lexbor loop vs Scrapy vs govsweep.

One real list page is served on loopback by its own server process; each contender runs in its own
subprocess and fetches N distinct URLs (all answering that page) at C concurrent, doing comparable
work per page (links with their titles, a date scan); the CPU it used while crawling is read from
its own resource usage, so the server's CPU is not counted. `extract_page` alone is timed as well.

    .venv/bin/python bench/perf_compare.py [--fetches 3000] [--concurrency 64] [--rounds 3]

The subcommands `serve`, `contender` and `extract` are the child processes' entry points.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from bench.perf_common import BENCH, PYTHON, ROOT, Procs, median

REALPAGES = ROOT.parent / "shared" / "realpages"
AT = dt.date(2024, 3, 20)
CONTENDERS = ("bare", "scrapy", "govsweep")
DATE = re.compile(r"(20\d{2}|19\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
CONTENT_TYPE = "text/html; charset=utf-8"


def biggest_list_page(folder: Path) -> tuple[Path, str]:
    """The largest server-rendered list page of truth.json (the one a crawler reads as is)."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    lists = [e for e in truth["lists"] if not e.get("needs_browser")]
    best = max(lists, key=lambda e: (folder / e["file"]).stat().st_size)
    return folder / best["file"], best.get("url") or "http://127.0.0.1/list.html"


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the page server ------------------------------------------------------------------------------
async def serve(path: Path) -> None:
    """Answer every GET with the page; print the port, serve until stdin closes."""
    from aiohttp import web

    body = path.read_bytes()

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the bench closes stdin to stop us
    await runner.cleanup()


# -- contenders -----------------------------------------------------------------------------------
def urls(base: str, n: int) -> list[str]:
    return [f"{base}/list/{i}.html" for i in range(n)]


def bare_scan(body: bytes, url: str) -> int:
    """Links with their titles and every date in the text: what the other contenders also do."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body.decode("utf-8", "replace"))
    items = 0
    for node in tree.css("a[href]"):
        href = node.attributes.get("href") or ""
        title = node.text(strip=True)
        if href and title:
            urljoin(url, href)
            items += 1
    body_node = tree.body
    text = body_node.text(separator=" ") if body_node is not None else ""
    return items + len(DATE.findall(text))


async def run_bare(base: str, n: int, concurrency: int) -> dict[str, Any]:
    import aiohttp

    queue = urls(base, n)
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while queue:
            url = queue.pop()
            async with session.get(url) as resp:
                body = await resp.read()
            if resp.status == 200 and bare_scan(body, url):
                done += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    started_cpu, started = cpu_now(), time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return {"pages": done, "cpu_s": cpu_now() - started_cpu, "wall_s": time.monotonic() - started}


async def run_govsweep(base: str, n: int, concurrency: int) -> dict[str, Any]:
    from crawler.encoding import decode_html
    from crawler.extract import extract_page
    from crawler.fetch import Fetcher
    from crawler.netguard import NetPolicy
    from crawler.politeness import Politeness
    from services.config import LOOPBACK

    queue = urls(base, n)
    done = 0

    async def worker(fetcher: Fetcher) -> None:
        nonlocal done
        while queue:
            url = queue.pop()
            page = await fetcher.get(url)
            if page.body is None:
                continue
            text, charset = decode_html(page.body, page.content_type)
            facts = extract_page(text, url, AT, charset=charset, kind_hint="list")
            if facts.items:
                done += 1

    # Limits far above what loopback serves: the engine is measured, not the waiting.
    gate = Politeness(concurrency=concurrency, rate=1_000_000.0)
    started_cpu, started = cpu_now(), time.monotonic()
    async with Fetcher(gate, policy=NetPolicy([LOOPBACK])) as fetcher:
        await asyncio.gather(*(worker(fetcher) for _ in range(concurrency)))
    return {"pages": done, "cpu_s": cpu_now() - started_cpu, "wall_s": time.monotonic() - started}


def run_scrapy(base: str, n: int, concurrency: int) -> dict[str, Any]:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    done = [0]

    class ListSpider(scrapy.Spider):  # type: ignore[misc]
        name = "list"

        async def start(self) -> Any:
            for url in urls(base, n):
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response: Any) -> Any:
            items = 0
            for link in response.css("a[href]"):
                href = link.attrib.get("href", "")
                title = link.xpath("normalize-space(string())").get()
                if href and title:
                    response.urljoin(href)
                    items += 1
            if items + len(response.css("body").re(DATE)):
                done[0] += 1
            return None

    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_DELAY": 0,
            "ROBOTSTXT_OBEY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "ERROR",
        }
    )
    process.crawl(ListSpider)
    started_cpu, started = cpu_now(), time.monotonic()
    process.start()
    return {
        "pages": done[0],
        "cpu_s": cpu_now() - started_cpu,
        "wall_s": time.monotonic() - started,
    }


def extract_ms(path: Path, url: str, budget_s: float = 3.0, max_reps: int = 500) -> dict[str, Any]:
    """Milliseconds of CPU per extract_page(kind_hint="list") call on the page, median."""
    from crawler.encoding import decode_html
    from crawler.extract import extract_page

    text, charset = decode_html(path.read_bytes(), CONTENT_TYPE)
    extract_page(text, url, AT, charset=charset, kind_hint="list")  # warm caches and imports
    times: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(times) < max_reps and (len(times) < 5 or time.monotonic() < deadline):
        started = time.process_time()
        extract_page(text, url, AT, charset=charset, kind_hint="list")
        times.append((time.process_time() - started) * 1000)
    return {"ms": median(times), "reps": len(times)}


# -- the orchestration ----------------------------------------------------------------------------
def child(procs: Procs, args: list[str], timeout: float) -> dict[str, Any]:
    """Run a child of this script to its end (in its own group) and decode its JSON line."""
    proc = procs.start([PYTHON, str(BENCH / "perf_compare.py"), *args], stdout=-1, stderr=-1)
    try:
        out, err = proc.communicate(timeout=timeout)
    except Exception:
        procs.stop([proc])
        raise
    procs.procs.remove(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"perf_compare {args[0]} {args[1]} failed:\n{err[-2000:]}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure(
    fetches: int = 3000, concurrency: int = 64, rounds: int = 3, folder: Path = REALPAGES
) -> dict[str, Any]:
    """The section's figures: per contender pages per CPU-second (median of `rounds`) and the runs."""
    page, url = biggest_list_page(folder)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    with Procs() as procs:
        server = procs.start(
            [PYTHON, str(BENCH / "perf_compare.py"), "serve", str(page)], stdin=-1, stdout=-1
        )
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        for _ in range(rounds):
            for name in CONTENDERS:  # interleaved, so a burst of load elsewhere hits all alike
                args = ["contender", name, base, str(fetches), str(concurrency)]
                runs[name].append(child(procs, args, timeout=600))
        extract = child(procs, ["extract", str(page), url], timeout=120)
        assert server.stdin is not None
        server.stdin.close()
    figures: dict[str, Any] = {
        "page": page.name,
        "page_bytes": page.stat().st_size,
        "fetches": fetches,
        "concurrency": concurrency,
        "rounds": rounds,
        "extract_ms": extract["ms"],
        "extract_reps": extract["reps"],
        "runs": runs,
    }
    for name, results in runs.items():
        rates = [r["pages"] / r["cpu_s"] for r in results if r["cpu_s"] > 0]
        figures[f"{name}_pages_per_cpu_s"] = median(rates)
        figures[f"{name}_pages_ok"] = min(r["pages"] for r in results)
    return figures


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "contender", "extract"):
        command, rest = sys.argv[1], sys.argv[2:]
        if command == "serve":
            asyncio.run(serve(Path(rest[0])))
            return
        if command == "extract":
            print(json.dumps(extract_ms(Path(rest[0]), rest[1])))
            return
        name, base, n, c = rest[0], rest[1], int(rest[2]), int(rest[3])
        if name == "scrapy":
            result = run_scrapy(base, n, c)
        else:
            result = asyncio.run((run_bare if name == "bare" else run_govsweep)(base, n, c))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fetches", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.fetches, args.concurrency, args.rounds), indent=1))


if __name__ == "__main__":
    main()
