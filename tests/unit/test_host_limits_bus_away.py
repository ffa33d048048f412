"""HostLimits when the bus is away: a request waiting for its lease is told, not left to wait
out `max_wait_s`."""

from __future__ import annotations

import asyncio

import pytest

from services.bus.host_limits import HostLimits


class AwayKV:
    """A KV bucket whose server cannot be reached."""

    async def get(self, key: str) -> None:
        raise ConnectionError("nats: no servers available")

    async def create(self, key: str, value: bytes) -> int:
        raise ConnectionError("nats: no servers available")

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        raise ConnectionError("nats: no servers available")

    async def watch(self, key: str) -> None:
        raise ConnectionError("nats: no servers available")


async def test_a_request_is_told_when_its_lease_cannot_be_taken() -> None:
    limits = HostLimits(AwayKV(), concurrency=2, rate=4.0, max_wait_s=600.0)  # type: ignore[arg-type]
    for _ in range(2):  # and so is the next one: the keeper tries again, and tells again
        with pytest.raises(ConnectionError):
            async with asyncio.timeout(30):  # bounded: the failure is reported, not waited out
                async with limits.slot("http://127.0.0.1:9"):
                    pass
    await limits.close()
