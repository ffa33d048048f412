"""Scheduler: publish a sweep's site jobs (services.reporting.verdict_spool follows its verdicts)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from services.bus.jetstream import SUBJECT_SITE_JOB, SUBJECT_SWEEP, Bus
from services.bus.schema import Site, SiteJob, SweepStarted
from services.roles.recheck import remember_sites


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
