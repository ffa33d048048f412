"""Browser role throughput and memory: render M script-built column pages from a loopback server.

    .venv/bin/python bench/bench_browser.py                 # 200 pages
    .venv/bin/python bench/bench_browser.py --pages 2000    # the long run: memory must stay flat

Every 100 pages it prints pages/s and the RSS of this process and of its Chromium processes (read
from /proc; Chromium's summed RSS counts shared pages once per process, so its PSS is printed too),
so growth across context recycling shows. Bounded by --pages and --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from aiohttp import web

from crawler.model import ColumnRef
from crawler.netguard import NetPolicy
from crawler.render import DEFAULT_EXECUTABLE, BrowserPool, chromium_available, render_column
from services.config import LOOPBACK

AT = date(2024, 3, 20)
FORMS = ("inline", "ajax", "iframe")
ITEMS_PER_LIST = 20
REPORT_EVERY = 100

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
        ) as pool:
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
                        errors[facts.reason or "?"] = errors.get(facts.reason or "?", 0) + 1
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
    finally:
        await runner.cleanup()
    return 0 if counts["correct"] == counts["done"] == pages else 1


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
    args = parser.parse_args()
    if not chromium_available(DEFAULT_EXECUTABLE):
        print(f"Chromium not found at {DEFAULT_EXECUTABLE}; install Debian's chromium (make setup)")
        return 2
    if args.pages < 1 or args.contexts < 1 or args.recycle_after < 1 or args.max_seconds <= 0:
        parser.error("--pages, --contexts, --recycle-after and --max-seconds must be positive")
    return asyncio.run(bench(args.pages, args.contexts, args.recycle_after, args.max_seconds))


if __name__ == "__main__":
    sys.exit(main())
