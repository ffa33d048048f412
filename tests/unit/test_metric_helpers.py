"""The metric helpers the roles use: failed jobs, link checks, per-sweep gauges, /healthz."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY

from crawler.model import FetchResult
from services import metrics
from services.config import ConfigError


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_raising_handler_counts_as_failed_and_still_raises() -> None:
    async def broken(msg: object) -> None:
        raise RuntimeError("infrastructure away")

    before = sample("govsweep_jobs_total", {"role": "unit-role", "outcome": "failed"})
    with pytest.raises(RuntimeError):
        await metrics.counted("unit-role", broken)(None)  # type: ignore[arg-type]
    after = sample("govsweep_jobs_total", {"role": "unit-role", "outcome": "failed"})
    assert after == before + 1


async def test_link_checks_are_counted_by_class() -> None:
    class Prober:
        async def check(self, url: str) -> FetchResult:
            return FetchResult(url=url, status=404, error="http_404")

    before = sample("govsweep_link_checks_total", {"outcome": "broken"})
    result = await metrics.CountedProber(Prober()).check("http://127.0.0.1:1/gone")
    assert result.status == 404
    assert sample("govsweep_link_checks_total", {"outcome": "broken"}) == before + 1


def test_sweep_gauges_keep_only_the_latest_sweep() -> None:
    metrics.set_sweep("sweep-a", 10, 3)
    metrics.set_sweep("sweep-b", 20, 5)
    assert sample("govsweep_sweep_sites", {"sweep": "sweep-b"}) == 20
    assert sample("govsweep_sweep_sites_done", {"sweep": "sweep-b"}) == 5
    assert REGISTRY.get_sample_value("govsweep_sweep_sites", {"sweep": "sweep-a"}) is None


def test_healthz_follows_readiness_and_metrics_are_served() -> None:
    ready = [True]
    port = metrics.serve(0, ready=lambda: ready[0])
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
        assert resp.status == 200
    ready[0] = False
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(f"{base}/healthz", timeout=5)
    assert failed.value.code == 503
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as resp:
        assert b"govsweep_nats_connected" in resp.read()


def test_a_taken_port_is_a_one_line_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"metrics_port {port} on metrics_addr 127.0.0.1"):
            metrics.serve(port)
