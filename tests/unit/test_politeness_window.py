"""The in-process politeness gate: the rate window holds its limit, a cancelled wait frees its slot."""

from __future__ import annotations

import asyncio
import time

from crawler.politeness import Politeness, RateWindow


async def test_a_full_window_admits_the_next_start_only_once_the_oldest_has_left() -> None:
    window = RateWindow(rate_limit=2, period=0.3)
    starts = []
    for _ in range(3):
        await window.acquire()
        starts.append(time.monotonic())
    # asyncio.sleep never returns early, so the third start is a full period after the first.
    assert starts[2] - starts[0] >= 0.3


async def test_a_request_cancelled_while_waiting_gives_its_concurrency_slot_back() -> None:
    gate = Politeness(concurrency=1, rate=1.0)
    host = "http://a.gov.cn"
    async with gate.slot(host):
        pass  # the one start of this second: the next request waits in the rate window
    waiting = asyncio.create_task(gate.slot(host).__aenter__())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    # A cancelled wait that kept the semaphore would lock every later request of the host out.
    assert not gate.gate(host).semaphore.locked()
