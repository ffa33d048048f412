"""The browser role end to end: column jobs over a real nats-server → Chromium → column results."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from crawler.model import ColumnRef
from crawler.render import chromium_available
from services.bus.jetstream import (
    JOBS_STREAM,
    RESULTS_STREAM,
    SUBJECT_BROWSER_JOB,
    Bus,
    EmbeddedServer,
)
from services.bus.schema import ColumnJob, ColumnResult
from services.config import BrowserConfig, Config, for_loopback_farm
from services.roles import browser_worker
from tests.conftest import AT
from tests.integration.chromium_procs import browser_pids

pytestmark = pytest.mark.integration

SWEEP = "s1"
SITE = "5200000001"
NEWEST = "2024-03-14"

LIST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>工作动态</title></head>
<body><div class="main"><ul class="list" id="list"></ul></div><script>
var items = %s;
var html = '';
for (var i = 0; i < items.length; i++) {
  html += '<li><a href="' + items[i].url + '">' + items[i].title + '</a><span>' + items[i].date
    + '</span></li>';
}
document.getElementById('list').innerHTML = html;
</script></body></html>"""
ITEMS = [
    {"title": "市政府召开第十二次常务会议", "url": "/art/1.html", "date": NEWEST},
    {"title": "副市长带队检查安全生产工作", "url": "/art/2.html", "date": "2024-02-20"},
]
ENDLESS_PAGE = "<html><body><p>加载中</p><script>while (true) {}</script></body></html>"


