"""复查: re-inspect one site on request, with priority over sweep jobs.

Any NATS client asks for a recheck by publishing to `govsweep.jobs.recheck.<标识码>`; the payload is
optional JSON `{"columns": [URL, …]}` (an empty payload rechecks the whole site). The crawler turns
the request into a `SiteJob` with `recheck_job`, which finds the site in the KV bucket
`govsweep_sites` that every sweep fills (`remember_sites`): the recheck is judged for the quarter of
the site's last sweep, so the store's latest-wins makes it the quarter's verdict.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import msgspec
from nats.aio.msg import Msg
from nats.js import api as js_api
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from services.bus.jetstream import SITES_BUCKET, SUBJECT_RECHECK, SUBJECT_VERDICT, Bus
from services.bus.schema import Site, SiteJob, SiteVerdict
from services.log import log
from services.registry import SITE_ID_RE

RECHECK_PREFIX = SUBJECT_RECHECK.format(site_id="")
PUT_CONCURRENCY = 64  # KV writes in flight at once while a sweep registers its sites


class RecheckError(Exception):
    """A recheck request that cannot be served; the message names the input and the problem."""


class SiteRecord(msgspec.Struct):
    """A KV value: a site as last swept, and that sweep's time point and quarter."""

    site: Site
    at: str
    quarter: str
    sweep_id: str = (
        ""  # the sweep that last inspected the site (a column recheck reuses its results)
    )


class RecheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The optional JSON payload of a recheck message."""

    columns: list[str] = []  # column URLs to look at again; empty = the whole site


async def sites_bucket(bus: Bus) -> KeyValue:
    """The `govsweep_sites` bucket (declared by the bus; one value per site)."""
    return await bus.js.key_value(SITES_BUCKET)


async def remember_sites(
    bus: Bus, sites: list[Site], at: str, quarter: str, sweep_id: str = ""
) -> None:
    """Record each site of a sweep, keyed by 标识码, so a later recheck can find it."""
    kv = await sites_bucket(bus)
    for start in range(0, len(sites), PUT_CONCURRENCY):
        await asyncio.gather(
            *(
                kv.put(site.site_id, msgspec.json.encode(SiteRecord(site, at, quarter, sweep_id)))
                for site in sites[start : start + PUT_CONCURRENCY]
            )
        )


def parse_request(subject: str, payload: bytes) -> tuple[str, RecheckRequest]:
    """The 标识码 and the request of a recheck message; RecheckError says what is wrong."""
    site_id = subject.removeprefix(RECHECK_PREFIX)
    if not subject.startswith(RECHECK_PREFIX) or not SITE_ID_RE.match(site_id):
        raise RecheckError(
            f"recheck subject {subject!r}: expected {RECHECK_PREFIX}<标识码> with a 10-digit or "
            "bm+8-digit 政府网站标识码"
        )
    if not payload.strip():
        return site_id, RecheckRequest()
    try:
        request = msgspec.json.decode(payload, type=RecheckRequest)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RecheckError(
            f"recheck {site_id}: payload must be empty or JSON like "
            f'{{"columns": ["http://…"]}}: {exc}'
        ) from None
    bad = [url for url in request.columns if not url.startswith(("http://", "https://"))]
    if bad:
        raise RecheckError(f"recheck {site_id}: columns must be http(s) URLs, got {bad}")
    return site_id, request


async def recheck_job(
    bus: Bus, subject: str, payload: bytes, *, now: datetime | None = None
) -> SiteJob | None:
    """The site job for a recheck message, or None (with an error logged) when it cannot be served.

    The job's time point is today (the recheck's own 监测时间点); its quarter is the one of the
    site's last sweep.
    """
    try:
        site_id, request = parse_request(subject, payload)
        try:
            entry = await (await sites_bucket(bus)).get(site_id)
        except KeyNotFoundError:
            raise RecheckError(
                f"recheck {site_id}: unknown 标识码, no sweep has inspected this site"
            ) from None
        record = msgspec.json.decode(entry.value or b"", type=SiteRecord)
    except (RecheckError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        log("recheck refused", {"subject": subject, "error": str(exc)}, level="error")
        return None
    now = now or datetime.now()
    log("recheck", {"site": site_id, "quarter": record.quarter, "columns": request.columns})
    return SiteJob(
        sweep_id=f"recheck-{site_id}-{now:%Y%m%d%H%M%S}",
        at=now.date().isoformat(),
        quarter=record.quarter,
        site=record.site,
        recheck=True,
        columns=request.columns,
        previous_sweep=record.sweep_id if request.columns else "",
    )


async def request_recheck(
    bus: Bus, site_id: str, columns: list[str], wait_s: float = 0
) -> SiteVerdict | None:
    """Publish a recheck request, as any other NATS client could.

    With `wait_s` > 0, return the recheck verdict for the site that lands within that time (None if
    none does); without, return None at once.
    """
    subject = SUBJECT_RECHECK.format(site_id=site_id)
    payload = msgspec.json.encode(RecheckRequest(columns)) if columns else b""
    parse_request(subject, payload)  # refuse bad input before anything is sent
    if wait_s <= 0:
        await bus.js.publish(subject, payload)
        return None
    found: asyncio.Future[SiteVerdict] = asyncio.get_running_loop().create_future()

    async def on_verdict(msg: Msg) -> None:
        verdict = msgspec.json.decode(msg.data, type=SiteVerdict)
        if verdict.recheck and not found.done():
            found.set_result(verdict)

    # Subscribe before publishing, so even a very fast verdict is seen.
    sub = await bus.js.subscribe(
        SUBJECT_VERDICT.format(sweep_id="*", site_id=site_id),
        ordered_consumer=True,
        deliver_policy=js_api.DeliverPolicy.NEW,
        cb=on_verdict,
    )
    try:
        await bus.js.publish(subject, payload)
        return await asyncio.wait_for(found, wait_s)
    except TimeoutError:
        return None
    finally:
        await sub.unsubscribe()
