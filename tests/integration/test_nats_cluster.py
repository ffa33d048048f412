"""The shipped 3-node cluster config (deploy/nats/) on loopback: streams and buckets R3, roles
logging in with user/password; one node is SIGKILLed mid-sweep and the report equals an
undisturbed run's."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import JOBS_STREAM, Bus, BusError, _free_port, nats_server_binary
from services.config import LOOPBACK_FARM_ENV, NatsConfig
from tests.conftest import AT
from tests.integration import sweep_helpers as helpers

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nats"
LOGIN = {"NATS_USER": "govsweep", "NATS_PASSWORD": "cluster-secret"}


def loopback_config(node: int, ports: dict[int, tuple[int, int, int]], store: Path) -> str:
    """deploy/nats/nats-<node>.conf with loopback addresses and ports and a local store."""
    client, http, route = ports[node]
    text = (DEPLOY / f"nats-{node}.conf").read_text(encoding="utf-8")
    text = text.replace("0.0.0.0:4222", f"127.0.0.1:{client}")
    text = text.replace("0.0.0.0:8222", f"127.0.0.1:{http}")
    text = text.replace("0.0.0.0:6222", f"127.0.0.1:{route}")
    text = text.replace("store_dir: /data", f'store_dir: "{store}"')
    return re.sub(
        r"nats-route://nats-(\d):6222",
        lambda m: f"nats-route://127.0.0.1:{ports[int(m[1])][2]}",
        text,
    )


async def start_cluster(tmp_path: Path) -> tuple[list[subprocess.Popen], list[str]]:
    ports = {n: (_free_port(), _free_port(), _free_port()) for n in (1, 2, 3)}
    procs = []
    for node in (1, 2, 3):
        conf = tmp_path / f"nats-{node}.conf"
        conf.write_text(loopback_config(node, ports, tmp_path / f"store-{node}"), encoding="utf-8")
        procs.append(
            subprocess.Popen(
                [nats_server_binary(), "-c", str(conf)],
                env={**os.environ, **LOGIN},
                stdout=(tmp_path / f"nats-{node}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
    return procs, [f"nats://127.0.0.1:{ports[n][0]}" for n in (1, 2, 3)]


async def test_one_node_killed_mid_sweep(tmp_path: Path) -> None:
    province = generate_province(helpers.SITES, helpers.SEED, AT)
    async with FarmServer(province):
        registry = tmp_path / "registry.csv"
        province.write_registry_csv(registry)
        reference = await helpers.undisturbed(registry, tmp_path)

        nodes, urls = await start_cluster(tmp_path)
        login = NatsConfig(user=LOGIN["NATS_USER"], password=LOGIN["NATS_PASSWORD"], replicas=3)
        procs = []
        try:
            watcher = None
            for _ in range(60):  # the cluster elects its JetStream leader first
                try:
                    watcher = await Bus.connect(",".join(urls), login)
                    break
                except BusError:
                    await asyncio.sleep(1)
            assert watcher is not None, "the cluster did not come up"
            info = await watcher.js.stream_info(JOBS_STREAM)
            assert info.config.num_replicas == 3 and info.cluster is not None

            env = {
                **os.environ,
                **LOOPBACK_FARM_ENV,
                "GOVSWEEP_NATS_URL": ",".join(urls),
                "GOVSWEEP_NATS_USER": LOGIN["NATS_USER"],
                "GOVSWEEP_NATS_PASSWORD": LOGIN["NATS_PASSWORD"],
                "GOVSWEEP_NATS_REPLICAS": "3",
                "GOVSWEEP_METRICS_PORT": "-1",
            }
            for role in helpers.ROLES:
                procs.append(await helpers.spawn_role(role, env, tmp_path))
            sweep = await helpers.spawn_sweep(registry, env, tmp_path, timeout=400)
            await helpers.first_result(watcher, "home")
            assert await helpers.results(watcher, "verdict") < helpers.SITES, (
                "the sweep ended before the kill"
            )
            await watcher.close()

            nodes[0].send_signal(signal.SIGKILL)
            nodes[0].wait(10)
            await helpers.sweep_succeeds(sweep, tmp_path, 600)
        finally:
            await helpers.stop(procs, 60)
            for node in nodes:
                if node.poll() is None:
                    node.terminate()
                    node.wait(10)

    assert all(proc.returncode == 0 for proc in procs)
    assert (helpers.verdicts(tmp_path / "dist"), helpers.table(tmp_path / "dist")) == reference
    logs = "".join((tmp_path / f"{role}.log").read_text() for role in helpers.ROLES)
    assert LOGIN["NATS_PASSWORD"] not in logs + (tmp_path / "sweep.log").read_text()
