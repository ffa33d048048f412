"""Memory of an embedded national-scale sweep: peak RSS of `govsweep sweep` over N sites.

    .venv/bin/python bench/bench_scale.py                 # 50,000 sites (target: < 300 MB)
    .venv/bin/python bench/bench_scale.py --sites 5000

Every site's URL is a private address (10.x.y.z), which the SSRF guard refuses before any
connection: no request leaves the machine, and what is measured is govsweep's own bookkeeping
(scheduler, bus, crawler, checker, aggregator, the verdicts and the reports) at that scale.
The sweep runs embedded (one process plus its nats-server) in a temporary state directory.
Printed: peak RSS of the govsweep process, of its nats-server, the largest sum of both seen
while sampling, wall time, and the size of verdicts.jsonl.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITIES = ["520100", "520200", "520300", "520400", "520500", "520600", "520900", "522200"]
CITY_NAMES = ["贵阳市", "六盘水市", "遵义市", "安顺市", "毕节市", "铜仁市", "黔西南州", "黔东南州"]
TARGET_MB = 300


def write_registry(path: Path, sites: int) -> None:
    """`sites` rows, ids from eight city codes, URLs on 10.0.0.0/8 (refused by the guard)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["网站标识码", "网站名称", "首页地址", "地区/部门", "网站类型"])
        for n in range(sites):
            serial, city = divmod(n, len(CITIES))
            site_id = f"{CITIES[city]}{serial + 1:04d}"
            address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            writer.writerow(
                [site_id, f"测试网站{n}", f"http://{address}/", CITY_NAMES[city], "部门"]
            )


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    if not 0 < args.sites <= 9999 * len(CITIES):
        sys.exit(f"--sites {args.sites}: give 1 to {9999 * len(CITIES)}")
    with tempfile.TemporaryDirectory(prefix="govsweep-scale-") as tmp:
        registry, out = Path(tmp) / "registry.csv", Path(tmp) / "out"
        write_registry(registry, args.sites)
        env = {
            **os.environ,
            "GOVSWEEP_STATE_DIR": str(Path(tmp) / "state"),
            "GOVSWEEP_METRICS_PORT": "-1",
            "GOVSWEEP_NATS_URL": "",
            "GOVSWEEP_CRAWL_ALLOW_NETWORKS": "",
            "GOVSWEEP_BROWSER_ENABLED": "false",
        }
        command = [sys.executable, "-m", "services", "sweep", "--registry", str(registry)]
        command += ["--out", str(out), "--timeout", str(args.timeout), "--at", "2024-03-15"]
        started = time.monotonic()
        log = (Path(tmp) / "sweep.log").open("w")
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        peak_self = peak_nats = peak_sum = 0
        while proc.poll() is None:
            own = rss_kb(proc.pid)
            nats = sum(rss_kb(c) for c in children(proc.pid))
            peak_self, peak_nats = max(peak_self, own), max(peak_nats, nats)
            peak_sum = max(peak_sum, own + nats)
            time.sleep(0.2)
        wall = time.monotonic() - started
        log.close()
        if proc.returncode != 0:
            tail = (Path(tmp) / "sweep.log").read_text(errors="replace").splitlines()[-5:]
            sys.exit(f"sweep failed (exit {proc.returncode}):\n" + "\n".join(tail))
        jsonl = out / "verdicts.jsonl"
        lines = sum(1 for _ in jsonl.open("rb")) if jsonl.exists() else 0
        size_mb = jsonl.stat().st_size / 1e6 if jsonl.exists() else 0.0
    print(f"sites                      {args.sites}")
    print(f"wall time                  {wall:.0f} s ({args.sites / wall:.0f} sites/s)")
    print(f"peak RSS govsweep process  {peak_self / 1024:.0f} MB (target < {TARGET_MB} MB)")
    print(f"peak RSS nats-server       {peak_nats / 1024:.0f} MB")
    print(f"peak RSS both, sampled     {peak_sum / 1024:.0f} MB")
    print(f"verdicts.jsonl             {lines} lines, {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
