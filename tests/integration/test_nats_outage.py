"""NATS outages mid-sweep: every role is its own OS process on a real nats-server that is killed
(SIGKILL, back after 5 s) or stopped (SIGTERM, down 60 s) and started again on the same store.
The roles reconnect on their own, declare what they need again, and the report equals an
undisturbed run's."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import RESULTS_STREAM, Bus, EmbeddedServer, _free_port
from services.cli.commands import run_sweep, write_reports
from services.config import LOOPBACK_FARM_ENV, Config, for_loopback_farm
from services.registry import load_registry
from services.roles.scheduler import quarter_of
from tests.conftest import AT

pytestmark = pytest.mark.integration

SITES = 10
SEED = 11
ROLES = ("crawler", "checker", "aggregator")


def _table(folder: Path) -> list[list[str]]:
    with (folder / "附件1_检查情况.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def _verdicts(folder: Path) -> list[tuple[str, str, list[str]]]:
    rows = [json.loads(line) for line in (folder / "verdicts.jsonl").open(encoding="utf-8")]
    return [
        (r["site_id"], r["verdict"], sorted(f["indicator"] for f in r["findings"])) for r in rows
    ]


_UNDISTURBED: list[tuple[list, list]] = []


async def undisturbed(registry: Path, tmp_path: Path) -> tuple[list, list]:
    """Verdicts and 附件1 of an embedded run without outage; computed once for every test here
    and in test_nats_cluster (same province; the farm's port is in no verdict or table cell)."""
    if not _UNDISTURBED:
        config = for_loopback_farm(Config(state_dir=str(tmp_path / "embedded"), metrics_port=-1))
        _, reference = await run_sweep(config, load_registry(registry), AT, quarter_of(AT), 240)
        write_reports(tmp_path / "ref", AT, quarter_of(AT), reference)
        _UNDISTURBED.append((_verdicts(tmp_path / "ref"), _table(tmp_path / "ref")))
    return _UNDISTURBED[0]


async def _spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services",
        *args,
        env=env,
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
    )


async def _results(bus: Bus, kind: str) -> int:
    info = await bus.js.stream_info(RESULTS_STREAM, subjects_filter=f"govsweep.results.{kind}.>")
    return len(info.state.subjects or {})


def _healthz(port: int) -> int:
    try:
        with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            return resp.status
    except OSError as exc:  # HTTPError 503 is an OSError with a code
        return getattr(exc, "code", 0)


async def _sweep_through_outage(tmp_path: Path, sig: int, down_s: float) -> None:
    province = generate_province(SITES, SEED, AT)
    async with FarmServer(province):
        registry = tmp_path / "registry.csv"
        province.write_registry_csv(registry)
        reference = await undisturbed(registry, tmp_path)

        server = EmbeddedServer(tmp_path / "nats")
        await server.start()
        env = {**os.environ, **LOOPBACK_FARM_ENV, "GOVSWEEP_NATS_URL": server.url}
        procs = []
        checker_port = 0
        try:
            for role in ROLES:
                role_env = {
                    **env,
                    "GOVSWEEP_STATE_DIR": str(tmp_path / role),
                    "GOVSWEEP_METRICS_PORT": "0",
                }
                if role == "checker":
                    checker_port = _free_port()
                    role_env["GOVSWEEP_METRICS_PORT"] = str(checker_port)
                procs.append(await _spawn(["run", role], role_env, tmp_path / f"{role}.log"))
            sweep = await _spawn(
                [
                    "sweep",
                    "--registry",
                    str(registry),
                    "--at",
                    AT.isoformat(),
                    "--out",
                    str(tmp_path / "dist"),
                    "--timeout",
                    "400",
                ],
                {**env, "GOVSWEEP_STATE_DIR": str(tmp_path / "cli"), "GOVSWEEP_METRICS_PORT": "-1"},
                tmp_path / "sweep.log",
            )
            # Mid-sweep: as soon as the first home page is in, and before every site is judged.
            watcher = await Bus.connect(server.url)
            try:
                for _ in range(600):
                    if await _results(watcher, "home"):
                        break
                    await asyncio.sleep(0.1)
                judged_before = await _results(watcher, "verdict")
            finally:
                await watcher.close()
            assert judged_before < SITES, "the sweep ended before the outage"
            assert _healthz(checker_port) == 200

            if sig == signal.SIGKILL:
                server.kill()
            else:
                await server.stop()
            await asyncio.sleep(min(down_s, 3))
            assert _healthz(checker_port) == 503  # readiness follows the bus
            await asyncio.sleep(max(down_s - 3, 0))
            await server.start()

            assert await asyncio.wait_for(sweep.wait(), 600) == 0, (
                tmp_path / "sweep.log"
            ).read_text()
            assert _healthz(checker_port) == 200
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 60)
            await server.stop()

    assert all(proc.returncode == 0 for proc in procs)
    assert (_verdicts(tmp_path / "dist"), _table(tmp_path / "dist")) == reference
    logs = "".join((tmp_path / f"{role}.log").read_text() for role in ROLES)
    assert "nats reconnected" in logs and "dead-lettered" not in logs


@pytest.mark.timeout(900)
async def test_sigkill_and_restart_after_5_s(tmp_path: Path) -> None:
    await _sweep_through_outage(tmp_path, signal.SIGKILL, 5)


@pytest.mark.timeout(900)
async def test_sigterm_and_60_s_down(tmp_path: Path) -> None:
    await _sweep_through_outage(tmp_path, signal.SIGTERM, 60)
