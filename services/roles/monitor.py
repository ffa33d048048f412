"""Availability monitoring (W-V2): every home page probed at least 20 times a day, spread out.

A day is cut into slots of 86400 / probes_per_day seconds from a fixed origin; each site is probed
once per slot at an offset in the slot's middle half fixed by (site, slot), so probes are spread
and jittered yet the same for every monitor process. A probe is one GET of the home page that
fails unless the page arrives within timeout_s (15 s); a WAF challenge is recorded as such.

Probes go to the results stream on govsweep.results.probe.<site_id> with the Nats-Msg-Id
probe-<site>-<slot start>: two monitors on the same schedule store each probe once. When a site's
last week of probes crosses the early-warning or the veto line, an AvailabilityAlert goes to
govsweep.results.alert.<site_id>. `probes_for` reads a site's week before T back from the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
from collections import deque
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

import msgspec
from nats.js import api as js_api

from checkers.availability import CHINA, baseline_limits, check_availability, time_point
from checkers.rules import AvailabilityRules, load_rules
from crawler.fetch import Fetcher
from crawler.model import Probe
from crawler.netguard import BLOCKED, NetPolicy
from crawler.politeness import Politeness
from services import metrics
from services.bus.jetstream import RESULTS_STREAM, Bus
from services.bus.schema import AvailabilityAlert, Site
from services.config import Config
from services.log import log

SUBJECT_PROBE = "govsweep.results.probe.{site_id}"
SUBJECT_ALERT = "govsweep.results.alert.{site_id}"
ALERT_LINES = ("warning", "veto")  # finding levels that raise an alert, in rising order
WINDOW_DAYS = 7  # "监测1周"
READ_BATCH = 500
READ_MAX = 200_000  # probes read back for one site at most (a week at one a minute is 10 080)
STREAM_MARGIN = timedelta(hours=1)  # stream time may trail the probe's own clock a little


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime, stop: asyncio.Event) -> None: ...


class WallClock:
    """Real time, in China's time zone (the bulletins' days)."""

    def now(self) -> datetime:
        return datetime.now(CHINA)

    async def sleep_until(self, moment: datetime, stop: asyncio.Event) -> None:
        seconds = (moment - self.now()).total_seconds()
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)


class SimClock:
    """Simulated time for tests and replays: sleeping moves the clock on at once."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError(f"SimClock needs a time zone, got {start.isoformat()}")
        self.current = start

    def now(self) -> datetime:
        return self.current

    async def sleep_until(self, moment: datetime, stop: asyncio.Event) -> None:
        self.current = max(self.current, moment)
        await asyncio.sleep(0)


class Schedule:
    """When each site is probed: one moment per slot, in the middle half of the slot."""

    def __init__(self, probes_per_day: float, origin: datetime) -> None:
        if probes_per_day <= 0 or origin.tzinfo is None:
            raise ValueError(
                f"Schedule: probes_per_day ({probes_per_day}) must be positive and the origin "
                f"({origin.isoformat()}) must carry a time zone"
            )
        self.slot = timedelta(seconds=86400 / probes_per_day)
        self.origin = origin

    def slot_start(self, slot: int) -> datetime:
        return self.origin + slot * self.slot

    def moment(self, site_id: str, slot: int) -> datetime:
        digest = hashlib.sha256(f"{site_id}:{slot}".encode()).digest()
        fraction = int.from_bytes(digest[:8], "big") / 2**64
        return self.slot_start(slot) + self.slot * (0.25 + 0.5 * fraction)

    def first_slot(self, site_id: str, after: datetime) -> int:
        """The first slot whose probe moment is at or after `after`."""
        slot = max(0, int((after - self.origin) / self.slot))
        while self.moment(site_id, slot) < after:
            slot += 1
        return slot


def day_origin(moment: datetime) -> datetime:
    """Midnight (China time) of the moment's day: slots of a whole-day fraction line up every day."""
    return datetime.combine(moment.astimezone(CHINA).date(), time(0), CHINA)


