"""Two deployments on one nats-server, each logging in to its own NATS account, sweep at the same
time under the same stream, consumer and bucket names: each report holds its own sites only, as
the ground truth says, and neither account sees the other's results."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import RESULTS_STREAM, _free_port, nats_server_binary
from services.bus.schema import Site, SiteVerdict
from services.cli.commands import compare_with_manifest
from services.config import Config, NatsConfig, for_loopback_farm
from services.registry import load_registry
from services.reporting.verdict_spool import VerdictSpool, spool_verdicts
from services.roles.runtime import Runtime
from services.roles.scheduler import quarter_of, start_sweep
from tests.conftest import AT

pytestmark = pytest.mark.integration

SITES = 6
SEED = 11
ACCOUNTS = {"a": "pass-a", "b": "pass-b"}


def server_config(port: int, store: Path) -> str:
    users = "\n".join(
        f"  DEPLOY_{user.upper()}: {{ jetstream: enabled, users: [ {{ user: {user}, "
        f"password: {password} }} ] }}"
        for user, password in ACCOUNTS.items()
    )
    return f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{store}" }}\naccounts {{\n{users}\n}}\n'


async def deployment(
    url: str, user: str, sites: list[Site], state: Path
) -> tuple[list[SiteVerdict], set[str]]:
    """Every role and a sweep in one process, logged in as `user`; its verdicts and the verdict
    subjects its account's results stream holds."""
    login = NatsConfig(user=user, password=ACCOUNTS[user])
    config = for_loopback_farm(
        Config(nats_url=url, state_dir=str(state), metrics_port=-1, nats=login)
    )
    async with Runtime(config) as rt:
        assert rt.bus is not None
        rt.start_roles(rt.embedded_roles())
        sweep_id = await start_sweep(rt.bus, sites, AT, quarter_of(AT))
        spool = VerdictSpool(state / "verdicts.spool")
        await spool_verdicts(rt.bus, sweep_id, len(sites), 300, spool)
        verdicts = list(spool)
        spool.close()
        info = await rt.bus.js.stream_info(
            RESULTS_STREAM, subjects_filter="govsweep.results.verdict.>"
        )
        return verdicts, set(info.state.subjects or {})


async def test_two_accounts_keep_separate_reports(tmp_path: Path) -> None:
    province = generate_province(SITES, SEED, AT)
    port = _free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(server_config(port, tmp_path / "store"), encoding="utf-8")
    server = subprocess.Popen(
        [nats_server_binary(), "-c", str(conf)],
        stdout=(tmp_path / "nats.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        async with FarmServer(province):
            province.write_registry_csv(tmp_path / "registry.csv")
            sites = load_registry(tmp_path / "registry.csv")
            halves = {"a": sites[: SITES // 2], "b": sites[SITES // 2 :]}
            url = f"nats://127.0.0.1:{port}"
            (a, a_subjects), (b, b_subjects) = await asyncio.gather(
                *(deployment(url, user, halves[user], tmp_path / user) for user in ("a", "b"))
            )
    finally:
        server.terminate()
        server.wait(10)

    for verdicts, subjects, half in ((a, a_subjects, halves["a"]), (b, b_subjects, halves["b"])):
        ids = sorted(s.site_id for s in half)
        assert sorted(v.site.site_id for v in verdicts) == ids
        assert sorted(subject.rsplit(".", 1)[1] for subject in subjects) == ids
        assert compare_with_manifest(verdicts, province.manifest()) == []
