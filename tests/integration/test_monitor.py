"""A week of availability probes on a simulated clock: loopback sites that fail at set ratios,
the real monitor loop, a real nats-server, the probes read back from the stream and judged."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from nats.js.errors import NotFoundError

from checkers.availability import baseline_limits, check_availability, time_point
from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from services.bus.jetstream import RESULTS_STREAM, Bus, EmbeddedServer
from services.bus.schema import AvailabilityAlert, Site
from services.config import LOOPBACK, Config
from services.roles.monitor import (
    SUBJECT_ALERT,
    Monitor,
    Schedule,
    SimClock,
    probes_for,
    run_monitor,
)
from tests.conftest import AT

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

pytestmark = pytest.mark.integration

UNTIL = time_point(AT)
WEEK_START = UNTIL - timedelta(days=7)
PER_WEEK = 1000  # 4.9 % and 5.0 % of it are whole numbers of probes
PER_DAY = PER_WEEK / 7

# site name → (failures per 1000 probes that met no WAF, WAF challenges per 1000 probes)
FAULTS = {
    "zero": (0, 0),
    "under": (49, 0),  # 4.9 %
    "line": (50, 0),  # 5.0 %
    "down": (200, 0),  # 20 %
    "walled": (40, 100),  # 40 of 900 usable probes (4.4 %); 14 % if WAF probes were failures
}
ALERT_FAULTS = {"calm": (0, 0), "shaky": (40, 0), "failing": (100, 0)}  # 0 %, 4 %, 10 %


def hit(count: int, share: int, of: int = 1000) -> bool:
    """Exactly `share` of every `of` requests, spread evenly."""
    return (count + 1) * share // of > count * share // of


class Sites:
    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.unwalled: dict[str, int] = {}  # requests that met no WAF

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        count = self.requests.get(name, 0)
        self.requests[name] = count + 1
        failures, challenges = {**FAULTS, **ALERT_FAULTS}.get(name, (0, 0))
        if hit(count, challenges):
            return web.Response(status=412, text="<script>document.cookie='__jsl_clearance'")
        usable = self.unwalled.get(name, 0)
        self.unwalled[name] = usable + 1
        if hit(usable, failures, 1000 - challenges):
            return web.Response(status=502 if count % 2 else 503, text="Bad Gateway")
        return web.Response(text="<html><body>首页</body></html>", content_type="text/html")


@pytest.fixture
async def bus(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    await server.start()
    bus = await Bus.connect(server.url)
    yield bus
    await bus.close()
    await server.stop()


@pytest.fixture
async def sites():
    state = Sites()
    app = web.Application()
    app.router.add_get("/{name}/", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]
    yield state, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def last_alert(bus: Bus, site_id: str):
    return bus.js.get_last_msg(RESULTS_STREAM, SUBJECT_ALERT.format(site_id=site_id))


def site(number: int, name: str, base: str) -> Site:
    return Site(
        site_id=f"52000000{number:02d}", name=name, url=f"{base}/{name}/", region_code="520000"
    )


async def probe_week(
    bus: Bus, targets: list[Site], start, schedule: Schedule, concurrency: int = 16
) -> int:
    fetcher = Fetcher(Politeness(concurrency=8, rate=100_000), timeout_s=15.0, policy=FARM)
    async with fetcher:
        clock = SimClock(start)
        monitor = Monitor(bus, targets, fetcher, schedule, clock, concurrency=concurrency)
        return await monitor.run(asyncio.Event(), until=UNTIL)


async def test_a_week_of_probes_vetoes_exactly_from_five_percent(bus: Bus, sites) -> None:
    state, base = sites
    targets = [site(i, name, base) for i, name in enumerate(FAULTS)]
    schedule = Schedule(PER_DAY, WEEK_START)
    assert await probe_week(bus, targets, WEEK_START, schedule) == PER_WEEK * len(targets)
    assert state.requests == {name: PER_WEEK for name in FAULTS}

    outcome = {}
    for target in targets:
        probes = await probes_for(bus, target.site_id, AT)
        assert len(probes) == PER_WEEK
        [finding] = check_availability(probes, baseline_limits(), UNTIL, "gov-2019-19")
        outcome[target.name] = (finding.level, finding.holds)
    assert outcome == {
        "zero": ("observation", False),
        "under": ("warning", False),  # 4.9 %: past the 3 % early warning, short of the veto
        "line": ("veto", True),  # 5.0 %
        "down": ("veto", True),
        "walled": ("warning", False),  # WAF probes counted apart
    }

    # Probes are spread: one in every slot of 86400/PER_DAY seconds, none two in a slot.
    probes = await probes_for(bus, targets[0].site_id, AT)
    slots = {int((datetime.fromisoformat(p.at) - WEEK_START) / schedule.slot) for p in probes}
    assert slots == set(range(PER_WEEK))


async def test_a_hundred_probes_is_unmeasured_and_a_second_monitor_adds_none(
    bus: Bus, sites
) -> None:
    _, base = sites
    newcomer = site(9, "zero", base)
    schedule = Schedule(PER_DAY, WEEK_START)
    start = UNTIL - 100 * schedule.slot
    assert await probe_week(bus, [newcomer], start, schedule) == 100
    # A second monitor on the same schedule (high availability) stores no probe twice.
    await probe_week(bus, [newcomer], start, schedule)
    probes = await probes_for(bus, newcomer.site_id, AT)
    assert len(probes) == 100
    [finding] = check_availability(probes, baseline_limits(), UNTIL)
    assert finding.level == "unmeasured"
    assert "(100 probes, 0 failed)" in finding.message


async def test_run_monitor_probes_every_site_on_the_configured_schedule(bus: Bus, sites) -> None:
    state, base = sites
    config = msgspec.convert(
        {
            "availability": {"probes_per_day": 24},
            "crawl": {"per_host_rate": 1000, "allow_networks": [LOOPBACK]},
        },
        Config,
    )
    targets = [site(1, "zero", base), site(2, "down", base)]
    clock = SimClock(UNTIL - timedelta(days=1))
    published = await run_monitor(bus, config, targets, asyncio.Event(), clock, until=UNTIL)
    assert published == 48  # 24 a day each
    probes = await probes_for(bus, targets[1].site_id, AT)
    assert len(probes) == 24 and {p.timeout_s for p in probes} == {15.0}
    assert sum(p.outcome == "failed" for p in probes) == sum(hit(i, 200) for i in range(24))


async def test_the_monitor_alerts_when_a_line_is_crossed(bus: Bus, sites) -> None:
    _, base = sites
    targets = [site(20 + i, name, base) for i, name in enumerate(ALERT_FAULTS)]
    # One probe at a time, so that the n-th probe is the server's n-th request.
    await probe_week(bus, targets, WEEK_START, Schedule(20, WEEK_START), concurrency=1)
    calm, shaky, failing = targets
    with pytest.raises(NotFoundError):
        await last_alert(bus, calm.site_id)
    for target, line in ((shaky, "warning"), (failing, "veto")):
        alert = msgspec.json.decode(
            (await last_alert(bus, target.site_id)).data, type=AvailabilityAlert
        )
        assert (alert.site_id, alert.finding.level, alert.finding.indicator) == (
            target.site_id,
            line,
            "W-V2",
        )
        # Raised by the probe that completed the week's sample of 140, not before.
        assert datetime.fromisoformat(alert.at) >= UNTIL - Schedule(20, WEEK_START).slot


async def test_a_probe_the_ssrf_guard_refuses_is_blocked_never_failed(bus: Bus, sites) -> None:
    state, base = sites
    target = site(3, "down", base)  # would fail if requested; the guard refuses loopback first
    before = state.requests.get("down", 0)
    async with Fetcher(Politeness(concurrency=1, rate=100_000), timeout_s=15.0) as fetcher:
        monitor = Monitor(bus, [target], fetcher, Schedule(PER_DAY, WEEK_START), SimClock(UNTIL))
        probe = await monitor.probe(target, UNTIL)
    assert probe.outcome == "blocked" and (probe.error or "").startswith("blocked_by_policy")
    assert state.requests.get("down", 0) == before  # the site never saw a request