class Monitor:
    """Probes every site on the schedule, publishes each probe, and raises an alert when a site's
    week of probes crosses the early-warning or the veto line (checkers.availability)."""

    def __init__(
        self,
        bus: Bus,
        sites: list[Site],
        fetcher: Fetcher,
        schedule: Schedule,
        clock: Clock,
        concurrency: int = 32,
        limits: AvailabilityRules | None = None,
    ) -> None:
        if not sites:
            raise ValueError("Monitor: no sites to probe")
        self.bus = bus
        self.sites = sites
        self.fetcher = fetcher
        self.schedule = schedule
        self.clock = clock
        self.concurrency = concurrency
        self.limits = limits or baseline_limits()
        self.published = 0
        self._weeks: dict[str, deque[Probe]] = {}  # each site's probes of the last `days` days
        self._alerted: dict[str, str] = {}  # the line each site was last alerted for

    async def load_weeks(self) -> None:
        """The probes already on the stream, so a restarted monitor warns on the whole week."""
        now = self.clock.now()
        for site in self.sites:
            week = await probes_for(self.bus, site.site_id, now, self.limits.days)
            self._weeks[site.site_id] = deque(week)

    async def probe(self, site: Site, started: datetime) -> Probe:
        """One GET of the home page: ok, failed (not loaded within the time limit) or waf."""
        page = await self.fetcher.get(site.url, retries_on_busy=0)
        result = page.result
        if page.body is not None:
            outcome = "ok"
        elif result.error == "waf_challenge":
            outcome = "waf"
        elif (result.error or "").startswith(BLOCKED):
            outcome = "blocked"  # refused by the SSRF guard: not measured, never a failure
        else:
            outcome = "failed"
        return Probe(
            site_id=site.site_id,
            url=site.url,
            at=started.isoformat(timespec="seconds"),
            outcome=outcome,
            status=result.status,
            error=result.error,
            elapsed_ms=result.elapsed_ms,
            timeout_s=self.fetcher.timeout_s,
        )

    async def run(self, stop: asyncio.Event, until: datetime | None = None) -> int:
        """Probe until `stop` is set (or the schedule reaches `until`); returns probes published."""
        now = self.clock.now()
        due = []  # (moment, slot, site index): a heap, the next probe first
        for index, site in enumerate(self.sites):
            slot = self.schedule.first_slot(site.site_id, now)
            due.append((self.schedule.moment(site.site_id, slot), slot, index))
        heapq.heapify(due)
        free = asyncio.Semaphore(self.concurrency)
        running: set[asyncio.Task] = set()
        while not stop.is_set():
            moment, slot, index = due[0]
            if until is not None and moment >= until:
                break
            await self.clock.sleep_until(moment, stop)
            if stop.is_set():
                break
            site_id = self.sites[index].site_id
            heapq.heapreplace(due, (self.schedule.moment(site_id, slot + 1), slot + 1, index))
            await free.acquire()
            started = self.clock.now()
            task = asyncio.create_task(self._probe_and_publish(self.sites[index], slot, started))
            running.add(task)
            task.add_done_callback(running.discard)
            task.add_done_callback(lambda _: free.release())
        if running:
            await asyncio.gather(*running)
        return self.published

    async def _probe_and_publish(self, site: Site, slot: int, started: datetime) -> None:
        slot_id = int(self.schedule.slot_start(slot).timestamp())
        try:
            probe = await self.probe(site, started)
            metrics.PROBES.labels(probe.outcome).inc()
            await self.bus.publish(
                SUBJECT_PROBE.format(site_id=site.site_id),
                probe,
                msg_id=f"probe-{site.site_id}-{slot_id}",
            )
            self.published += 1
            if probe.outcome != "ok":
                fields = {"site": site.site_id, "outcome": probe.outcome, "error": probe.error}
                log("probe failed", fields, level="debug")
            await self._watch(site, probe, started)
        except Exception as exc:  # e.g. the bus is away: this probe is lost, the next may land
            log("probe or alert not stored", {"site": site.site_id, "error": repr(exc)}, "warning")

    async def _watch(self, site: Site, probe: Probe, started: datetime) -> None:
        """Alert once per line crossed upwards; falling back below the warning line re-arms."""
        week = self._weeks.setdefault(site.site_id, deque())
        week.append(probe)
        horizon = started - timedelta(days=self.limits.days)
        while week and datetime.fromisoformat(week[0].at) < horizon:
            week.popleft()
        [finding] = check_availability(week, self.limits, started + timedelta(seconds=1))
        line = finding.level if finding.level in ALERT_LINES else None
        before = self._alerted.get(site.site_id)
        if line is None:
            if finding.level != "unmeasured":
                self._alerted.pop(site.site_id, None)
            return
        if before is not None and ALERT_LINES.index(line) <= ALERT_LINES.index(before):
            return
        self._alerted[site.site_id] = line
        alert = AvailabilityAlert(site.site_id, site.url, probe.at, finding)
        log("availability alert", {"site": site.site_id, "line": line, "message": finding.message})
        await self.bus.publish(
            SUBJECT_ALERT.format(site_id=site.site_id),
            alert,
            msg_id=f"alert-{site.site_id}-{line}-{probe.at}",
        )


