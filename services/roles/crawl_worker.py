"""Crawler role: site jobs → home page facts + column jobs; column jobs → column facts."""

from __future__ import annotations

import asyncio
from datetime import date

import aiohttp
import msgspec
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from crawler.fetch import Fetcher
from crawler.links import LinkChecker, LinkProber, Prober, compact_links
from crawler.model import ColumnFacts, HomeFacts
from crawler.netguard import NetPolicy, open_session
from crawler.politeness import Gate, Politeness
from crawler.security import Lexicon, LexiconError, load_lexicon
from crawler.site import read_column, read_home
from services import metrics
from services.bus.host_limits import HostLimits
from services.bus.jetstream import (
    RESULTS_STREAM,
    SUBJECT_BROWSER_JOB,
    SUBJECT_COLUMN,
    SUBJECT_COLUMN_JOB,
    SUBJECT_HOME,
    SUBJECT_PRIORITY_COLUMN_JOB,
    Bus,
    consume,
)
from services.bus.link_cache import KvHeadRefusals, KvLinkCache
from services.bus.schema import ColumnJob, ColumnResult, HomeResult, SiteJob
from services.config import Config, ConfigError
from services.log import log
from services.roles import deadletter
from services.roles.recheck import recheck_job, remember_sites

LINK_SWEEPS_KEPT = 2  # sweeps whose link caches a worker keeps (a recheck may overlap a sweep)


def make_fetcher(
    config: Config, gate: Gate | None = None, session: aiohttp.ClientSession | None = None
) -> Fetcher:
    """`gate`: the per-host limits shared by every process (HostLimits); a process on its own
    (govsweep extract) gets a Politeness. `session`: the process's shared session, if any."""
    crawl = config.crawl
    return Fetcher(
        gate or Politeness(crawl.per_host_concurrency, crawl.per_host_rate),
        timeout_s=crawl.timeout_s,
        max_bytes=crawl.max_page_bytes,
        max_redirects=crawl.max_redirects,
        user_agent=crawl.user_agent,
        on_fetch=metrics.record_fetch,
        session=session,
        policy=NetPolicy(crawl.allow_networks),
    )


def lexicon_from(config: Config) -> Lexicon:
    """The 严重表述错误 lexicon, loaded once per process; a bad file is a config error."""
    try:
        return load_lexicon(config.crawl.lexicon or None)
    except LexiconError as exc:
        raise ConfigError(str(exc)) from None


