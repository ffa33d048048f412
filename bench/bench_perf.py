"""Performance in one table (`make bench`): fetch + extract against Scrapy and a bare loop, a sweep
of the simulated province with every role as its own process, and 1 vs 2 vs 4 crawler processes.

    .venv/bin/python bench/bench_perf.py [--json FILE] [--fetches 3000] [--rounds 3]
                                         [--sites 100] [--crawlers 1,2,4] [--skip compare|sweep]

Everything runs on loopback, in child processes that are each their own process group and are all
stopped on exit, Ctrl-C or failure. Sections: bench/perf_compare.py and bench/perf_sweep.py (each
also runs alone). Figures are noisy on a shared machine; the table says what limited each sweep.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import perf_compare, perf_sweep
from bench.perf_common import format_table, ratio, sigterm_as_interrupt

Row = tuple[str, str, str]


def compare_rows(c: dict[str, Any]) -> list[Row]:
    bare, scrapy, gov = (c[f"{n}_pages_per_cpu_s"] for n in ("bare", "scrapy", "govsweep"))
    where = (
        f"{c['page']} ({c['page_bytes'] // 1000} KB), {c['fetches']} fetches at {c['concurrency']}"
    )
    return [
        (f"1. Fetch + extract, pages per CPU-second (median of {c['rounds']})", "", ""),
        ("bare aiohttp + lexbor + link/date scan", f"{bare:.0f}", where),
        ("Scrapy (links, titles, date regex)", f"{scrapy:.0f}", ""),
        ('govsweep Fetcher -> extract_page("list")', f"{gov:.0f}", ""),
        ("govsweep / Scrapy", ratio(gov, scrapy), "goal >= 3x"),
        ("govsweep / bare", ratio(gov, bare), "goal >= 0.5x"),
        ("extract_page alone, ms per page (median)", f"{c['extract_ms']:.2f}", "goal <= 1 ms"),
    ]


def sweep_rows(s: dict[str, Any]) -> list[Row]:
    runs: list[dict[str, Any]] = s["runs"]
    first = runs[0]
    sites = first["sites"]
    bound = first["politeness_bound_s"]
    busiest = f"{first['busiest_host_requests']} requests to {first['busiest_host']}"
    rows: list[Row] = [
        (f"2. Sweep of the simulated province, {sites} sites, {first['crawlers']} crawler", "", ""),
        ("verdicts", f"{first['verdicts']}/{sites}", ""),
        ("wall time, s", f"{first['wall_s']:.1f}", f"{ratio(first['wall_s'], bound)} the bound"),
        ("politeness bound, s", f"{bound:.1f}", f"{busiest} / {first['per_host_rate']:g} per s"),
        (
            "requests (at the farm)",
            f"{first['requests']}",
            f"{first['requests'] / sites:.0f} per site",
        ),
        (
            "requests per CPU-second, whole system",
            f"{first['requests_per_cpu_s']:.0f}",
            "govsweep + nats-server CPU; goal >= 2x before",
        ),
        (
            "CPU-seconds by process",
            f"{first['system_cpu_s']:.1f}",
            ", ".join(f"{k} {v:.1f}" for k, v in first["cpu_s"].items()),
        ),
        ("NATS messages per site", f"{first['nats_in_msgs'] / sites:.0f}", "/varz in_msgs"),
        (
            "NATS kilobytes per site",
            f"{first['nats_in_bytes'] / sites / 1000:.1f}",
            "/varz in_bytes",
        ),
    ]
    for role, kb in first["peak_rss_kb"].items():
        note = "with Chromium" if role == "browser" else ""
        rows.append((f"peak RSS {role}, MB", f"{kb / 1024:.0f}", note))
    rows.append(("limited by", "", first["limit"]))
    if len(runs) > 1:
        rows.append(("3. Crawler processes (same sweep, same farm)", "", ""))
        for run in runs:
            versus = ratio(run["requests_per_s"], first["requests_per_s"])
            rows += [
                (
                    f"{run['crawlers']} crawler(s): requests per s",
                    f"{run['requests_per_s']:.0f}",
                    f"{versus} vs 1; {run['sites_per_s']:.2f} sites/s, wall {run['wall_s']:.0f} s",
                ),
                ("  limited by", "", run["limit"]),
            ]
    return rows


def main() -> None:
    try:
        run()
    except KeyboardInterrupt:
        # The sections' `with Procs()` blocks have stopped every child process on the way out.
        sys.exit("interrupted: every process the bench started has been stopped")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--fetches", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--crawlers", default="1,2,4", help="crawler processes per sweep run")
    parser.add_argument("--skip", choices=["compare", "sweep"], action="append", default=[])
    args = parser.parse_args()
    sigterm_as_interrupt()
    started = time.monotonic()
    figures: dict[str, Any] = {}
    rows: list[Row] = []
    if "compare" not in args.skip:
        print("fetch + extract: bare, Scrapy, govsweep ...", flush=True)
        figures["compare"] = perf_compare.measure(args.fetches, args.concurrency, args.rounds)
        rows += compare_rows(figures["compare"])
    if "sweep" not in args.skip:
        crawlers = tuple(int(n) for n in args.crawlers.split(","))
        print(f"sweeps of {args.sites} sites with {args.crawlers} crawler(s) ...", flush=True)
        figures["sweep"] = perf_sweep.measure(args.sites, crawlers)
        rows += sweep_rows(figures["sweep"])
    figures["bench_wall_s"] = time.monotonic() - started
    title = f"govsweep performance ({figures['bench_wall_s']:.0f} s)"
    print("\n" + format_table(rows, title), end="")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