def make_probe_fetcher(config: Config) -> Fetcher:
    """A fetcher of its own: probes are rare per host, and must not queue behind a sweep."""
    return Fetcher(
        Politeness(concurrency=1, rate=config.crawl.per_host_rate),
        timeout_s=config.availability.timeout_s,
        max_bytes=config.crawl.max_page_bytes,
        max_redirects=config.crawl.max_redirects,
        user_agent=config.crawl.user_agent,
        policy=NetPolicy(config.crawl.allow_networks),
    )


async def run_monitor(
    bus: Bus,
    config: Config,
    sites: list[Site],
    stop: asyncio.Event,
    clock: Clock | None = None,
    until: datetime | None = None,
) -> int:
    """The `govsweep monitor` loop (and the monitor role of a distributed deployment)."""
    clock = clock or WallClock()
    schedule = Schedule(config.availability.probes_per_day, day_origin(clock.now()))
    overlays = [Path(overlay) for overlay in config.check.overlays]
    rules = load_rules(config.check.rules or None, overlays)
    limits = rules.availability  # the rule file's W-V2 lines (None: the baseline's)
    async with make_probe_fetcher(config) as fetcher:
        monitor = Monitor(
            bus, sites, fetcher, schedule, clock, config.availability.concurrency, limits
        )
        await monitor.load_weeks()
        log("monitor started", {"sites": len(sites), "per_day": config.availability.probes_per_day})
        return await monitor.run(stop, until)


async def probes_for(
    bus: Bus, site_id: str, at: date | datetime, days: int = WINDOW_DAYS
) -> list[Probe]:
    """The site's probes started in the `days` before the time point (`at`: a date T, meaning
    the end of day T in China time, or an aware datetime), oldest first."""
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError(f"probes_for: the time point needs a time zone, got {at.isoformat()}")
        until = at
    else:
        until = time_point(at)
    start = until - timedelta(days=days)
    config = js_api.ConsumerConfig(
        deliver_policy=js_api.DeliverPolicy.BY_START_TIME,
        opt_start_time=start - STREAM_MARGIN,
        ack_policy=js_api.AckPolicy.NONE,
        inactive_threshold=30.0,
        mem_storage=True,
    )
    subject = SUBJECT_PROBE.format(site_id=site_id)
    sub = await bus.js.pull_subscribe(subject, stream=RESULTS_STREAM, config=config)
    probes: list[tuple[datetime, Probe]] = []
    info = await sub.consumer_info()
    try:
        remaining, read = info.num_pending, 0
        while remaining and read < READ_MAX:
            msgs = await sub.fetch(min(remaining, READ_BATCH), timeout=5)
            read += len(msgs)
            for msg in msgs:
                probe, started = _decode_probe(msg.data, subject)
                if probe is not None and started is not None and start <= started < until:
                    probes.append((started, probe))
            remaining = msgs[-1].metadata.num_pending
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
            await bus.js.delete_consumer(RESULTS_STREAM, info.name)
    return [probe for _, probe in sorted(probes, key=lambda pair: pair[0])]


def _decode_probe(data: bytes, subject: str) -> tuple[Probe | None, datetime | None]:
    """A probe and its start; a record that is not one is logged and skipped."""
    try:
        probe = msgspec.json.decode(data, type=Probe)
        started = datetime.fromisoformat(probe.at)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        log("bad probe record skipped", {"subject": subject, "error": str(exc)}, level="warning")
        return None, None
    if started.tzinfo is None:
        log("probe without time zone skipped", {"subject": subject, "at": probe.at}, "warning")
        return None, None
    return probe, started
