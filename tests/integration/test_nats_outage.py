"""NATS outages mid-sweep: every role is its own OS process on a real nats-server that is killed
(SIGKILL, back after 5 s) or stopped (SIGTERM, down 60 s) and started again on the same store.
The roles reconnect on their own, declare what they need again, and the report equals an
undisturbed run's."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from urllib.request import urlopen

import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import Bus, EmbeddedServer, _free_port
from services.config import LOOPBACK_FARM_ENV
from tests.conftest import AT
from tests.integration import sweep_helpers as helpers

pytestmark = pytest.mark.integration


def _healthz(port: int) -> int:
    try:
        with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            return resp.status
    except OSError as exc:  # HTTPError 503 is an OSError with a code
        return getattr(exc, "code", 0)


async def _sweep_through_outage(tmp_path: Path, sig: int, down_s: float) -> None:
    province = generate_province(helpers.SITES, helpers.SEED, AT)
    async with FarmServer(province):
        registry = tmp_path / "registry.csv"
        province.write_registry_csv(registry)
        reference = await helpers.undisturbed(registry, tmp_path)

        server = EmbeddedServer(tmp_path / "nats")
        await server.start()
        env = {**os.environ, **LOOPBACK_FARM_ENV, "GOVSWEEP_NATS_URL": server.url}
        procs = []
        checker_port = 0
        try:
            for role in helpers.ROLES:
                metrics_port = "0"
                if role == "checker":
                    checker_port = _free_port()
                    metrics_port = str(checker_port)
                role_env = {**env, "GOVSWEEP_METRICS_PORT": metrics_port}
                procs.append(await helpers.spawn_role(role, role_env, tmp_path))
            sweep = await helpers.spawn_sweep(
                registry, {**env, "GOVSWEEP_METRICS_PORT": "-1"}, tmp_path, timeout=400
            )
            # Mid-sweep: as soon as the first home page is in, and before every site is judged.
            watcher = await Bus.connect(server.url)
            try:
                await helpers.first_result(watcher, "home")
                judged_before = await helpers.results(watcher, "verdict")
            finally:
                await watcher.close()
            assert judged_before < helpers.SITES, "the sweep ended before the outage"
            assert _healthz(checker_port) == 200

            if sig == signal.SIGKILL:
                server.kill()
            else:
                await server.stop()
            await asyncio.sleep(min(down_s, 3))
            assert _healthz(checker_port) == 503  # readiness follows the bus
            await asyncio.sleep(max(down_s - 3, 0))
            await server.start()

            await helpers.sweep_succeeds(sweep, tmp_path, 600)
            assert _healthz(checker_port) == 200
        finally:
            await helpers.stop(procs, 60)
            await server.stop()

    assert all(proc.returncode == 0 for proc in procs)
    assert (helpers.verdicts(tmp_path / "dist"), helpers.table(tmp_path / "dist")) == reference
    logs = "".join((tmp_path / f"{role}.log").read_text() for role in helpers.ROLES)
    assert "nats reconnected" in logs and "dead-lettered" not in logs


@pytest.mark.timeout(900)
async def test_sigkill_and_restart_after_5_s(tmp_path: Path) -> None:
    await _sweep_through_outage(tmp_path, signal.SIGKILL, 5)


@pytest.mark.timeout(900)
async def test_sigterm_and_60_s_down(tmp_path: Path) -> None:
    await _sweep_through_outage(tmp_path, signal.SIGTERM, 60)
