"""Per-host politeness summed over every crawler and browser process, kept in a NATS KV bucket.

One key per host holds the requests in flight (leases with an expiry, so a dead worker's lease
lapses) and the earliest time the next request may start (request spacing 1/rate, pushed later by
429/503 back-off). Every change is a compare-and-set on the key's revision, so two processes never
both take the last slot. Times are wall-clock seconds: processes on several machines need NTP.

`HostLimits` has the interface of crawler.politeness.Politeness (`slot`, `slow_down`,
`succeeded`), so a Fetcher or LinkProber takes either.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from crawler.politeness import MAX_BACKOFF_S
from services.bus.jetstream import HOSTS_BUCKET
from services.log import log

BUCKET = HOSTS_BUCKET  # declared by the bus (TTL: a host idle for an hour is forgotten)
LEASE_TTL_S = 60.0  # a slot not renewed for this long is free again (its holder died)
POLL_MIN_S = 0.01  # waiting for a free slot: first poll, doubling up to POLL_MAX_S
POLL_MAX_S = 0.25
MAX_WAIT_S = 600.0  # a slot not granted within this long raises TimeoutError (the job is retried)
CAS_TRIES = 50  # compare-and-set attempts for one release or back-off update


class HostState(msgspec.Struct):
    """The shared state of one host."""

    leases: dict[str, float] = {}  # lease id → wall-clock expiry
    next_start: float = 0.0  # wall-clock time before which no request may start
    backoff_s: float = 0.0  # current exponential back-off (0 after a success)


class HostLimits:
    """Per-host concurrency and rate over all processes sharing the bucket (all of them must be
    configured with the same limits)."""

    def __init__(
        self,
        kv: KeyValue,
        concurrency: int = 2,
        rate: float = 4.0,
        lease_ttl_s: float = LEASE_TTL_S,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        if concurrency < 1 or rate <= 0 or lease_ttl_s <= 0:
            raise ValueError(
                f"HostLimits: concurrency ({concurrency}), rate ({rate}) and lease_ttl_s "
                f"({lease_ttl_s}) must be positive"
            )
        self.kv = kv
        self.concurrency = concurrency
        self.rate = rate
        self.lease_ttl_s = lease_ttl_s
        self.max_wait_s = max_wait_s
        # In-process gates: only `concurrency` tasks per host contend for the shared key.
        self._local: dict[str, asyncio.Semaphore] = {}
        self._not_before: dict[str, float] = {}  # back-off known here before the key says so
        self._backoff: dict[str, float] = {}
        self._updates: set[asyncio.Task] = set()
        # What this process last wrote per key: tried first, which saves a read when no other
        # process wrote since (compare-and-set turns a stale guess into one more round).
        self._written: dict[str, tuple[int, bytes]] = {}
        # One read-modify-write per key at a time in this process: they never race each other.
        self._turns: dict[str, asyncio.Lock] = {}

    @classmethod
    async def open(
        cls, js: JetStreamContext, concurrency: int = 2, rate: float = 4.0, **options: float
    ) -> HostLimits:
        """Bind the shared bucket (declared by services.bus.jetstream, again after every reconnect)."""
        return cls(await js.key_value(BUCKET), concurrency, rate, **options)

    async def close(self) -> None:
        """Wait for back-off updates still being written."""
        if self._updates:
            await asyncio.gather(*self._updates, return_exceptions=True)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's `concurrency` slots, started no sooner than the rate allows."""
        local = self._local.setdefault(host, asyncio.Semaphore(self.concurrency))
        async with local:
            lease = await self._acquire(host)
            renewer = asyncio.create_task(self._renew(host, lease))
            try:
                yield
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
                await self._release(host, lease)

    def slow_down(self, host: str, retry_after_s: float | None) -> float:
        """A 429/503: Retry-After if given, else double the back-off; every process waits.

        Returns the delay this process knows of; the shared one may be longer (another process
        was backing off already).
        """
        now = time.time()
        backoff = _doubled(self._backoff.get(host, 0.0))
        self._backoff[host] = backoff
        delay = _delay(retry_after_s, backoff)
        self._not_before[host] = max(self._not_before.get(host, 0.0), now + delay)
        self._spawn(self._update(host, lambda state: _backed_off(state, retry_after_s, now)))
        return delay

    def succeeded(self, host: str) -> None:
        """Success only ends the back-off; the spacing of requests stays 1/rate."""
        if self._backoff.pop(host, 0.0):
            self._spawn(self._update(host, _end_backoff))

    # -- the shared key ----------------------------------------------------------------------
    async def _acquire(self, host: str) -> str:
        key = _key(host)
        lease = secrets.token_hex(8)
        deadline = time.monotonic() + self.max_wait_s
        pause = POLL_MIN_S
        fresh = False
        while time.monotonic() < deadline:
            async with self._turn(key):
                revision, state = await self._read(key, fresh)
                now = time.time()
                live = {lid: exp for lid, exp in state.leases.items() if exp > now}
                start = max(state.next_start, self._not_before.get(host, 0.0))
                free = len(live) < self.concurrency
                if free and now >= start:
                    state.leases = {**live, lease: now + self.lease_ttl_s}
                    state.next_start = max(start, now) + 1.0 / self.rate
                    if await self._write(key, revision, state):
                        return lease
                    continue  # another process changed the key first: read it again
            if free:
                wait = start - now  # the rate: its moment is known
            else:
                wait, pause = pause, min(pause * 2, POLL_MAX_S)  # a slot frees: poll
            await asyncio.sleep(min(max(wait, POLL_MIN_S), POLL_MAX_S * 4))
            fresh = True  # what we last wrote may be old news by now
        raise TimeoutError(f"no request slot for {host} within {self.max_wait_s:.0f} s")

    async def _renew(self, host: str, lease: str) -> None:
        while True:
            await asyncio.sleep(self.lease_ttl_s / 3)
            expiry = time.time() + self.lease_ttl_s
            await self._update(host, functools.partial(_renewed, lease=lease, expiry=expiry))

    async def _release(self, host: str, lease: str) -> None:
        await self._update(host, lambda state: _released(state, lease))

    async def _update(self, host: str, change: Callable[[HostState], HostState]) -> None:
        """Apply `change` to the host's key by compare-and-set. A release, renewal or back-off
        that cannot be written is logged, not raised: the request it follows is done, and a
        lease nobody releases lapses on its own."""
        key = _key(host)
        try:
            async with self._turn(key):
                for _ in range(CAS_TRIES):
                    revision, state = await self._read(key, fresh=False)
                    if await self._write(key, revision, change(state)):
                        return
        except Exception as exc:  # the bus is away: nats raises several unrelated types
            log("host limits not updated", {"host": host, "error": repr(exc)}, level="warning")

    def _turn(self, key: str) -> asyncio.Lock:
        return self._turns.setdefault(key, asyncio.Lock())

    async def _read(self, key: str, fresh: bool) -> tuple[int | None, HostState]:
        """The key's revision (None: no key) and state; `fresh=False` may answer from memory."""
        known = None if fresh else self._written.get(key)
        if known is not None:
            return known[0], msgspec.json.decode(known[1], type=HostState)
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None, HostState()
        return entry.revision, msgspec.json.decode(entry.value or b"{}", type=HostState)

    async def _write(self, key: str, revision: int | None, state: HostState) -> bool:
        """Compare-and-set; False when the key is not at `revision` any more."""
        value = msgspec.json.encode(state)
        try:
            if revision is None:
                written = await self.kv.create(key, value)
            else:
                written = await self.kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            self._written.pop(key, None)
            return False
        self._written[key] = (written, value)
        return True

    def _spawn(self, update: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(update)
        self._updates.add(task)
        task.add_done_callback(self._updates.discard)


def _key(host: str) -> str:
    """A KV key for an origin like http://127.0.0.1:8080 (keys allow only [-_=.a-zA-Z0-9/])."""
    return base64.urlsafe_b64encode(host.encode()).decode().rstrip("=")


def _renewed(state: HostState, lease: str, expiry: float) -> HostState:
    if lease in state.leases:
        state.leases[lease] = expiry
    return state


def _released(state: HostState, lease: str) -> HostState:
    state.leases.pop(lease, None)
    return state


def _doubled(backoff_s: float) -> float:
    return min(MAX_BACKOFF_S, max(1.0, backoff_s * 2))


def _delay(retry_after_s: float | None, backoff_s: float) -> float:
    return min(MAX_BACKOFF_S, retry_after_s if retry_after_s is not None else backoff_s)


def _backed_off(state: HostState, retry_after_s: float | None, now: float) -> HostState:
    """The shared back-off doubles on every 429/503 from any process."""
    state.backoff_s = _doubled(state.backoff_s)
    state.next_start = max(state.next_start, now + _delay(retry_after_s, state.backoff_s))
    return state


def _end_backoff(state: HostState) -> HostState:
    state.backoff_s = 0.0
    return state
