"""`govsweep status` against a real nats-server: sites done / in flight / pending and the
consumers' backlog come from the streams, through the command line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.bus.jetstream import SUBJECT_VERDICT, Bus, EmbeddedServer
from services.bus.schema import Site, SiteJob
from services.roles.deadletter import unmeasured_verdict
from services.roles.scheduler import start_sweep
from tests.conftest import AT

pytestmark = pytest.mark.integration

SITES = [
    Site(f"520624000{n}", f"网站{n}", f"http://127.0.0.1:9/s{n}/", "520624") for n in range(1, 4)
]


def status(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services", "status", *args],
        env={**os.environ, "GOVSWEEP_NATS_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_status_of_a_sweep_without_workers(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    await server.start()
    try:
        bus = await Bus.connect(server.url)
        sweep_id = await start_sweep(bus, SITES, AT, "2024Q1")
        job = SiteJob(sweep_id=sweep_id, at=AT.isoformat(), quarter="2024Q1", site=SITES[0])
        verdict = unmeasured_verdict(sweep_id, job.at, job.quarter, job, "test")
        await bus.publish(
            SUBJECT_VERDICT.format(sweep_id=sweep_id, site_id=SITES[0].site_id), verdict
        )
        await bus.close()

        done = await asyncio.to_thread(status, server.url, "--json")
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        assert (got["sweep_id"], got["sites"], got["done"], got["pending"]) == (sweep_id, 3, 1, 2)
        lag = {c["consumer"]: c for c in got["consumers"]}
        assert lag["crawl-site"]["pending"] == 3  # nobody crawls: every site job waits
        text = await asyncio.to_thread(status, server.url, sweep_id)
        assert "已完成 1" in text.stdout and "待处理 2" in text.stdout

        missing = await asyncio.to_thread(status, server.url, "2024Q1-nosuch")
        assert missing.returncode == 2
        assert (
            missing.stderr.splitlines()[-1]
            == "govsweep: no sweep '2024Q1-nosuch' on the results stream"
        )
    finally:
        await server.stop()
