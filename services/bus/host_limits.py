"""Per-host politeness summed over every crawler and browser process, kept in a NATS KV bucket.

Each process takes *leases* from one key per host (concurrency slots and an interval of request
starts, see services.bus.host_leases for the rules and why the sum holds) and spends them
locally: a request waits in an in-process line, never on the bus. The key is written once per
lease (about one interval, `term_s`, of requests), when a lease is renewed (every
`lease_ttl_s / 3` while slots are held), released (the process went idle) or backed off
(429/503), so KV round trips are per batch of requests, not per request. A process that gets
nothing watches the key (a KV watch: it asks again when another process writes it, from the
value pushed) and otherwise sleeps until the state it read says a turn can come (a holder's
interval ends, back-off lapses), or a doubling pause from PAUSE_MIN_S to `term_s` when it
cannot tell (a holder past its interval still has requests in flight).

What a process may do: start requests at least 1/rate apart inside its interval (no burst:
over all processes starts are 1/rate apart), hold at most its slots; another process's back-off
reaches it when its current interval ends: within `term_s` (1 s by default) of its start, and
an interval is granted at most `term_s` ahead, so within 2 × `term_s` at worst.

`HostLimits` has the interface of crawler.politeness.Politeness (`slot`, `slow_down`,
`succeeded`), so a Fetcher, LinkProber or BrowserPool takes either.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from crawler.politeness import MAX_BACKOFF_S
from services.bus.host_leases import (
    HostState,
    Limits,
    Want,
    backed_off,
    delay,
    doubled,
    end_backoff,
    last_start,
    settle,
)
from services.bus.jetstream import HOSTS_BUCKET
from services.log import log

__all__ = ["BUCKET", "HostLimits", "HostState"]

BUCKET = HOSTS_BUCKET  # declared by the bus (TTL: a host idle for an hour is forgotten)
LEASE_TTL_S = 60.0  # a lease not renewed for this long lapses (its holder died)
TERM_S = 1.0  # one lease's interval of request starts (shared among contending processes)
PAUSE_MIN_S = 0.05  # waiting without a known moment: first pause, doubling up to term_s
MAX_WAIT_S = 600.0  # a slot not granted within this long raises TimeoutError (the job is retried)
CAS_TRIES = 50  # compare-and-set attempts for one lease or back-off update


class _Host:
    """This process's view of one host: its lease and the requests waiting for it."""

    def __init__(self) -> None:
        self.demand = 0  # requests in `slot` (waiting or in flight)
        self.in_flight = 0  # requests started (or sleeping until their start) under `held`
        self.held = 0  # slots the lease holds in the key
        self.usable = 0  # of which this process may fill (its share; the rest end and go back)
        self.start = 0.0  # the lease's interval of request starts
        self.end = 0.0
        self.next_local = 0.0  # the earliest the next request may start (spacing 1/rate)
        self.not_before = 0.0  # back-off known here before the key says so
        self.backoff = 0.0
        self.renew_at = math.inf
        self.retry_at = 0.0  # nothing granted: no point asking before then
        self.pause = PAUSE_MIN_S
        self.contended = False
        self.wished = False  # a wish of this process is in the key
        self.refreshing = False  # a lease update is on its way: the lease may shrink
        self.pushed = False  # the key's latest value came by the watch: no need to read it
        self.changed = asyncio.Event()  # for the keeper
        # Requests waiting for a start, in order: one is woken at a time, and passes the turn
        # on when it starts (waking every waiter on every change costs O(waiters²)).
        self.queue: deque[asyncio.Future[None]] = deque()
        self.keeper: asyncio.Task[None] | None = None
        self.error: Exception | None = None

    def notify(self) -> None:
        """Something changed: the keeper looks again, and so does the first waiting request."""
        self.changed.set()
        self.changed = asyncio.Event()
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(None)
                return

    def fail(self, error: Exception) -> None:
        """The lease cannot be written: every waiting request is told."""
        self.error = error
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(None)

    def next_start(self, now: float) -> float:
        return max(now, self.next_local, self.start, self.not_before)

    def spent(self, now: float, rate: float) -> bool:
        """No start left in the interval for the next request."""
        return self.next_start(now) > last_start(self.end, rate)

    def can_start(self, now: float, rate: float) -> bool:
        return (
            not self.refreshing
            and self.in_flight < min(self.held, self.usable)
            and not self.spent(now, rate)
        )


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
        term_s: float = TERM_S,
    ) -> None:
        if concurrency < 1 or rate <= 0 or lease_ttl_s <= 0 or term_s <= 0:
            raise ValueError(
                f"HostLimits: concurrency ({concurrency}), rate ({rate}), lease_ttl_s "
                f"({lease_ttl_s}) and term_s ({term_s}) must be positive"
            )
        self.kv = kv
        self.concurrency = concurrency
        self.rate = rate
        self.limits = Limits(concurrency, rate, term_s, lease_ttl_s)
        self.max_wait_s = max_wait_s
        self.pid = secrets.token_hex(6)  # this process (instance) in the keys' leases
        self._hosts: dict[str, _Host] = {}
        self._updates: set[asyncio.Task[None]] = set()
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
        """Give back every lease and wish, and wait for back-off updates still being written."""
        for host, state in list(self._hosts.items()):
            if state.keeper is not None:
                state.keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await state.keeper
            if state.held or state.wished:
                with contextlib.suppress(Exception):  # unreleased leases lapse on their own
                    await self._refresh(host, state, interval=False, demand=state.in_flight)
                    state.keeper = None
            self._forget(host, state)
        if self._updates:
            await asyncio.gather(*self._updates, return_exceptions=True)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's `concurrency` slots, started no sooner than the rate allows."""
        state = self._hosts.setdefault(host, _Host())
        state.demand += 1
        reserved = False
        try:
            deadline = time.monotonic() + self.max_wait_s
            woken = False  # a woken request keeps its place at the head of the queue
            while (state.queue and not woken) or not state.can_start(time.time(), self.rate):
                if woken and state.error is not None:
                    raise state.error  # told by the keeper while waiting: the bus is away
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no request slot for {host} within {self.max_wait_s:.0f} s")
                self._keep(host, state)
                await self._queue(state, woken, remaining)
                woken = True
            now = time.time()
            start = state.next_start(now)
            state.in_flight += 1
            reserved = True
            state.next_local = start + 1.0 / self.rate
            state.notify()  # the next request in line may start too
            if start > now:
                await asyncio.sleep(start - now)
            yield
        finally:
            state.demand -= 1
            if reserved:
                state.in_flight -= 1
            state.notify()

    def slow_down(self, host: str, retry_after_s: float | None) -> float:
        """A 429/503: Retry-After if given, else double the back-off; every process waits (the
        others from their next lease on, within one interval).

        Returns the delay this process knows of; the shared one may be longer (another process
        was backing off already).
        """
        now = time.time()
        state = self._hosts.setdefault(host, _Host())
        state.backoff = doubled(state.backoff)
        wait = delay(retry_after_s, state.backoff)
        state.not_before = max(state.not_before, now + wait)
        state.notify()
        self._spawn(self._update(host, lambda shared: backed_off(shared, retry_after_s, now)))
        return wait

    def succeeded(self, host: str) -> None:
        """Success only ends the back-off; the spacing of requests stays 1/rate."""
        state = self._hosts.get(host)
        if state is not None and state.backoff:
            state.backoff = 0.0
            self._spawn(self._update(host, end_backoff))

    @staticmethod
    async def _queue(state: _Host, first: bool, timeout: float) -> None:
        """Wait in line (at its head if `first`) until woken or `timeout` passes."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if first:
            state.queue.appendleft(turn)
        else:
            state.queue.append(turn)
        try:
            async with asyncio.timeout(timeout):
                await turn
        except TimeoutError:
            with contextlib.suppress(ValueError):
                state.queue.remove(turn)
        except BaseException:
            if turn.done() and not turn.cancelled():
                state.notify()  # woken, but leaving: the turn passes to the next in line
            else:
                with contextlib.suppress(ValueError):
                    state.queue.remove(turn)
            raise

    # -- the lease keeper: the only writer of this process's lease on a host ---------------------
    def _keep(self, host: str, state: _Host) -> None:
        if state.keeper is None or state.keeper.done():
            state.error = None
            state.keeper = asyncio.get_running_loop().create_task(self._keeper(host, state))

    async def _keeper(self, host: str, state: _Host) -> None:
        watch: asyncio.Task[None] | None = None  # while waiting for a turn
        try:
            while state.demand or state.held or state.wished:
                if state.wished and watch is None:
                    watch = asyncio.get_running_loop().create_task(self._watch(host, state))
                elif not state.wished and watch is not None:
                    watch.cancel()
                    watch = None
                now = time.time()
                due, interval, wake = self._due(state, now)
                if not due:
                    await _wait(state.changed, None if wake is None else max(wake - now, 0.0))
                    continue
                try:
                    await self._refresh(host, state, interval, state.demand)
                    state.error = None
                except Exception as exc:  # the bus is away: nats raises several unrelated types
                    log(
                        "host lease not updated",
                        {"host": host, "error": repr(exc)},
                        level="warning",
                    )
                    state.fail(exc)
                    await asyncio.sleep(state.pause)
                    state.pause = min(state.pause * 2, self.limits.term_s)
        finally:
            if watch is not None:
                watch.cancel()
        self._forget(host, state)

    async def _watch(self, host: str, state: _Host) -> None:
        """A waiting process watches the host's key: every change another process writes (a
        slot given back, an interval ended) makes it ask again at once, from the value pushed,
        instead of at the end of its pause. Without the watch it only waits its pauses."""
        key = _key(host)
        try:
            watcher = await self.kv.watch(key)
        except Exception as exc:  # the bus is away, or the bucket is not a JetStream one
            log("host key not watched", {"host": host, "error": repr(exc)}, level="debug")
            return
        try:
            live = False  # the key's current value comes first, then a marker, then changes
            async for entry in watcher:
                if entry is None:
                    live = True
                    continue
                known = self._written.get(key)
                if entry.value is None or entry.revision is None:
                    continue  # deleted (the bucket's TTL): the next read says so
                if known is not None and known[0] >= entry.revision:
                    continue  # this process's own write, or older news
                self._written[key] = (entry.revision, entry.value)
                state.pushed = True
                if live:
                    state.retry_at = 0.0
                    state.notify()
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()

    def _forget(self, host: str, state: _Host) -> None:
        """An idle host, nothing held or wished, is forgotten, so memory does not grow with the
        hosts of a sweep (a back-off still running is kept for `succeeded` to end it)."""
        if state.demand or state.held or state.wished or state.backoff:
            return
        if state.not_before <= time.time() and self._hosts.get(host) is state:
            del self._hosts[host]
            key = _key(host)
            self._written.pop(key, None)
            turn = self._turns.get(key)
            if turn is not None and not turn.locked():
                del self._turns[key]

    def _due(self, state: _Host, now: float) -> tuple[bool, bool, float | None]:
        """Whether the lease needs writing now, whether a new interval is wanted, and otherwise
        when to look again (None: on the next local change)."""
        waiting = state.demand > state.in_flight
        spent = state.spent(now, self.rate)
        if waiting and now >= state.retry_at:
            if spent:
                return True, True, None
            more = state.in_flight >= state.usable and state.usable < self.concurrency
            if more and not state.contended:
                return True, False, None
        idle = state.demand == 0 and now >= state.end  # keep a lease until its interval ends
        # Slots this process cannot fill (past its share, or its interval is spent and nothing
        # waits here) while others may want them.
        surplus = state.held > max(state.in_flight, state.usable) or (
            spent and not waiting and state.held > state.in_flight
        )
        crowded = state.contended and surplus
        gone = state.wished and not waiting
        if (state.held and (idle or crowded or now >= state.renew_at)) or gone:
            return True, False, None
        wakes = [state.renew_at] if state.held else []
        if state.held and (state.demand == 0 or state.contended):
            wakes.append(state.end)
        if waiting:
            wakes.append(max(state.retry_at, last_start(state.end, self.rate)))
        return False, False, min(wakes, default=None)

    async def _refresh(self, host: str, state: _Host, interval: bool, demand: int) -> None:
        """One compare-and-set of this process's lease (and wish) on the host's key."""
        key = _key(host)
        state.refreshing = True
        try:
            async with self._turn(key):
                for _ in range(CAS_TRIES):
                    fresh = state.wished and not state.pushed
                    state.pushed = False
                    revision, shared, raw = await self._read(key, fresh=fresh)
                    now = time.time()
                    want = Want(
                        demand=demand,
                        in_flight=state.in_flight,
                        next_local=state.next_local,
                        not_before=state.not_before,
                        interval=interval,
                    )
                    before = HostState() if raw is None else _decode(raw)
                    grant = settle(shared, self.pid, want, self.limits, now)
                    # Nothing changed (a waiting process re-read the key): nothing to write.
                    if shared == before or await self._write(key, revision, _encode(shared)):
                        break
                else:
                    raise RuntimeError(f"host lease for {host}: {CAS_TRIES} writes lost the race")
        finally:
            state.refreshing = False
        usable_before, state.held, state.usable = state.usable, grant.slots, grant.usable
        if demand == 0:  # an idle process gave its interval up (returned if nobody came after)
            state.start = state.end = 0.0
        state.contended = grant.contended
        state.renew_at = now + self.limits.lease_ttl_s / 3 if grant.slots else math.inf
        if grant.start < grant.end:  # a new interval: start asking afresh next time
            state.start, state.end = grant.start, grant.end
            state.pause = PAUSE_MIN_S
            state.wished = False
        elif interval:
            wait = grant.wait_s if grant.sure else min(grant.wait_s or math.inf, state.pause)
            state.pause = min(state.pause * 2, self.limits.term_s)
            state.retry_at = now + min(max(wait, PAUSE_MIN_S), MAX_BACKOFF_S)
            state.wished = state.demand > state.in_flight
        else:
            state.wished = state.wished and demand > state.in_flight
            if grant.usable <= usable_before:  # no more slots for now: do not ask again at once
                state.retry_at = now + state.pause
        state.notify()

    async def _update(self, host: str, change: Callable[[HostState], HostState]) -> None:
        """Apply `change` to the host's key by compare-and-set. A back-off that cannot be
        written is logged, not raised: this process backs off anyway."""
        key = _key(host)
        try:
            async with self._turn(key):
                for _ in range(CAS_TRIES):
                    revision, shared, _ = await self._read(key, fresh=False)
                    if await self._write(key, revision, _encode(change(shared))):
                        return
        except Exception as exc:  # the bus is away: nats raises several unrelated types
            log("host limits not updated", {"host": host, "error": repr(exc)}, level="warning")

    def _turn(self, key: str) -> asyncio.Lock:
        return self._turns.setdefault(key, asyncio.Lock())

    async def _read(self, key: str, fresh: bool) -> tuple[int | None, HostState, bytes | None]:
        """The key's revision (None: no key), state and bytes; `fresh=False` may answer from
        what this process wrote last."""
        known = None if fresh else self._written.get(key)
        if known is not None:
            return known[0], _decode(known[1]), known[1]
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None, HostState(), None
        raw = entry.value or b"{}"
        assert entry.revision is not None  # a KV entry read from the bucket has one
        self._written[key] = (entry.revision, raw)
        return entry.revision, _decode(raw), raw

    async def _write(self, key: str, revision: int | None, value: bytes) -> bool:
        """Compare-and-set; False when the key is not at `revision` any more."""
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


async def _wait(event: asyncio.Event, timeout: float | None) -> None:
    """Until `event` is set or `timeout` passes."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(HostState).decode


def _key(host: str) -> str:
    """A KV key for an origin like http://127.0.0.1:8080 (keys allow only [-_=.a-zA-Z0-9/]).
    Prefixed: processes of the release before leases kept another state under the bare key;
    during a rolling upgrade neither misreads the other's (each generation keeps the limits
    among its own processes until the old ones stop)."""
    return "lease." + base64.urlsafe_b64encode(host.encode()).decode().rstrip("=")