class CrawlWorker:
    def __init__(
        self,
        bus: Bus,
        config: Config,
        fetcher: Fetcher,
        prober: Prober | None = None,
        link_bucket: KeyValue | None = None,
    ) -> None:
        self.bus = bus
        self.config = config
        self.fetcher = fetcher
        self.prober = prober
        self.link_bucket = link_bucket
        self.lexicon = lexicon_from(config)
        self._link_caches: dict[str, KvLinkCache] = {}  # by sweep, oldest first

    async def link_checker(self, sweep_id: str) -> LinkChecker | None:
        """Link checks of one sweep, shared by every crawler through the KV bucket; the sweep's
        cache is kept across jobs, so that this process asks the bucket once per link."""
        settings = self.config.links
        if not settings.enabled or self.prober is None or self.link_bucket is None:
            return None
        cache = self._link_caches.get(sweep_id)
        if cache is None:
            # Long enough for another worker's two checks (HEAD + GET each) and the pause between.
            wait_s = settings.recheck_after_s + 4 * settings.timeout_s + 10
            cache = KvLinkCache(self.link_bucket, sweep_id, wait_s=wait_s, lease_s=wait_s + 30)
            self._link_caches[sweep_id] = cache
            while len(self._link_caches) > LINK_SWEEPS_KEPT:
                oldest = next(iter(self._link_caches))
                await self._link_caches.pop(oldest).close()
        return LinkChecker(
            self.prober,
            cache,
            settings.recheck_after_s,
            settings.concurrency,
            settings.max_per_page,
        )

    async def handle_site(self, msg: Msg) -> None:
        await self.crawl_site(msgspec.json.decode(msg.data, type=SiteJob))
        await msg.ack()

    async def handle_priority(self, msg: Msg) -> None:
        """Recheck requests (any client may publish them) and the column jobs of rechecks."""
        if msg.subject.startswith("govsweep.jobs.recheck."):
            job = await recheck_job(self.bus, msg.subject, msg.data)
            if job is not None:
                await self.crawl_site(job)
            await msg.ack()
        else:
            await self.handle_column(msg)

    async def crawl_site(self, job: SiteJob) -> None:
        at = date.fromisoformat(job.at)
        with metrics.JOBS_IN_FLIGHT.labels("crawl-site").track_inprogress():
            home = await read_home(
                self.fetcher,
                job.site.url,
                at,
                self.config.crawl.max_columns,
                self.lexicon,
                links=await self.link_checker(job.sweep_id),
            )
        home = compact_home_links(home)
        sweep, site_id = job.sweep_id, job.site.site_id
        await self.bus.publish(
            SUBJECT_HOME.format(sweep_id=sweep, site_id=site_id),
            HomeResult(
                sweep_id=sweep,
                at=job.at,
                quarter=job.quarter,
                site=job.site,
                home=home,
                columns=len(home.columns),
                recheck=job.recheck,
            ),
            msg_id=f"home-{sweep}-{site_id}",
        )
        column_subject = SUBJECT_PRIORITY_COLUMN_JOB if job.recheck else SUBJECT_COLUMN_JOB
        kept = await self.previous_columns(job) if job.columns else {}
        wanted = {url.rstrip("/") for url in job.columns}
        for index, column in enumerate(home.columns):
            previous = kept.get(column.url)
            if previous is not None and column.url.rstrip("/") not in wanted:
                # A recheck of some columns: the others keep what the last sweep read.
                await self.bus.publish(
                    SUBJECT_COLUMN.format(sweep_id=sweep, site_id=site_id, index=index),
                    ColumnResult(sweep, site_id, index, previous),
                    msg_id=f"col-{sweep}-{site_id}-{index}",
                )
                continue
            await self.bus.publish(
                column_subject.format(site_id=site_id),
                ColumnJob(sweep, job.at, site_id, index, len(home.columns), column),
                msg_id=f"coljob-{sweep}-{site_id}-{index}",
            )
        if job.recheck:
            # The next column recheck builds on this one.
            await remember_sites(self.bus, [job.site], job.at, job.quarter, sweep)
        log(
            "home read",
            {
                "sweep": sweep,
                "site": site_id,
                "measured": home.measured,
                "columns": len(home.columns),
            },
        )
        metrics.JOBS_DONE.labels("crawl-site", "ok" if home.measured else "unmeasured").inc()

    async def previous_columns(self, job: SiteJob) -> dict[str, ColumnFacts]:
        """The column facts of the site's previous sweep, by column URL (empty if none kept)."""
        site_id = job.site.site_id
        found: dict[str, ColumnFacts] = {}
        try:
            raw = await self.bus.js.get_last_msg(
                RESULTS_STREAM, SUBJECT_HOME.format(sweep_id=job.previous_sweep, site_id=site_id)
            )
            home = msgspec.json.decode(raw.data or b"", type=HomeResult)
            for index in range(home.columns):
                subject = SUBJECT_COLUMN.format(
                    sweep_id=job.previous_sweep, site_id=site_id, index=index
                )
                raw = await self.bus.js.get_last_msg(RESULTS_STREAM, subject)
                facts = msgspec.json.decode(raw.data or b"", type=ColumnResult).facts
                found[facts.column.url] = facts
        except NotFoundError:
            log("recheck without earlier results", {"site": site_id, "sweep": job.previous_sweep})
        return found

    async def handle_column(self, msg: Msg) -> None:
        job = msgspec.json.decode(msg.data, type=ColumnJob)
        at = date.fromisoformat(job.at)
        with metrics.JOBS_IN_FLIGHT.labels("crawl-column").track_inprogress():
            crawl = self.config.crawl
            facts = await read_column(
                self.fetcher,
                job.column,
                at,
                crawl.max_list_pages,
                max_message_pages=crawl.max_message_pages,
                max_letters=crawl.max_letters,
                max_guides=crawl.max_guides,
                lexicon=self.lexicon,
                links=await self.link_checker(job.sweep_id),
            )
        facts = compact_column_links(facts)
        if facts.needs_browser and self.config.browser.enabled:
            # The browser role renders it and publishes the column result under the same id.
            await self.bus.publish(
                SUBJECT_BROWSER_JOB.format(site_id=job.site_id),
                job,
                msg_id=f"browserjob-{job.sweep_id}-{job.site_id}-{job.index}",
            )
            metrics.JOBS_DONE.labels("crawl-column", "to_browser").inc()
            await msg.ack()
            return
        if facts.needs_browser:
            facts.reason = "栏目需浏览器渲染，但浏览器渲染未启用 (browser disabled)"
        await self.bus.publish(
            SUBJECT_COLUMN.format(sweep_id=job.sweep_id, site_id=job.site_id, index=job.index),
            ColumnResult(job.sweep_id, job.site_id, job.index, facts),
            msg_id=f"col-{job.sweep_id}-{job.site_id}-{job.index}",
        )
        metrics.JOBS_DONE.labels("crawl-column", "ok" if facts.measured else "unmeasured").inc()
        await msg.ack()

    async def close(self) -> None:
        for cache in self._link_caches.values():
            await cache.close()
        self._link_caches.clear()