@pytest.fixture
async def site():
    pages = {"/gzdt/": LIST_PAGE % json.dumps(ITEMS, ensure_ascii=False), "/endless/": ENDLESS_PAGE}

    async def serve(request: web.Request) -> web.Response:
        if request.path not in pages:
            raise web.HTTPNotFound()
        return web.Response(text=pages[request.path], content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def bus(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    await server.start()
    connected = await Bus.connect(server.url)
    yield connected
    await connected.close()
    await server.stop()


def job(index: int, url: str, total: int) -> ColumnJob:
    column = ColumnRef(name=f"栏目{index}", url=url, category="动态要闻")
    return ColumnJob(SWEEP, AT.isoformat(), SITE, index, total, column)


async def publish_jobs(bus: Bus, jobs: list[ColumnJob]) -> None:
    subject = SUBJECT_BROWSER_JOB.format(site_id=SITE)
    for one in jobs:
        await bus.publish(subject, one, msg_id=f"browserjob-{SWEEP}-{SITE}-{one.index}")


async def run_until_results(
    bus: Bus, config: Config, count: int
) -> list[tuple[str, str, ColumnResult]]:
    """Run the role until `count` column results are on the bus (at most 60 s), then stop it."""
    stop = asyncio.Event()
    role = asyncio.create_task(browser_worker.run(bus, config, stop))
    sub = await bus.js.pull_subscribe("govsweep.results.column.>", stream=RESULTS_STREAM)
    seen: list[tuple[str, str, ColumnResult]] = []
    deadline = asyncio.get_running_loop().time() + 60
    try:
        while len(seen) < count and asyncio.get_running_loop().time() < deadline:
            assert not role.done(), role.exception()
            try:
                msgs = await sub.fetch(batch=count, timeout=1)
            except TimeoutError:
                continue
            for msg in msgs:
                result = msgspec.json.decode(msg.data, type=ColumnResult)
                seen.append((msg.subject, msg.headers["Nats-Msg-Id"], result))
                await msg.ack()
    finally:
        stop.set()
        await asyncio.wait_for(role, 30)
    return sorted(seen, key=lambda entry: entry[2].index)


def pages_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("govsweep_pages_fetched_total", {"outcome": outcome}) or 0.0


def browser_gauges() -> tuple[float, float]:
    """(govsweep_browser_running, govsweep_browser_launches_total) as Prometheus would scrape them."""
    running = REGISTRY.get_sample_value("govsweep_browser_running")
    launches = REGISTRY.get_sample_value("govsweep_browser_launches_total")
    return running or 0.0, launches or 0.0


async def until(condition, seconds: float = 30.0) -> bool:
    """Poll `condition` (a coroutine function) every 100 ms for at most `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def jobs_left(bus: Bus) -> int:
    return (await bus.js.stream_info(JOBS_STREAM)).state.messages


@pytest.mark.skipif(not chromium_available("/usr/bin/chromium"), reason="chromium not installed")
async def test_browser_role_renders_columns_and_survives_an_endless_page(
    bus: Bus, site: str, tmp_path: Path
) -> None:
    # Per-host limits of a loopback test server: this test is about rendering, not politeness.
    config = for_loopback_farm(
        Config(state_dir=str(tmp_path), metrics_port=-1, browser=BrowserConfig(page_timeout_s=10))
    )
    ok_before, timeouts_before = pages_counted("ok"), pages_counted("timeout")
    # A malformed job first: it is dropped with a clear log line, the good ones still run.
    await bus.js.publish(SUBJECT_BROWSER_JOB.format(site_id=SITE), b"{not json")
    jobs = [job(0, f"{site}/endless/", 3), job(1, f"{site}/gzdt/", 3), job(2, f"{site}/gzdt/", 3)]
    await publish_jobs(bus, jobs)

    results = await run_until_results(bus, config, 3)

    assert [(subject, msg_id) for subject, msg_id, _ in results] == [
        (f"govsweep.results.column.{SWEEP}.{SITE}.{n}", f"col-{SWEEP}-{SITE}-{n}") for n in range(3)
    ]
    endless, first, second = (result.facts for _, _, result in results)
    assert not endless.measured and endless.reason == "浏览器渲染超时 (timeout)"
    assert endless.rendered and not endless.blank
    for facts in (first, second):
        assert facts.measured and facts.rendered, facts.reason
        assert facts.latest == NEWEST and facts.items_count == 2
    assert pages_counted("ok") - ok_before == 2
    assert pages_counted("timeout") - timeouts_before == 1  # the endless page is tried once
    assert await jobs_left(bus) == 0  # every job acked, the malformed one terminated


@pytest.mark.skipif(not chromium_available("/usr/bin/chromium"), reason="chromium not installed")
async def test_chromium_starts_with_the_first_job_and_stops_when_idle(
    bus: Bus, site: str, tmp_path: Path
) -> None:
    config = for_loopback_farm(
        Config(state_dir=str(tmp_path), metrics_port=-1, browser=BrowserConfig(idle_stop_s=0.5))
    )
    _, launches_before = browser_gauges()
    stop = asyncio.Event()
    role = asyncio.create_task(browser_worker.run(bus, config, stop))
    sub = await bus.js.pull_subscribe("govsweep.results.column.>", stream=RESULTS_STREAM)

    async def pulling() -> bool:
        assert not role.done(), role.exception()
        return (await bus.js.consumer_info(JOBS_STREAM, browser_worker.CONSUMER)).num_waiting > 0

    async def one_result() -> ColumnResult:
        for _ in range(60):  # bounded: 60 s
            assert not role.done(), role.exception()
            try:
                msgs = await sub.fetch(batch=1, timeout=1)
            except TimeoutError:
                continue
            await msgs[0].ack()
            return msgspec.json.decode(msgs[0].data, type=ColumnResult)
        raise AssertionError("no column result within 60 s")

    async def stopped() -> bool:
        return browser_gauges()[0] == 0 and not browser_pids()

    try:
        assert await until(pulling), "the role never pulled a job"
        # Serving, with no job yet: no Chromium.
        assert browser_pids() == [] and browser_gauges() == (0, launches_before)

        await publish_jobs(bus, [job(0, f"{site}/gzdt/", 2)])
        first = (await one_result()).facts
        assert first.measured and first.latest == NEWEST, first.reason
        assert browser_gauges()[1] == launches_before + 1

        assert await until(stopped), "Chromium still up after browser.idle_stop_s"

        await publish_jobs(bus, [job(1, f"{site}/gzdt/", 2)])
        second = (await one_result()).facts
        assert second.measured and second.latest == NEWEST and second.items_count == 2
        assert browser_gauges()[1] == launches_before + 2
    finally:
        stop.set()
        await asyncio.wait_for(role, 30)
    assert browser_gauges()[0] == 0 and await jobs_left(bus) == 0


async def test_a_chromium_that_will_not_start_leaves_every_job_unmeasured(
    bus: Bus, site: str, tmp_path: Path
) -> None:
    # /bin/false passes the check at start (it exists); the launch of each job fails.
    config = for_loopback_farm(
        Config(
            state_dir=str(tmp_path), metrics_port=-1, browser=BrowserConfig(executable="/bin/false")
        )
    )
    await publish_jobs(bus, [job(0, f"{site}/gzdt/", 2), job(1, f"{site}/endless/", 2)])

    results = await run_until_results(bus, config, 2)

    assert len(results) == 2
    for _, _, result in results:
        facts = result.facts
        assert not facts.measured and not facts.blank
        assert facts.reason is not None and facts.reason.startswith("浏览器无法启动 (no_browser")
        assert "Chromium at /bin/false did not start" in facts.reason
    assert await jobs_left(bus) == 0


async def test_without_chromium_every_job_is_unmeasured_never_blank(
    bus: Bus, site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config(
        state_dir=str(tmp_path),
        metrics_port=-1,
        browser=BrowserConfig(executable="/nonexistent/chromium"),
    )
    await publish_jobs(bus, [job(0, f"{site}/gzdt/", 2), job(1, f"{site}/endless/", 2)])

    results = await run_until_results(bus, config, 2)

    assert len(results) == 2
    for _, _, result in results:
        facts = result.facts
        assert not facts.measured and not facts.blank and not facts.rendered
        assert facts.reason == browser_worker.NO_BROWSER_REASON
        assert facts.fetch.error == "no_browser"
    warnings = [
        line for line in capsys.readouterr().err.splitlines() if "browser unavailable" in line
    ]
    assert len(warnings) == 1 and "Chromium not found at /nonexistent/chromium" in warnings[0]
    assert await jobs_left(bus) == 0
