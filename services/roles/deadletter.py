"""What a dead-lettered job becomes: never a lost site, never a false 不合格, but 未能检测 with why.

A column job that failed every delivery is published as an unmeasured column (it counts towards
nothing, the checker still judges the site); a site job, or a result the checker could not judge,
becomes the site's 未能检测 verdict. Payloads that cannot even be decoded stay on the dead-letter
subject only (the sweep then reports the site as timed out).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from checkers.model import UNMEASURED, Verdict
from crawler.model import ColumnFacts, FetchResult
from services.bus.jetstream import (
    RESULTS_STREAM,
    SUBJECT_COLUMN,
    SUBJECT_HOME,
    SUBJECT_VERDICT,
    Bus,
    DeadHandler,
)
from services.bus.schema import ColumnJob, ColumnResult, HomeResult, SiteJob, SiteVerdict
from services.log import log


def unmeasured_verdict(
    sweep_id: str, at: str, quarter: str, site: SiteJob | HomeResult, reason: str
) -> SiteVerdict:
    return SiteVerdict(
        sweep_id=sweep_id,
        at=at,
        quarter=quarter,
        site=site.site,
        verdict=Verdict(verdict=UNMEASURED, unmeasured=[reason], blocked_by=["dead-letter"]),
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        recheck=site.recheck,
        home_url=site.site.url,
    )


def for_jobs(bus: Bus) -> DeadHandler:
    """Dead-letter outcome for the crawler and browser consumers (site and column jobs)."""

    async def on_dead(msg: Msg, reason: str) -> None:
        try:
            if ".column." in msg.subject or ".browser." in msg.subject:
                job = msgspec.json.decode(msg.data, type=ColumnJob)
                facts = ColumnFacts(
                    column=job.column,
                    fetch=FetchResult(url=job.column.url),
                    measured=False,
                    reason=reason,
                )
                await bus.publish(
                    SUBJECT_COLUMN.format(
                        sweep_id=job.sweep_id, site_id=job.site_id, index=job.index
                    ),
                    ColumnResult(job.sweep_id, job.site_id, job.index, facts),
                    msg_id=f"col-{job.sweep_id}-{job.site_id}-{job.index}",
                )
            elif ".site." in msg.subject:
                site = msgspec.json.decode(msg.data, type=SiteJob)
                await _publish_verdict(
                    bus, unmeasured_verdict(site.sweep_id, site.at, site.quarter, site, reason)
                )
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            log("dead letter not decodable", {"subject": msg.subject, "error": str(exc)})

    return on_dead


def for_results(bus: Bus) -> DeadHandler:
    """Dead-letter outcome for the checker: the site's 未能检测 verdict, if its home result is in."""

    async def on_dead(msg: Msg, reason: str) -> None:
        tokens = msg.subject.split(".")  # govsweep.results.<home|column>.<sweep>.<site>[.<n>]
        if len(tokens) < 5:
            return
        sweep_id, site_id = tokens[3], tokens[4]
        try:
            raw = await bus.js.get_last_msg(
                RESULTS_STREAM, SUBJECT_HOME.format(sweep_id=sweep_id, site_id=site_id)
            )
            home = msgspec.json.decode(raw.data or b"", type=HomeResult)
        except (NotFoundError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log("dead letter without its site", {"subject": msg.subject, "error": repr(exc)})
            return
        await _publish_verdict(
            bus, unmeasured_verdict(sweep_id, home.at, home.quarter, home, reason)
        )

    return on_dead


async def _publish_verdict(bus: Bus, verdict: SiteVerdict) -> None:
    await bus.publish(
        SUBJECT_VERDICT.format(sweep_id=verdict.sweep_id, site_id=verdict.site.site_id),
        verdict,
        msg_id=f"verdict-{verdict.sweep_id}-{verdict.site.site_id}",
    )
