"""Prometheus metrics for every role (names in base units, low-cardinality labels; never a URL).

Also serves /healthz on the same port: 200 while the process's NATS connection is up, else 503,
so a container orchestrator restarts or stops routing to a role that lost its bus.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from crawler.links import Prober, classify
from crawler.model import FetchResult
from services.config import ConfigError

PAGES_FETCHED = Counter(
    "govsweep_pages_fetched_total",
    "Pages fetched, by outcome (ok, timeout, http_4xx, …)",
    ["outcome"],
)
FETCH_SECONDS = Histogram(
    "govsweep_fetch_seconds",
    "Time to fetch one page, from request to body read (the politeness wait not included)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30),
)
JOBS_IN_FLIGHT = Gauge("govsweep_jobs_in_flight", "Jobs being worked on", ["role"])
JOBS_DONE = Counter(
    "govsweep_jobs_total",
    "Jobs finished, by role and outcome (failed: the handler raised, the job is redelivered)",
    ["role", "outcome"],
)
BROWSER_RUNNING = Gauge(
    "govsweep_browser_running",
    "1 while the browser role's Chromium is up (launched by a job, stopped when idle)",
)
BROWSER_LAUNCHES = Counter(
    "govsweep_browser_launches_total", "Chromium launches by the browser role"
)
LINK_CHECKS = Counter(
    "govsweep_link_checks_total", "Link check requests, by link class", ["outcome"]
)
PROBES = Counter(
    "govsweep_probes_total", "Availability probes, by outcome (ok, failed, waf)", ["outcome"]
)
FINDINGS = Counter(
    "govsweep_findings_total", "Findings emitted, by indicator and level", ["indicator", "level"]
)
VERDICTS = Counter(
    "govsweep_verdicts_total", "Site verdicts, by region and verdict", ["region", "verdict"]
)
SWEEP_SITES = Gauge("govsweep_sweep_sites", "Sites in the sweep", ["sweep"])
SWEEP_DONE = Gauge("govsweep_sweep_sites_done", "Sites of the sweep with a verdict", ["sweep"])
PASS_RATE = Gauge("govsweep_region_pass_rate_ratio", "Pass rate per region (0..1)", ["region"])
NATS_CONNECTED = Gauge("govsweep_nats_connected", "1 while the process is connected to NATS")
CONSUMER_PENDING = Gauge(
    "govsweep_consumer_pending_messages", "Messages not yet delivered, per consumer", ["consumer"]
)
CONSUMER_ACK_PENDING = Gauge(
    "govsweep_consumer_ack_pending_messages",
    "Messages delivered and not yet acknowledged, per consumer",
    ["consumer"],
)
CONSUMER_REDELIVERED = Gauge(
    "govsweep_consumer_redelivered_messages",
    "Messages delivered more than once and not yet acknowledged, per consumer",
    ["consumer"],
)

# How often a process reads its connection state and its consumers' backlog.
POLL_EVERY_S = 5.0

Handler = Callable[[Msg], Awaitable[None]]

# Poison jobs parked on the dead-letter subject (services.bus.jetstream), by consumer.
DEAD_LETTERS = Counter(
    "govsweep_dead_letters_total", "Jobs dead-lettered after max deliveries", ["consumer"]
)


def record_fetch(outcome: str, seconds: float) -> None:
    PAGES_FETCHED.labels(outcome).inc()
    FETCH_SECONDS.observe(seconds)


def counted(role: str, handler: Handler) -> Handler:
    """`handler` with its failures counted as govsweep_jobs_total{role, outcome="failed"}."""

    async def wrapped(msg: Msg) -> None:
        try:
            await handler(msg)
        except Exception:
            JOBS_DONE.labels(role, "failed").inc()
            raise

    return wrapped


class CountedProber:
    """A link prober whose every check is counted by link class (the checks really made,
    not the statuses other workers shared through the link cache)."""

    def __init__(self, prober: Prober) -> None:
        self.prober = prober

    async def check(self, url: str) -> FetchResult:
        result = await self.prober.check(url)
        LINK_CHECKS.labels(classify(result)).inc()
        return result


def set_sweep(sweep_id: str, sites: int, done: int) -> None:
    """Progress of the latest sweep; the previous sweep's series are dropped (bounded labels)."""
    for gauge in (SWEEP_SITES, SWEEP_DONE):
        for (label,) in [key for key in _label_values(gauge) if key != (sweep_id,)]:
            gauge.remove(label)
    SWEEP_SITES.labels(sweep_id).set(sites)
    SWEEP_DONE.labels(sweep_id).set(done)


def _label_values(gauge: Gauge) -> list[tuple[str, ...]]:
    return [tuple(s.labels.values()) for m in gauge.collect() for s in m.samples]


async def watch_bus(
    nc_connected: Callable[[], bool], js: JetStreamContext, consumers: list[tuple[str, str]]
) -> None:
    """Until cancelled: the connection state and each (stream, consumer)'s backlog, every few
    seconds (`consumers` is read at every round: roles started later add theirs)."""
    while True:
        connected = nc_connected()
        NATS_CONNECTED.set(1 if connected else 0)
        for stream, durable in list(consumers) if connected else []:
            try:
                info = await js.consumer_info(stream, durable, timeout=POLL_EVERY_S)
            except Exception:  # the server is away or restarting: keep the last figures
                continue
            CONSUMER_PENDING.labels(durable).set(info.num_pending or 0)
            CONSUMER_ACK_PENDING.labels(durable).set(info.num_ack_pending or 0)
            CONSUMER_REDELIVERED.labels(durable).set(info.num_redelivered or 0)
        await asyncio.sleep(POLL_EVERY_S)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 — the base's name
        """Scrapes every few seconds would flood stderr, which carries our JSON log."""


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingWSGIServer6(_ThreadingWSGIServer):
    address_family = socket.AF_INET6


def serve(
    port: int, addr: str = "127.0.0.1", ready: Callable[[], bool] | None = None
) -> int | None:
    """Expose /metrics and /healthz; port 0 picks a free one, -1 disables. Returns the bound port.

    `ready`: whether the process can work (its NATS connection is up); /healthz answers 503 if not.
    """
    if port < 0:
        return None
    metrics_app = make_wsgi_app()

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            ok = ready() if ready else True
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if ok else b"nats disconnected\n"]
        return metrics_app(environ, start_response)

    server_class = _ThreadingWSGIServer6 if ":" in addr else _ThreadingWSGIServer  # "::" is IPv6
    try:
        server = make_server(addr, port, app, server_class, handler_class=_QuietHandler)
    except OSError as exc:  # port taken, address not local: say which setting, no traceback
        raise ConfigError(f"metrics_port {port} on metrics_addr {addr}: {exc.strerror}") from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port
