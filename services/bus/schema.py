"""Every message on the bus, as msgspec Structs. Subjects are documented in ARCHITECTURE.md."""

from __future__ import annotations

import msgspec

from checkers.model import Finding, Verdict
from crawler.model import ColumnFacts, ColumnRef, HomeFacts, LinkStatus, LinkSummary
from crawler.model import Probe as Probe  # the probe message: govsweep.results.probe.<site_id>


class Site(msgspec.Struct, omit_defaults=True):
    """One row of the site registry."""

    site_id: str  # 政府网站标识码: 10 digits or bm + 8 digits
    name: str
    url: str
    region_code: str  # 6-digit GB/T 2260 code (from the 标识码 when not given)
    region_name: str = ""  # 地区/部门 as the registry names it
    kind: str = "门户"  # 门户 or 部门 (网站类型)
    unit: str = ""  # 填报单位
    external_services: bool = True  # False: a department without external services (75 × 4/3 rule)


class SweepStarted(msgspec.Struct):
    """Published once per sweep, before its site jobs."""

    sweep_id: str
    at: str  # monitoring time point T, YYYY-MM-DD
    quarter: str  # e.g. 2024Q1
    sites: int
    started_at: str


class SiteJob(msgspec.Struct):
    sweep_id: str
    at: str
    quarter: str
    site: Site
    recheck: bool = False
    # A recheck of some columns only: these are read again, the site's other columns keep their
    # results from `previous_sweep` (the site's last sweep).
    columns: list[str] = []
    previous_sweep: str = ""


class ColumnJob(msgspec.Struct):
    sweep_id: str
    at: str
    site_id: str
    index: int  # position of the column in the site's column list
    total: int  # how many columns the site has in this sweep
    column: ColumnRef


class HomeResult(msgspec.Struct):
    """The home page facts of a site; `columns` says how many column results to wait for."""

    sweep_id: str
    at: str
    quarter: str
    site: Site
    home: HomeFacts
    columns: int
    recheck: bool = False


class ColumnResult(msgspec.Struct):
    sweep_id: str
    site_id: str
    index: int
    facts: ColumnFacts


class SiteVerdict(msgspec.Struct):
    """The checker's verdict on one site in one sweep: what the aggregator rolls up."""

    sweep_id: str
    at: str
    quarter: str
    site: Site
    verdict: Verdict
    checked_at: str
    recheck: bool = False
    home_url: str = ""
    columns_read: int = 0
    columns_unmeasured: int = 0
    links: LinkSummary | None = None  # the site's link counts (None: links were not checked)


class AvailabilityAlert(msgspec.Struct):
    """The monitor saw a site's week of probes cross the W-V2 early-warning or veto line."""

    site_id: str
    url: str
    at: str  # ISO timestamp of the probe that crossed the line
    finding: Finding  # the W-V2 finding over the week before `at` (level warning or veto)


class DeadLetter(msgspec.Struct):
    """A job that failed every delivery, parked on govsweep.results.deadletter.<consumer>."""

    consumer: str
    subject: str
    stream_seq: int
    deliveries: int
    error: str
    data: str  # the job's payload (UTF-8, truncated at 64 KiB)


class LinkBatch(msgspec.Struct, omit_defaults=True):
    """Link checks one crawler process wrote at once to the sweep's link cache
    (services.bus.link_cache): final statuses, links held for a re-check, holds given up.

    Most links answer a single 200 and nothing else: those are listed by URL only, under the
    second they were checked (about a third of the bytes of a full LinkStatus)."""

    ok: dict[str, list[str]] = {}  # checked_at → URLs that answered 200 at once, at that second
    statuses: list[LinkStatus] = []  # every other final status (found_on, external: the reader's)
    held: dict[str, float] = {}  # URL → when its re-check began (Unix time)
    released: list[str] = []

    @classmethod
    def of(
        cls, settled: list[LinkStatus], held: dict[str, float], released: list[str]
    ) -> LinkBatch:
        ok: dict[str, list[str]] = {}
        full: list[LinkStatus] = []
        for status in settled:
            at = status.checked_at
            if at is not None and status == LinkStatus(status.url, "ok", status=200, checked_at=at):
                ok.setdefault(at, []).append(status.url)
            else:
                full.append(status)
        return cls(ok, full, held, released)

    def final(self) -> list[LinkStatus]:
        """The final statuses, in full."""
        plain = [
            LinkStatus(url, "ok", status=200, checked_at=at)
            for at, urls in self.ok.items()
            for url in urls
        ]
        return plain + self.statuses
