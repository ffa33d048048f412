"""Roll-ups from the results stream on a real nats-server: duplicates, disorder, rebuild, report.

Every verdict of a sweep is published twice, out of order and without a Nats-Msg-Id (as a
redelivery outside the duplicate window would arrive); the aggregator's tables must equal those
computed straight from the verdicts, and `aggregate --rebuild` must give byte-identical CSV files.
The HTML report of the result is rendered in headless Chromium and a screenshot kept.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import msgspec
import pytest
from prometheus_client import REGISTRY

from checkers.model import FAIL, PASS, UNMEASURED, Finding, Verdict
from services.bus.jetstream import SUBJECT_SWEEP, SUBJECT_VERDICT, Bus, EmbeddedServer
from services.bus.schema import Site, SiteVerdict, SweepStarted
from services.cli.report_cmd import aggregate, report
from services.config import Config
from services.reporting.report import rollup
from services.reporting.store import Store
from services.roles import aggregator

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
QUARTER = "2024Q1"
SWEEP_ID = "2024Q1-20240320-a1b2c3"
AT = "2024-03-20"
MESSAGES = {
    "W-V3": ("首页不更新", "监测时间点前2周内首页无信息更新"),
    "W-V4-1": ("栏目不更新", "动态、要闻类栏目及通知公告、政策文件类一级栏目累计超过(含)5个未更新"),
    "W-V4-3": ("空白栏目", "空白栏目数量超过(含)5个"),
}
CODES = ["520000", "520100", "520102", "520200", "520300", "520600", "520624", "522600", "522634"]


def sweep_verdicts(count: int = 60) -> list[SiteVerdict]:
    """A sweep over a province: about a fifth fail, a few cannot be checked."""
    rng = random.Random(2024)
    verdicts = []
    for i in range(count):
        code = CODES[i % len(CODES)]
        site = Site(f"{code}{i:04d}", f"测试网站{i}", f"http://127.0.0.1:9/{i}/", code)
        roll = rng.random()
        findings, unmeasured, result = [], [], PASS
        if roll < 0.2:
            result = FAIL
            for indicator in rng.sample(sorted(MESSAGES), rng.randint(1, 2)):
                name, message = MESSAGES[indicator]
                findings.append(Finding(indicator, name, "veto", message))
        elif roll < 0.27:
            result, unmeasured = UNMEASURED, ["首页无法访问（timeout）"]
        verdicts.append(
            SiteVerdict(
                sweep_id=SWEEP_ID,
                at=AT,
                quarter=QUARTER,
                site=site,
                verdict=Verdict(result, findings, unmeasured),
                checked_at=f"2024-03-20T10:{i % 60:02d}:{i // 60:02d}",
            )
        )
    return verdicts


async def publish_results(bus: Bus, verdicts: list[SiteVerdict]) -> None:
    started = SweepStarted(SWEEP_ID, AT, QUARTER, len(verdicts), "2024-03-20T09:00:00")
    subject = SUBJECT_SWEEP.format(sweep_id=SWEEP_ID)
    await bus.js.publish(subject, msgspec.json.encode(started))
    twice = verdicts + verdicts
    random.Random(5).shuffle(twice)
    for v in twice:
        subject = SUBJECT_VERDICT.format(sweep_id=v.sweep_id, site_id=v.site.site_id)
        await bus.js.publish(subject, msgspec.json.encode(v))  # no Msg-Id: nothing deduplicates
    await bus.js.publish(subject, b"{not json")  # a poisoned message must not stop anything


async def drain_aggregator(bus: Bus, config: Config) -> None:
    """Run the aggregator role until its durable consumer has nothing pending or unacked."""
    stop = asyncio.Event()
    task = asyncio.create_task(aggregator.run(bus, config, stop))
    try:
        for _ in range(200):  # at most 20 s
            await asyncio.sleep(0.1)
            info = await bus.js.consumer_info("GOVSWEEP_RESULTS", "aggregator")
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
        else:
            raise AssertionError(f"aggregator did not catch up: {info}")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def csv_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


async def screenshot(html: Path, png: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 1200})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            await page.goto(html.as_uri(), wait_until="load", timeout=15_000)
            bars = await page.locator("svg rect").count()
            await page.screenshot(path=str(png), full_page=True)
        finally:
            await browser.close()
    assert requested == [html.as_uri()]  # the report fetches nothing
    assert bars > 0


async def test_duplicates_out_of_order_rebuild_and_report(tmp_path: Path, output_dir: Path) -> None:
    verdicts = sweep_verdicts()
    server = EmbeddedServer(tmp_path)
    await server.start()
    config = Config(nats_url=server.url, state_dir=str(tmp_path / "state"), metrics_port=-1)
    try:
        bus = await Bus.connect(server.url)
        try:
            await publish_results(bus, verdicts)
            await drain_aggregator(bus, config)
        finally:
            await bus.close()

        # The aggregator's tables equal the tables computed straight from the verdicts.
        store = Store(aggregator.store_path(config))
        stored = store.quarter_verdicts(QUARTER)
        (sweep,) = store.sweeps(QUARTER)
        store.close()
        assert msgspec.to_builtins(stored) == msgspec.to_builtins(
            sorted(verdicts, key=lambda v: v.site.site_id)
        )
        assert sweep.sites == len(verdicts)
        assert rollup(stored) == rollup(verdicts)
        expected = rollup(verdicts)
        assert expected[-1].sites == 60 and 0 < expected[-1].problems < 30

        # Per region pass-rate gauges for Grafana.
        tongren = next(r for r in expected if r.region == "铜仁市")
        gauge = REGISTRY.get_sample_value("govsweep_region_pass_rate_ratio", {"region": "铜仁市"})
        assert gauge == pytest.approx(tongren.pass_ratio)
        labels = {"sweep": SWEEP_ID}
        assert REGISTRY.get_sample_value("govsweep_sweep_sites", labels) == 60
        assert REGISTRY.get_sample_value("govsweep_sweep_sites_done", labels) == 60

        first = tmp_path / "first"
        assert report(config, QUARTER, None, "csv", first) == 0

        # Damage the local state, then rebuild it from the stream alone.
        store = Store(aggregator.store_path(config))
        store.db.execute("DELETE FROM verdicts WHERE site_id LIKE '5206%'")
        store.db.execute("UPDATE rollups SET problems = 0")
        store.db.commit()
        store.close()
        assert await aggregate(config, rebuild=True, timeout=60) == 0
        rebuilt = tmp_path / "rebuilt"
        assert report(config, QUARTER, None, "csv", rebuilt) == 0
        assert csv_files(first) == csv_files(rebuilt)
        assert len(csv_files(first)) == 3  # 附件1, 附件2, 未能检测 (no recheck yet)
        assert "铜仁市".encode() in csv_files(first)["附件1_检查情况.csv"]

        # A replay on top of the current store changes nothing either.
        assert await aggregate(config, rebuild=False, timeout=60) == 0
        again = tmp_path / "again"
        assert report(config, QUARTER, None, "csv", again) == 0
        assert csv_files(again) == csv_files(first)

        html = output_dir / "report.html"
        assert report(config, QUARTER, None, "html", html) == 0
    finally:
        await server.stop()
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed: HTML written but not rendered")
    await screenshot(html, output_dir / "report.png")
    assert (output_dir / "report.png").stat().st_size > 20_000
