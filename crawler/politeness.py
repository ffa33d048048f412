"""Per-host politeness inside one process: bounded concurrency, a request rate, back-off on 429/503."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from asyncio_throttle import Throttler

MAX_BACKOFF_S = 60.0


class Gate(Protocol):
    """Per-host admission as fetchers, link probes and the browser use it: this module's
    Politeness inside one process, or services.bus.host_limits.HostLimits across every process."""

    def slot(self, host: str) -> AbstractAsyncContextManager[None]: ...

    def slow_down(self, host: str, retry_after_s: float | None) -> float: ...

    def succeeded(self, host: str) -> None: ...


class HostGate:
    """Admission for one host: a semaphore for concurrency, a throttler for rate, a back-off clock."""

    def __init__(self, concurrency: int, rate: float) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        # asyncio-throttle admits `rate_limit` requests per `period`; express fractional rates
        # (0.5/s) as one request per 2 s.
        if rate >= 1:
            self.throttler = Throttler(rate_limit=int(rate), period=1.0)
        else:
            self.throttler = Throttler(rate_limit=1, period=1.0 / rate)
        self.not_before = 0.0
        self.backoff_s = 0.0


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

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        gate = self.gate(host)
        async with gate.semaphore:
            wait = gate.not_before - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            async with gate.throttler:
                yield

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
