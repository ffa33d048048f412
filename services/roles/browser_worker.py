"""Browser role: column jobs whose list is built by script → column facts read from headless Chromium.

Its own role so that browser work (hundreds of MB per process, ~1 page/s per context) scales apart
from the cheap HTTP crawlers. Chromium is launched by the first job and stopped after
`browser.idle_stop_s` without one, so a sweep with no script-built column never starts it. Without
Chromium (not installed, or it will not start) the role still answers every job, as unmeasured.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date

import msgspec
from nats.aio.msg import Msg

from crawler.model import ColumnFacts, FetchResult
from crawler.netguard import NetPolicy
from crawler.render import BrowserPool, BrowserUnavailable, render_column
from services import metrics
from services.bus.host_limits import HostLimits
from services.bus.jetstream import SUBJECT_COLUMN, Bus, consume
from services.bus.schema import ColumnJob, ColumnResult
from services.config import Config
from services.log import log
from services.roles import deadletter

CONSUMER = "browser"
NO_BROWSER_REASON = "未安装浏览器，无法渲染 (no browser)"


class BrowserWorker:
    """Handles one column job at a time per pool slot; `pool` is None when Chromium is missing."""

    def __init__(self, bus: Bus, config: Config, pool: BrowserPool | None) -> None:
        self.bus = bus
        self.config = config
        self.pool = pool

    async def handle(self, msg: Msg) -> None:
        try:
            job = msgspec.json.decode(msg.data, type=ColumnJob)
            at = date.fromisoformat(job.at)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            # Redelivery cannot fix a malformed job: say what is wrong and drop it.
            log("bad browser job", {"subject": msg.subject, "error": str(exc)}, level="error")
            await msg.term()
            return
        with metrics.JOBS_IN_FLIGHT.labels("browser").track_inprogress():
            if self.pool is None:
                facts = ColumnFacts(
                    column=job.column,
                    fetch=FetchResult(url=job.column.url, error="no_browser"),
                    measured=False,
                    reason=NO_BROWSER_REASON,
                )
            else:
                facts = await render_column(
                    self.pool, job.column, at, self.config.crawl.max_list_pages
                )
                if (facts.fetch.error or "").startswith("no_browser"):
                    log(
                        "browser did not start, column reported unmeasured",
                        {"error": facts.fetch.error},
                        "error",
                    )
        await self.bus.publish(
            SUBJECT_COLUMN.format(sweep_id=job.sweep_id, site_id=job.site_id, index=job.index),
            ColumnResult(job.sweep_id, job.site_id, job.index, facts),
            msg_id=f"col-{job.sweep_id}-{job.site_id}-{job.index}",
        )
        metrics.JOBS_DONE.labels("browser", "ok" if facts.measured else "unmeasured").inc()
        await msg.ack()


def _count_page(outcome: str, seconds: float) -> None:
    # Counted with the fetched pages; render time stays out of the HTTP fetch histogram.
    metrics.PAGES_FETCHED.labels(outcome).inc()


async def run(bus: Bus, config: Config, stop: asyncio.Event) -> None:
    """Serve browser column jobs until `stop` is set."""
    settings = config.browser
    crawl = config.crawl
    # The per-host limits shared with every crawler process: page requests count against them.
    gate = await HostLimits.open(bus.js, crawl.per_host_concurrency, crawl.per_host_rate)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(gate.close)
        pool: BrowserPool | None = None
        try:
            pool = await stack.enter_async_context(
                BrowserPool(
                    executable=settings.executable,
                    contexts=settings.contexts,
                    recycle_after=settings.recycle_after,
                    page_timeout_s=settings.page_timeout_s,
                    max_bytes=config.crawl.max_page_bytes,
                    user_agent=config.crawl.user_agent,
                    on_render=_count_page,
                    gate=gate,
                    policy=NetPolicy(crawl.allow_networks),
                    idle_stop_s=settings.idle_stop_s,
                    on_launch=metrics.BROWSER_LAUNCHES.inc,
                )
            )
            running = pool
            metrics.BROWSER_RUNNING.set_function(lambda: int(running.running))
            stack.callback(metrics.BROWSER_RUNNING.set_function, lambda: 0)
        except BrowserUnavailable as exc:
            log(
                "browser unavailable, columns are reported unmeasured", {"error": str(exc)}, "error"
            )
        worker = BrowserWorker(bus, config, pool)
        await consume(
            bus,
            CONSUMER,
            metrics.counted("browser", worker.handle),
            settings.contexts,
            stop,
            log,
            deadletter.for_jobs(bus),
        )
