"""A sweep of the simulated province with every role as its own process, measured from outside.

The farm runs in its own process and counts the requests each site address receives; nats-server
runs with its monitoring port; `govsweep run crawler|browser|checker|aggregator` run as separate
processes and `govsweep sweep` (pointed at that nats-server) publishes the jobs and waits for every
verdict. Measured: wall time against the politeness bound (the busiest host's requests ÷ the
per-host rate), requests per CPU-second of every govsweep process and nats-server (the farm
excluded), NATS messages and bytes per site (/varz), peak RSS per role. The same sweep with 1, 2
and 4 crawler processes gives the scaling.

    .venv/bin/python bench/perf_sweep.py [--sites 100] [--crawlers 1,2,4]

`perf_sweep.py farm ...` is the farm process's entry point.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.perf_common import (
    BENCH,
    PYTHON,
    Procs,
    cpu_seconds,
    politeness_bound,
    rss_kb,
    tree_rss_kb,
)
from services.config import LOOPBACK_FARM_ENV

AT = dt.date(2024, 3, 20)
SEED = 1
SAMPLE_S = 0.5
READY_TIMEOUT_S = 60.0
# Settings of the roles (environment, as a deployment sets them): the loopback farm allowed, and
# the per-host limits `govsweep demo` uses for it (services.config.LOOPBACK_FARM_ENV).
PER_HOST_RATE = 50.0


# -- the farm process -----------------------------------------------------------------------------
async def farm_main(sites: int, seed: int, out: Path) -> None:
    """Serve the province; on stdin `counts` prints {address: requests} and starts a new count."""
    from aiohttp import web

    from farm.province import generate_province
    from farm.server import FarmServer

    class CountingFarm(FarmServer):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.requests: Counter[str] = Counter()

        async def _handle(self, request: web.Request) -> web.StreamResponse:
            sockname = request.transport.get_extra_info("sockname") if request.transport else None
            if sockname:
                self.requests[sockname[0]] += 1
            return await super()._handle(request)

    province = generate_province(sites, seed, AT)
    farm = CountingFarm(province)
    async with farm:
        province.write_registry_csv(out / "registry.csv")
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "counts":
                print(json.dumps(dict(farm.requests)), flush=True)
                farm.requests.clear()


# -- helpers --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nats_binary() -> str:
    beside = Path(PYTHON).parent / "nats-server"
    return str(beside) if beside.exists() else (shutil.which("nats-server") or "nats-server")


def varz(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=5) as resp:
        return dict(json.load(resp))


def machine_busy_s() -> float:
    """CPU-seconds the whole machine has been busy (every process, ours and the others')."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class PeakSampler(threading.Thread):
    """Samples the resident memory of each watched process tree every SAMPLE_S; keeps the peaks."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak_kb: Counter[str] = Counter()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_S):
            for name, pid in self.pids.items():
                self.peak_kb[name] = max(self.peak_kb[name], tree_rss_kb(pid))

    def stop(self) -> dict[str, int]:
        self.done.set()
        self.join(5)
        for name, pid in self.pids.items():  # the kernel's own high-water mark, where it is higher
            self.peak_kb[name] = max(self.peak_kb[name], rss_kb(pid, "VmHWM"))
        return dict(self.peak_kb)


def wait_until_idle(pids: list[int], timeout: float = READY_TIMEOUT_S) -> None:
    """Until the roles have started (imports done, consumers made): CPU flat for a second."""
    deadline = time.monotonic() + timeout
    time.sleep(2)
    before = sum(map(cpu_seconds, pids))
    while time.monotonic() < deadline:
        time.sleep(1)
        now = sum(map(cpu_seconds, pids))
        if now - before < 0.05 * len(pids):
            return
        before = now


# -- one sweep ------------------------------------------------------------------------------------
def one_sweep(
    procs: Procs, farm_counts: Any, registry: Path, sites: int, crawlers: int, work: Path
) -> dict[str, Any]:
    """Start nats-server and the roles, sweep, stop them; the figures of that sweep."""
    state = work / f"run-{crawlers}"
    state.mkdir()
    port, monitor = free_port(), free_port()
    nats = procs.start(
        [
            nats_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(state / "nats"),
            "-m",
            str(monitor),
        ],
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            varz(monitor)
            break
        except OSError:
            if time.monotonic() > deadline or nats.poll() is not None:
                raise RuntimeError("nats-server did not start") from None
            time.sleep(0.1)
    env = {
        **os.environ,
        **LOOPBACK_FARM_ENV,
        "GOVSWEEP_CRAWL_PER_HOST_RATE": str(PER_HOST_RATE),
        "GOVSWEEP_NATS_URL": f"nats://127.0.0.1:{port}",
        "GOVSWEEP_METRICS_PORT": "-1",
        "GOVSWEEP_STATE_DIR": str(state / "govsweep"),
    }
    govsweep = [PYTHON, "-m", "services"]
    roles: dict[str, Any] = {}
    for role in [*(f"crawler{i + 1}" for i in range(crawlers)), "browser", "checker", "aggregator"]:
        log = (state / f"{role}.log").open("w")
        roles[role] = procs.start([*govsweep, "run", role.rstrip("0123456789")], env, log, log)
        log.close()
    pids = {name: p.pid for name, p in roles.items()} | {"nats-server": nats.pid}
    wait_until_idle(list(pids.values()))
    for name, proc in roles.items():
        if proc.poll() is not None:
            raise RuntimeError(f"role {name} exited; see {state / (name + '.log')}")
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    varz_before, busy_before = varz(monitor), machine_busy_s()
    farm_counts("counts")  # requests so far (none) are dropped: a fresh count for this sweep
    sampler = PeakSampler(pids)
    sampler.start()

    log = (state / "sweep.log").open("w")
    started = time.monotonic()
    sweep = procs.start(
        [
            *govsweep,
            "sweep",
            "--registry",
            str(registry),
            "--at",
            AT.isoformat(),
            "--out",
            str(state / "report"),
            "--timeout",
            str(120 + 3 * sites),
        ],
        env,
        log,
        log,
    )
    log.close()
    _, status, usage = os.wait4(sweep.pid, 0)
    sweep.returncode = os.waitstatus_to_exitcode(status)
    procs.procs.remove(sweep)  # reaped here: its pid must not be signalled later
    wall = time.monotonic() - started

    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    cpu["sweep"] = usage.ru_utime + usage.ru_stime
    after, busy = varz(monitor), machine_busy_s() - busy_before
    peaks = sampler.stop()
    peaks["sweep"] = usage.ru_maxrss  # KB on Linux
    requests: dict[str, int] = farm_counts("counts")
    procs.stop([*roles.values(), nats])
    if sweep.returncode != 0:
        tail = (state / "sweep.log").read_text(errors="replace").splitlines()[-5:]
        raise RuntimeError(f"sweep exited {sweep.returncode}:\n" + "\n".join(tail))
    verdicts = state / "report" / "verdicts.jsonl"
    judged = sum(1 for _ in verdicts.open("rb")) if verdicts.exists() else 0
    total = sum(requests.values())
    bound, host = politeness_bound(requests, PER_HOST_RATE)
    system_cpu = sum(cpu.values())
    return {
        "crawlers": crawlers,
        "sites": sites,
        "verdicts": judged,
        "wall_s": wall,
        "requests": total,
        "busiest_host": host,
        "busiest_host_requests": requests.get(host, 0),
        "per_host_rate": PER_HOST_RATE,
        "politeness_bound_s": bound,
        "cpu_s": cpu,
        "system_cpu_s": system_cpu,
        "requests_per_cpu_s": total / system_cpu if system_cpu else 0.0,
        "requests_per_s": total / wall,
        "sites_per_s": judged / wall,
        "nats_in_msgs": after["in_msgs"] - varz_before["in_msgs"],
        "nats_in_bytes": after["in_bytes"] - varz_before["in_bytes"],
        "nats_out_msgs": after["out_msgs"] - varz_before["out_msgs"],
        "peak_rss_kb": peaks,
        "machine_busy_s": busy,
        "cores": os.cpu_count() or 1,
    }


def limit_of(run: dict[str, Any], farm_cpu_s: float) -> str:
    """What bounded this sweep's speed, read from where the CPU went and the politeness bound."""
    cores, wall = run["cores"], run["wall_s"]
    used = run["machine_busy_s"] / (cores * wall)
    ours = run["system_cpu_s"] / (cores * wall)
    farm = farm_cpu_s / (cores * wall)
    shares = f"machine {used:.0%} busy: govsweep+nats {ours:.0%}, farm {farm:.0%}, others {max(used - ours - farm, 0):.0%}"
    if used >= 0.85:
        return f"CPU ({shares})"
    if run["politeness_bound_s"] >= 0.7 * wall:
        return f"politeness ({shares})"
    return f"waiting: timeouts, link re-checks, slowest site ({shares})"


def measure(sites: int = 100, crawlers: tuple[int, ...] = (1, 2, 4)) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="govsweep-perf-") as tmp, Procs() as procs:
        work = Path(tmp)
        farm = procs.start(
            [PYTHON, str(BENCH / "perf_sweep.py"), "farm", str(sites), str(SEED), str(work)],
            stdin=-1,
            stdout=-1,
        )
        assert farm.stdin is not None and farm.stdout is not None
        if farm.stdout.readline().strip() != "ready":
            raise RuntimeError("the farm did not start")

        def farm_counts(command: str) -> Any:
            assert farm.stdin is not None and farm.stdout is not None
            farm.stdin.write(command + "\n")
            farm.stdin.flush()
            return json.loads(farm.stdout.readline())

        for n in crawlers:
            farm_cpu = cpu_seconds(farm.pid)
            run = one_sweep(procs, farm_counts, work / "registry.csv", sites, n, work)
            run["farm_cpu_s"] = cpu_seconds(farm.pid) - farm_cpu
            run["limit"] = limit_of(run, run["farm_cpu_s"])
            runs.append(run)
    return {"sites": sites, "runs": runs}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "farm":
        asyncio.run(farm_main(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--crawlers", default="1,2,4")
    args = parser.parse_args()
    counts = tuple(int(c) for c in args.crawlers.split(","))
    print(json.dumps(measure(args.sites, counts), indent=1))


if __name__ == "__main__":
    main()
