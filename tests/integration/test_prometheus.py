"""The monitoring stack in deploy/ works against a real sweep.

Debian's prometheus scrapes crawler, checker, aggregator and monitor, each its own OS process on
one nats-server, while the scheduler (one more process) runs a sweep of the simulated province; then
every Grafana panel and alert expression is evaluated through Prometheus's HTTP API. promtool
checks the shipped config and rules, and docker-compose checks the compose file.
(`make tools` installs prometheus and docker-compose; `make test` depends on it.)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import EmbeddedServer
from services.config import LOOPBACK_FARM_ENV
from tests.conftest import AT

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "govsweep.json"
ALERTS = DEPLOY / "prometheus-alerts.yml"
ROLES = ("crawler", "checker", "aggregator", "monitor")
SITES = 12
SEED = 7
# Panels that must show data once a sweep has run (the rest may rightly be empty, e.g. failures).
MUST_HAVE_DATA = {
    "Sweep progress",
    "Sites with a verdict / sites in the sweep",
    "Consumer backlog (pending)",
    "Delivered, not yet acknowledged",
    "Redelivered, not yet acknowledged",
    "Jobs per second by role and outcome",
    "Verdicts stored (since the aggregator started)",
    "Pass rate per region",
    "Processes up / connected to NATS, per role",
    "Pages fetched per second by outcome",
    "Fetch latency p95, politeness wait excluded",
    "Link checks per second by class",
    "Availability probes per second by outcome",
    "Findings by indicator (last hour)",
}
# Alerts that must not hold while every role runs connected (they are evaluated, and found quiet).
QUIET_ALERTS = {"GovsweepRoleDown", "GovsweepRoleMissing", "GovsweepNatsDisconnected"}


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make tools` (Debian package)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_exprs() -> list[tuple[str, str]]:
    """(panel title, expression) of every query of the provisioned dashboard."""
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p["targets"]]


def alerts_in_file() -> int:
    return sum(
        line.strip().startswith("- alert:")
        for line in ALERTS.read_text(encoding="utf-8").splitlines()
    )


def test_promtool_accepts_the_shipped_config_and_rules() -> None:
    promtool = tool("promtool")
    for args in (
        ["check", "config", str(DEPLOY / "prometheus.yml")],
        ["check", "rules", str(ALERTS)],
    ):
        run = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stdout + run.stderr


def test_compose_file_is_accepted_and_runs_every_role() -> None:
    compose = tool("docker-compose")
    base = [compose, "-f", str(DEPLOY / "compose.yaml"), "--profile", "sweep"]
    run = subprocess.run([*base, "config", "-q"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [*base, "config", "--services"], capture_output=True, text=True, timeout=60
    )
    services = set(run.stdout.split())
    roles = {"crawler", "browser", "checker", "aggregator", "scheduler", "monitor"}
    assert roles | {"nats", "prometheus", "grafana"} <= services, run.stdout + run.stderr


async def _spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        env=env,
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
    )


class PromAPI:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def query(self, expr: str) -> dict:
        async with self.session.get(f"{self.base}/api/v1/query", params={"query": expr}) as resp:
            return await resp.json()

    async def until(
        self, what: str, check: Callable[[], Awaitable[bool]], timeout_s: float
    ) -> None:
        """Poll `check()` once a second until it is true; fail naming `what` after `timeout_s`."""
        for _ in range(int(timeout_s)):
            try:
                if await check():
                    return
            except aiohttp.ClientError:
                pass  # not listening yet
            await asyncio.sleep(1)
        pytest.fail(f"{what}: not within {timeout_s:g} s")


async def test_prometheus_scrapes_a_distributed_sweep(tmp_path: Path) -> None:
    prometheus = tool("prometheus")
    province = generate_province(SITES, SEED, AT)
    server = EmbeddedServer(tmp_path / "nats")
    procs: list[asyncio.subprocess.Process] = []
    async with FarmServer(province):
        registry = tmp_path / "registry.csv"
        province.write_registry_csv(registry)
        await server.start()
        env = {
            **os.environ,
            **LOOPBACK_FARM_ENV,
            "GOVSWEEP_NATS_URL": server.url,
            "GOVSWEEP_BROWSER_ENABLED": "false",  # keep the shared CPUs for the rest
            "GOVSWEEP_AVAILABILITY_PROBES_PER_DAY": "8640",  # a probe per site every 10 s
        }
        ports = {role: free_port() for role in ROLES}
        prom_port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(ALERTS)],
            "scrape_configs": [
                {
                    "job_name": "govsweep",  # the job name the alert rules use
                    "static_configs": [  # labelled as deploy/prometheus.yml labels them
                        {"targets": [f"127.0.0.1:{port}"], "labels": {"role": role}}
                        for role, port in ports.items()
                    ],
                }
            ],
        }
        # JSON is YAML: no YAML writer needed.
        (tmp_path / "prometheus.yml").write_text(json.dumps(config), encoding="utf-8")
        try:
            for role, port in ports.items():
                role_env = {
                    **env,
                    "GOVSWEEP_STATE_DIR": str(tmp_path / role),
                    "GOVSWEEP_METRICS_PORT": str(port),
                }
                args = ["services", "run", role]
                if role == "monitor":
                    args += ["--registry", str(registry)]
                procs.append(await _spawn(args, role_env, tmp_path / f"{role}.log"))
            procs.append(
                await asyncio.create_subprocess_exec(
                    prometheus,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    stdout=(tmp_path / "prometheus.log").open("wb"),
                    stderr=asyncio.subprocess.STDOUT,
                )
            )
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                api = PromAPI(session, f"http://127.0.0.1:{prom_port}")

                async def every_role_up() -> bool:
                    result = (await api.query('sum(up{job="govsweep"})'))["data"]["result"]
                    return bool(result) and float(result[0]["value"][1]) == len(ROLES)

                await api.until("every role scraped", every_role_up, 90)

                scheduler_env = {**env, "GOVSWEEP_STATE_DIR": str(tmp_path / "scheduler")}
                scheduler_env["GOVSWEEP_METRICS_PORT"] = "-1"
                args = ["services", "run", "scheduler", "--registry", str(registry)]
                scheduler = await _spawn(
                    [*args, "--at", AT.isoformat()], scheduler_env, tmp_path / "scheduler.log"
                )
                assert await asyncio.wait_for(scheduler.wait(), 120) == 0, (
                    tmp_path / "scheduler.log"
                ).read_text()

                async def sweep_complete() -> bool:
                    expr = "max(govsweep_sweep_sites_done) == max(govsweep_sweep_sites)"
                    result = (await api.query(expr))["data"]["result"]
                    return bool(result) and float(result[0]["value"][1]) == SITES

                await api.until("the sweep's last verdict in Prometheus", sweep_complete, 400)

                # The alert rules as Prometheus loaded them from the shipped file.
                async with session.get(f"{api.base}/api/v1/rules") as resp:
                    groups = (await resp.json())["data"]["groups"]
                alerts = [(r["name"], r["query"]) for g in groups for r in g["rules"]]
                assert len(alerts) == alerts_in_file()

                # Every dashboard and alert expression evaluates; the key panels have data.
                assert MUST_HAVE_DATA <= {title for title, _ in dashboard_exprs()}
                assert QUIET_ALERTS <= {name for name, _ in alerts}
                for name, expr in [*dashboard_exprs(), *alerts]:
                    answer = await api.query(expr)
                    assert answer["status"] == "success", (name, expr, answer)
                    if name in MUST_HAVE_DATA:
                        assert answer["data"]["result"], (name, expr)
                    if name in QUIET_ALERTS:
                        assert answer["data"]["result"] == [], (name, expr)
                progress = (await api.query(dashboard_exprs()[0][1]))["data"]["result"]
                assert [float(r["value"][1]) for r in progress] == [1.0]
                verdicts = (await api.query("sum(govsweep_verdicts_total)"))["data"]["result"]
                assert float(verdicts[0]["value"][1]) == SITES

                # Prometheus's own evaluation of every rule is healthy, none in error.
                async def rules_evaluated() -> bool:
                    async with session.get(f"{api.base}/api/v1/rules") as resp:
                        groups = (await resp.json())["data"]["groups"]
                    rules = [r for g in groups for r in g["rules"]]
                    assert all(r["health"] != "err" for r in rules), rules
                    return all(r["health"] == "ok" for r in rules)

                await api.until("alert rules evaluated", rules_evaluated, 30)
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 30)
            await server.stop()
    # Roles stop cleanly on SIGTERM.
    assert all(proc.returncode == 0 for proc in procs[: len(ROLES)])
