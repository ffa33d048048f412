"""Prometheus metrics for every role (names in base units, low-cardinality labels; never a URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer, _SilentHandler

PAGES_FETCHED = Counter(
    "govsweep_pages_fetched_total",
    "Pages fetched, by outcome (ok, timeout, http_4xx, …)",
    ["outcome"],
)
FETCH_SECONDS = Histogram(
    "govsweep_fetch_seconds",
    "Time to fetch one page",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30),
)
JOBS_IN_FLIGHT = Gauge("govsweep_jobs_in_flight", "Jobs being worked on", ["role"])
JOBS_DONE = Counter(
    "govsweep_jobs_total", "Jobs finished, by role and outcome", ["role", "outcome"]
)
FINDINGS = Counter(
    "govsweep_findings_total", "Findings emitted, by indicator and level", ["indicator", "level"]
)
VERDICTS = Counter(
    "govsweep_verdicts_total", "Site verdicts, by region and verdict", ["region", "verdict"]
)
SWEEP_SITES = Gauge("govsweep_sweep_sites", "Sites in the current sweep")
SWEEP_DONE = Gauge("govsweep_sweep_sites_done", "Sites of the current sweep with a verdict")
PASS_RATE = Gauge("govsweep_region_pass_rate_ratio", "Pass rate per region (0..1)", ["region"])

# Poison jobs parked on the dead-letter subject (services.bus), by consumer.
DEAD_LETTERS = Counter(
    "govsweep_dead_letters_total", "Jobs dead-lettered after max deliveries", ["consumer"]
)


def record_fetch(outcome: str, seconds: float) -> None:
    PAGES_FETCHED.labels(outcome).inc()
    FETCH_SECONDS.observe(seconds)


def serve(
    port: int, addr: str = "127.0.0.1", ready: Callable[[], bool] | None = None
) -> int | None:
    """Expose /metrics, and /healthz (200 when `ready()`, else 503: the bus is away);
    port 0 picks a free one, -1 disables. Returns the bound port."""
    if port < 0:
        return None
    metrics_app = make_wsgi_app()

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            ok = ready is None or ready()
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ready\n" if ok else b"not ready: NATS disconnected\n"]
        return metrics_app(environ, start_response)

    server = make_server(addr, port, app, ThreadingWSGIServer, handler_class=_SilentHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port