def compact_home_links(home: HomeFacts) -> HomeFacts:
    """The home facts as published: OK links only counted (crawler.links.compact_links)."""
    if not home.links:
        return home
    links, tally = compact_links(home.links)
    return msgspec.structs.replace(home, links=links, link_tally=tally)


def compact_column_links(facts: ColumnFacts) -> ColumnFacts:
    """The column facts as published: OK links only counted (crawler.links.compact_links)."""
    if not facts.links:
        return facts
    links, tally = compact_links(facts.links)
    return msgspec.structs.replace(facts, links=links, link_tally=tally)


async def run(bus: Bus, config: Config, stop: asyncio.Event) -> None:
    """Serve both job kinds until `stop` is set; site jobs get a quarter of the slots."""
    crawl = config.crawl
    limits = await HostLimits.open(bus.js, crawl.per_host_concurrency, crawl.per_host_rate)
    link_bucket = await KvLinkCache.bucket(bus.js)
    head_refusals = KvHeadRefusals(link_bucket)
    await head_refusals.start()
    # One session (one connection pool, one DNS cache) for the pages and the link checks.
    async with open_session(NetPolicy(crawl.allow_networks), crawl.user_agent) as session:
        fetcher = make_fetcher(config, limits, session)
        prober = LinkProber(
            limits,
            config.links.timeout_s,
            crawl.max_redirects,
            crawl.user_agent,
            session=session,
            head_refusals=head_refusals,
        )
        worker = CrawlWorker(bus, config, fetcher, metrics.CountedProber(prober), link_bucket)
        site_slots = max(1, config.crawl.workers // 4)
        handlers = [
            ("crawl-site", worker.handle_site),
            ("crawl-column", worker.handle_column),
            ("crawl-priority", worker.handle_priority),
        ]
        handle = {name: metrics.counted(name, handler) for name, handler in handlers}
        dead = deadletter.for_jobs(bus)
        try:
            await asyncio.gather(
                consume(bus, "crawl-site", handle["crawl-site"], site_slots, stop, log, dead),
                consume(
                    bus,
                    "crawl-column",
                    handle["crawl-column"],
                    config.crawl.workers,
                    stop,
                    log,
                    dead,
                ),
                consume(
                    bus, "crawl-priority", handle["crawl-priority"], site_slots, stop, log, dead
                ),
            )
        finally:
            await worker.close()
            await head_refusals.close()
    await limits.close()
