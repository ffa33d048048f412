"""Browser role throughput and memory: render M script-built column pages from a loopback server.

    .venv/bin/python bench/bench_browser.py                 # 200 pages
    .venv/bin/python bench/bench_browser.py --pages 2000    # the long run: memory must stay flat
    .venv/bin/python bench/bench_browser.py --farm 100      # the columns a 100-site sweep renders

Every 100 pages it prints pages/s and the RSS of this process and of its Chromium processes (read
from /proc; Chromium's summed RSS counts shared pages once per process, so its PSS is printed too),
so growth across context recycling shows. Bounded by --pages and --max-seconds.

Both modes print the CPU-seconds spent, split as the Python side (this thread: the pool, the
route guard, extraction) and Chromium with its Playwright driver, and per render.
`--farm N` renders, through `render_column`, every script-built column of the simulated province
of N sites (bench/perf_sweep.py's, seed 1) whose home page is up: the renders the browser role
does in that sweep (the farm answers from a thread of its own, not counted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from aiohttp import web

from bench.perf_common import cpu_seconds
from crawler.model import ColumnRef
from crawler.netguard import NetPolicy
from crawler.render import DEFAULT_EXECUTABLE, BrowserPool, chromium_available, render_column
from services.config import LOOPBACK

AT = date(2024, 3, 20)
FORMS = ("inline", "ajax", "iframe")
ITEMS_PER_LIST = 20
REPORT_EVERY = 100
FARM_SEED = 1  # bench/perf_sweep.py's province

BUILD = """<script>
function build(items) {
  var html = '';
  for (var i = 0; i < items.length; i++) {
    html += '<li><a href="' + items[i].url + '">' + items[i].title + '</a><span>' + items[i].date
      + '</span></li>';
  }
  document.getElementById('list').innerHTML = html;
}
</script>"""


def items(column: int) -> list[dict[str, str]]:
    newest = AT - timedelta(days=column % 30)
    return [
        {
            "title": f"关于第{column}栏目第{n}项工作的通知",
            "url": f"/art/{column}/{n}.html",
            "date": (newest - timedelta(days=3 * n)).isoformat(),
        }
        for n in range(ITEMS_PER_LIST)
    ]


def page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>'
        f'<body><div class="main">{body}</div></body></html>'
    )


async def serve(request: web.Request) -> web.Response:
    """/c/<n>/<form>/ is column n in one of the three needs-browser forms."""
    column, form = int(request.match_info["n"]), request.match_info["form"]
    if form == "data.json":
        return web.json_response(items(column))
    if form == "frame.html":
        rows = "".join(
            f'<li><a href="{i["url"]}">{i["title"]}</a><span>{i["date"]}</span></li>'
            for i in items(column)
        )
        return web.Response(
            text=f'<html><body><ul class="list">{rows}</ul></body></html>',
            content_type="text/html",
            charset="utf-8",
        )
    if form == "inline":
        data = json.dumps(items(column), ensure_ascii=False)
        html = page(f'<ul class="list" id="list"></ul>{BUILD}<script>build({data});</script>')
    elif form == "ajax":
        html = page(
            f'<ul class="list" id="list"></ul>{BUILD}<script>fetch("/c/{column}/data.json")'
            ".then(function (r) { return r.json(); }).then(build);</script>"
        )
    elif form == "iframe":
        html = page(f'<iframe src="/c/{column}/frame.html" width="100%" height="800"></iframe>')
    else:
        raise web.HTTPNotFound()
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def status_kb(pid: int | str, field: str = "VmRSS") -> int:
    """A memory figure of /proc/<pid>/status (or Pss of smaps_rollup), in kB; 0 once it is gone."""
    name = "smaps_rollup" if field == "Pss" else "status"
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass  # the process ended while we looked
    return 0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


class Memory(NamedTuple):
    own_rss: int  # MB, this process
    chromium_rss: int  # MB, summed over Chromium processes (shared pages counted in each)
    chromium_pss: int  # MB, shared pages split between the processes that share them
    processes: int

    def __str__(self) -> str:
        return (
            f"rss self {self.own_rss:>4} MB  chromium rss {self.chromium_rss:>5} MB"
            f" pss {self.chromium_pss:>4} MB ({self.processes} processes)"
        )


class Cpu(NamedTuple):
    """CPU-seconds so far: the calling thread (the pool's Python side) and Chromium + driver."""

    python: float
    chromium: float

    @staticmethod
    def now() -> Cpu:
        own = os.times()
        # The tree's total minus this process's own threads: the driver, Chromium and its
        # renderers, those that ended included.
        return Cpu(time.thread_time(), cpu_seconds(os.getpid()) - own.user - own.system)

    def since(self, before: Cpu, renders: int) -> str:
        python, chromium = self.python - before.python, self.chromium - before.chromium
        per = max(renders, 1)
        return (
            f"cpu python {python:.2f} s + chromium {chromium:.2f} s = {python + chromium:.2f} s"
            f" for {renders} renders ({1000 * (python + chromium) / per:.0f} ms/render:"
            f" python {1000 * python / per:.0f}, chromium {1000 * chromium / per:.0f})"
        )


def memory() -> Memory:
    chromium = []
    for pid in descendants(os.getpid()):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if b"chromium" in argv0:
            chromium.append(pid)
    return Memory(
        status_kb("self") // 1024,
        sum(status_kb(pid) for pid in chromium) // 1024,
        sum(status_kb(pid, "Pss") for pid in chromium) // 1024,
        len(chromium),
    )


async def bench(pages: int, contexts: int, recycle_after: int, max_seconds: float) -> int:
    app = web.Application()
    app.router.add_get("/c/{n}/{form}/", serve)
    app.router.add_get("/c/{n}/{form}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    counts = {"done": 0, "measured": 0, "correct": 0}
    errors: dict[str, int] = {}
    renders: dict[str, int] = {}
    started = time.monotonic()
    deadline = started + max_seconds
    window = [started, 0]  # time and count at the last report
    print(f"pages={pages} contexts={contexts} recycle_after={recycle_after} forms={FORMS}")
    try:
        async with BrowserPool(
            DEFAULT_EXECUTABLE,
            contexts=contexts,
            recycle_after=recycle_after,
            page_timeout_s=20,
            policy=NetPolicy([LOOPBACK]),
            on_render=lambda outcome, _: count(renders, outcome),
        ) as pool:
            cpu = Cpu.now()
            queue = iter(range(pages))

            async def worker() -> None:
                for n in queue:
                    if time.monotonic() > deadline:
                        return
                    form = FORMS[n % len(FORMS)]
                    column = ColumnRef(
                        name=f"栏目{n}", url=f"{base}/c/{n}/{form}/", category="通知公告"
                    )
                    facts = await render_column(pool, column, AT)
                    counts["done"] += 1
                    if facts.measured:
                        counts["measured"] += 1
                        counts["correct"] += facts.latest == items(n)[0]["date"]
                    else:
                        count(errors, facts.reason or "?")
                    if counts["done"] % REPORT_EVERY == 0:
                        report(counts, started, window, pool)

            await asyncio.gather(*(worker() for _ in range(contexts)))
            elapsed = time.monotonic() - started
            print(
                f"total {counts['done']} pages in {elapsed:.1f}s = {counts['done'] / elapsed:.2f}"
                f" pages/s; measured {counts['measured']}, newest date right {counts['correct']};"
                f" contexts created {pool.contexts_created}, browser launches"
                f" {pool.browser_launches}; {memory()}; failures {errors or 'none'}"
            )
            print(f"renders {renders}; {Cpu.now().since(cpu, sum(renders.values()))}")
    finally:
        await runner.cleanup()
    return 0 if counts["correct"] == counts["done"] == pages else 1


def count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def farm_columns(sites: int) -> tuple[list[tuple[ColumnRef, dict]], threading.Event]:
    """Start the province of `sites` sites in a thread; its script-built columns (with what the
    manifest says of each) and the event that stops the farm."""
    from farm.province import generate_province
    from farm.server import FarmServer

    ready: list[list[tuple[ColumnRef, dict]]] = []
    started, stop = threading.Event(), threading.Event()

    async def run() -> None:
        province = generate_province(sites, FARM_SEED, AT)
        async with FarmServer(province):
            columns = [
                (ColumnRef(name=c["name"], url=c["url"], category=c["category"]), c)
                for site in province.manifest()["sites"]
                if site["availability"]["home"] == "up"
                for c in site["columns"]
                if c["how"]
            ]
            ready.append(columns)
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.1)

    threading.Thread(target=lambda: asyncio.run(run()), daemon=True).start()
    if not started.wait(60):
        raise RuntimeError("the farm did not start")
    return ready[0], stop


async def bench_farm(sites: int, contexts: int) -> int:
    """Render the province's script-built columns as the browser role does; compare each with
    the manifest (newest date, or unmeasured where the manifest says so)."""
    columns, stop = farm_columns(sites)
    renders: dict[str, int] = {}
    wrong: list[str] = []
    print(f"farm: {sites} sites, {len(columns)} script-built columns, contexts={contexts}")
    try:
        async with BrowserPool(
            DEFAULT_EXECUTABLE,
            contexts=contexts,
            page_timeout_s=20,  # services.config.BrowserConfig's default
            policy=NetPolicy([LOOPBACK]),
            on_render=lambda outcome, _: count(renders, outcome),
        ) as pool:
            cpu, started = Cpu.now(), time.monotonic()
            results = await asyncio.gather(*(render_column(pool, c, AT) for c, _ in columns))
            elapsed = time.monotonic() - started
            for (column, want), facts in zip(columns, results, strict=True):
                got = facts.latest if facts.measured else f"未能检测 {facts.reason}"
                print(f"  {want['how']:<11} {want['fault'] or '':<14} {got}  {column.url}")
                if facts.measured != want["measured"] or (
                    facts.measured and facts.latest != want["newest"]
                ):
                    wrong.append(column.url)
            print(
                f"{len(columns)} columns in {elapsed:.1f}s; renders {renders}; browser launches"
                f" {pool.browser_launches}; {memory()}"
            )
            print(f"{Cpu.now().since(cpu, sum(renders.values()))}; wrong {wrong or 'none'}")
    finally:
        stop.set()
    return 1 if wrong else 0


def report(counts: dict[str, int], started: float, window: list, pool: BrowserPool) -> None:
    now = time.monotonic()
    rate = (counts["done"] - window[1]) / max(now - window[0], 1e-9)
    window[:] = [now, counts["done"]]
    print(
        f"{counts['done']:>6} pages  {counts['done'] / (now - started):5.2f} pages/s"
        f" (last {REPORT_EVERY}: {rate:5.2f})  {memory()}  contexts {pool.contexts_created}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--contexts", type=int, default=2)
    parser.add_argument("--recycle-after", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    parser.add_argument("--farm", type=int, metavar="SITES", help="the sweep's columns instead")
    args = parser.parse_args()
    if not chromium_available(DEFAULT_EXECUTABLE):
        print(f"Chromium not found at {DEFAULT_EXECUTABLE}; install Debian's chromium (make setup)")
        return 2
    if args.pages < 1 or args.contexts < 1 or args.recycle_after < 1 or args.max_seconds <= 0:
        parser.error("--pages, --contexts, --recycle-after and --max-seconds must be positive")
    if args.farm is not None:
        if args.farm < 1:
            parser.error("--farm must be positive")
        return asyncio.run(bench_farm(args.farm, args.contexts))
    return asyncio.run(bench(args.pages, args.contexts, args.recycle_after, args.max_seconds))


if __name__ == "__main__":
    sys.exit(main())
