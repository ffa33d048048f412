"""Per-host politeness inside one process: bounded concurrency, a request rate, back-off on 429/503."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol

from asyncio_throttle import Throttler

MAX_BACKOFF_S = 60.0


class Gate(Protocol):
    """Per-host admission as fetchers, link probes and the browser use it: this module's
    Politeness inside one process, or services.bus.host_limits.HostLimits across every process."""

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...

    def slow_down(self, host: str, retry_after_s: float | None) -> float: ...

    def succeeded(self, host: str) -> None: ...


class RateWindow(Throttler):
    """asyncio-throttle's window of start times (at most `rate_limit` starts within any `period`),
    woken when its oldest start leaves the window instead of polling every 10 ms: waiting requests
    of a slow host cost no CPU while they wait."""

    async def acquire(self) -> None:
        while True:
            self.flush()
            if len(self._task_logs) < self.rate_limit:
                break
            # flush() drops a start only once strictly older than `period`: 1 ms past it.
            await asyncio.sleep(max(self._task_logs[0] + self.period - time.monotonic(), 0) + 0.001)
        self._task_logs.append(time.monotonic())


class HostGate:
    """Admission for one host: a semaphore for concurrency, a rate window, a back-off clock."""

    def __init__(self, concurrency: int, rate: float) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        # `rate` requests per second as whole requests per period: 0.5/s is one request per 2 s.
        if rate >= 1:
            self.window = RateWindow(rate_limit=int(rate), period=1.0)
        else:
            self.window = RateWindow(rate_limit=1, period=1.0 / rate)
        self.not_before = 0.0
        self.backoff_s = 0.0


class _Slot:
    """`Politeness.slot` as a plain context manager: it runs around every request."""

    __slots__ = ("gate",)

    def __init__(self, gate: HostGate) -> None:
        self.gate = gate

    async def __aenter__(self) -> None:
        gate = self.gate
        await gate.semaphore.acquire()
        try:
            wait = gate.not_before - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await gate.window.acquire()
        except BaseException:
            gate.semaphore.release()  # cancelled while waiting: the slot was never taken
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.gate.semaphore.release()


class Politeness:
    """Shared by every fetch of a process; keyed by origin (scheme://host:port)."""

    def __init__(self, concurrency: int = 2, rate: float = 4.0) -> None:
        self.concurrency = concurrency
        self.rate = rate
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self.concurrency, self.rate)
        return gate

    def slot(self, host: str) -> AbstractAsyncContextManager[None]:
        return _Slot(self.gate(host))

    def slow_down(self, host: str, retry_after_s: float | None) -> float:
        """A busy or failing host (429, 5xx): wait Retry-After if given, else double the back-off. Returns the delay."""
        gate = self.gate(host)
        gate.backoff_s = min(MAX_BACKOFF_S, max(1.0, gate.backoff_s * 2))
        delay = min(MAX_BACKOFF_S, retry_after_s if retry_after_s is not None else gate.backoff_s)
        gate.not_before = max(gate.not_before, time.monotonic() + delay)
        return delay

    def succeeded(self, host: str) -> None:
        """Success only relaxes the back-off; it never raises the rate above the configured limit."""
        self.gate(host).backoff_s = 0.0
