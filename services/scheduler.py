"""Scheduler: publish a sweep's site jobs, and follow its verdicts as they land."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime

import msgspec

from services.bus import SUBJECT_SITE_JOB, SUBJECT_SWEEP, SUBJECT_VERDICT, Bus
from services.recheck import remember_sites
from services.schema import Site, SiteJob, SiteVerdict, SweepStarted


def quarter_of(at: date) -> str:
    return f"{at.year}Q{(at.month - 1) // 3 + 1}"


def new_sweep_id(at: date, quarter: str) -> str:
    # No dots: the id is a subject token.
    return f"{quarter}-{at:%Y%m%d}-{secrets.token_hex(3)}"


async def start_sweep(
    bus: Bus, sites: list[Site], at: date, quarter: str, sweep_id: str | None = None
) -> str:
    sweep_id = sweep_id or new_sweep_id(at, quarter)
    started = SweepStarted(
        sweep_id=sweep_id,
        at=at.isoformat(),
        quarter=quarter,
        sites=len(sites),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    await bus.publish(SUBJECT_SWEEP.format(sweep_id=sweep_id), started, msg_id=f"sweep-{sweep_id}")
    await remember_sites(bus, sites, started.at, quarter, sweep_id)
    for site in sites:
        await bus.publish(
            SUBJECT_SITE_JOB.format(site_id=site.site_id),
            SiteJob(sweep_id=sweep_id, at=started.at, quarter=quarter, site=site),
            msg_id=f"site-{sweep_id}-{site.site_id}",
        )
    return sweep_id


async def follow_verdicts(
    bus: Bus,
    sweep_id: str,
    expected: int,
    timeout_s: float,
    progress: Callable[[int, int], None] | None = None,
) -> list[SiteVerdict]:
    """Collect the sweep's verdicts from the results stream (one per site) until all are in.

    Returns what arrived; a caller compares its length with `expected` to see a timeout.
    """
    verdicts: dict[str, SiteVerdict] = {}
    done = asyncio.Event()

    async def on_msg(msg) -> None:
        verdict = msgspec.json.decode(msg.data, type=SiteVerdict)
        verdicts[verdict.site.site_id] = verdict
        if progress:
            progress(len(verdicts), expected)
        if len(verdicts) >= expected:
            done.set()

    subject = SUBJECT_VERDICT.format(sweep_id=sweep_id, site_id="*")
    deadline = asyncio.get_running_loop().time() + timeout_s
    while expected and not done.is_set():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0 or not await bus.wait_ready(left):
            break
        # The ordered consumer lives in the server's memory: after a reconnect (a restarted
        # server may have lost it) subscribe again; verdicts already seen just replace themselves.
        generation = bus.generation
        sub = await bus.js.subscribe(subject, ordered_consumer=True, cb=on_msg)
        try:
            while not done.is_set() and bus.generation == generation:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), min(left, 1.0))
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
    return sorted(verdicts.values(), key=lambda v: v.site.site_id)
