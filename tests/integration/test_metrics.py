"""Every role process serves Prometheus /metrics over HTTP."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from services.config import Config
from services.roles.runtime import Runtime

pytestmark = pytest.mark.integration


async def test_runtime_serves_metrics(tmp_path: Path) -> None:
    async with Runtime(Config(state_dir=str(tmp_path), metrics_port=0)) as rt:
        assert rt.metrics_port
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{rt.metrics_port}/metrics"
            async with session.get(url) as resp:
                text = await resp.text()
            healthz = f"http://127.0.0.1:{rt.metrics_port}/healthz"
            async with session.get(healthz) as health:
                assert health.status == 200  # connected to the embedded nats-server
    assert resp.status == 200
    assert "govsweep_nats_connected 1.0" in text
    for name in (
        "govsweep_pages_fetched_total",
        "govsweep_fetch_seconds_bucket",
        "govsweep_jobs_in_flight",
        "govsweep_findings_total",
        "govsweep_sweep_sites_done",
    ):
        assert name in text, name
