"""政务新媒体 sweeps on the bus: one job per account, read by the `account` role, judged at once.

  govsweep.jobs.account.<标识码>                 AccountJob     (JOBS, work queue; consumer crawl-account)
  govsweep.results.account.<sweep>.<标识码>      AccountVerdict (RESULTS, replayable log)
  govsweep.results.reposts.<sweep>              RepostCheck    (RESULTS; published by the sweep command)

The aggregator keeps both in the SQLite store, so `govsweep report` shows them beside the websites.

An account needs one request (its feed), so reading and judging happen in the same worker. Every
platform has its own politeness gate, summed over every account process through the hosts KV bucket
(`services.bus.platform_limits`); platform rates are scaled by crawl.per_host_rate / 4.0 (the polite default),
so the loopback farm runs fast and real platforms get the adapters' rates.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
from nats.aio.msg import Msg

from checkers.media import judge_account
from checkers.media_rules import OVERLAYS, MediaRules, load_media_rules
from checkers.model import UNMEASURED, Verdict
from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.platforms.base import AccountFacts
from crawler.platforms.read import PlatformPoliteness, read_account
from crawler.security import Lexicon
from services.bus.jetstream import (
    RESULTS_STREAM,
    SUBJECT_ACCOUNT_JOB,
    SUBJECT_ACCOUNT_RESULT,
    Bus,
    consume,
)
from services.bus.media_schema import Account, AccountJob, AccountVerdict
from services.bus.platform_limits import PlatformLimits
from services.config import Config
from services.log import log
from services.roles.crawl_worker import lexicon_from
from services.roles.runtime import Runtime

DEFAULT_RATE = 4.0  # crawl.per_host_rate's polite default: the scale 1.0 of platform rates
WORKERS = 16
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_ACCOUNT_S = 3.0
AGGREGATE_WAIT_S = 30.0


def overlay_paths(names: list[str]) -> list[Path]:
    """Overlay files as given, or by file name from the packaged media-overlays folder."""
    paths = []
    for name in names:
        path = Path(name)
        paths.append(path if path.exists() or path.parent != Path(".") else OVERLAYS / name)
    return paths


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def check_account(
    fetcher: Fetcher, job: AccountJob, rules: MediaRules, lexicon: Lexicon | None
) -> AccountVerdict:
    """Read one account's public view and judge it."""
    account = job.account
    facts = await read_account(fetcher, account.platform, account.address)
    at = date.fromisoformat(job.at)
    verdict = judge_account(facts, account.platform, at, rules, lexicon, account.name)
    return AccountVerdict(job.sweep_id, job.at, job.quarter, account, verdict, facts, now())


def account_fetcher(config: Config, shared: PlatformLimits | None = None) -> Fetcher:
    """A fetcher whose gates are per platform: `shared` (over every process, through the KV bucket)
    or this process's own."""
    crawl = config.crawl
    politeness = shared or PlatformPoliteness(
        crawl.per_host_rate / DEFAULT_RATE, crawl.per_host_concurrency, crawl.per_host_rate
    )
    return Fetcher(
        politeness,  # type: ignore[arg-type]  # same interface as Politeness
        timeout_s=config.crawl.timeout_s,
        max_bytes=config.crawl.max_page_bytes,
        max_redirects=config.crawl.max_redirects,
        policy=NetPolicy(crawl.allow_networks),
    )


async def run(bus: Bus, config: Config, stop: asyncio.Event) -> None:
    """The `account` role: serve govsweep.jobs.account.> until stopped."""
    lexicon = lexicon_from(config)
    rules_of: dict[tuple[str, ...], MediaRules] = {}
    crawl = config.crawl
    scale = crawl.per_host_rate / DEFAULT_RATE
    shared = await PlatformLimits.open(
        bus.js, scale, crawl.per_host_concurrency, crawl.per_host_rate
    )
    try:
        async with account_fetcher(config, shared) as fetcher:

            async def handle(msg: Msg) -> None:
                job = msgspec.json.decode(msg.data, type=AccountJob)
                key = tuple(job.overlays)
                if key not in rules_of:
                    rules_of[key] = load_media_rules(overlay_paths(job.overlays))
                result = await check_account(fetcher, job, rules_of[key], lexicon)
                subject = SUBJECT_ACCOUNT_RESULT.format(
                    sweep_id=job.sweep_id, account_id=job.account.account_id
                )
                await bus.publish(
                    subject, result, msg_id=f"account-{job.sweep_id}-{job.account.account_id}"
                )
                await msg.ack()

            await consume(bus, "crawl-account", handle, WORKERS, stop, log)
    finally:
        await shared.close()


async def start_account_sweep(
    bus: Bus, accounts: list[Account], at: date, quarter: str, overlays: list[str]
) -> str:
    sweep_id = f"media-{at.isoformat()}-{uuid.uuid4().hex[:8]}"
    for account in accounts:
        job = AccountJob(sweep_id, at.isoformat(), quarter, account, overlays)
        subject = SUBJECT_ACCOUNT_JOB.format(account_id=account.account_id)
        await bus.publish(subject, job, msg_id=f"accjob-{sweep_id}-{account.account_id}")
    return sweep_id


async def follow_accounts(
    bus: Bus, sweep_id: str, expected: int, timeout_s: float
) -> list[AccountVerdict]:
    """The sweep's account verdicts from the results stream, until all are in or time runs out."""
    verdicts: dict[str, AccountVerdict] = {}
    done = asyncio.Event()

    async def on_msg(msg: Msg) -> None:
        verdict = msgspec.json.decode(msg.data, type=AccountVerdict)
        verdicts[verdict.account.account_id] = verdict
        if len(verdicts) >= expected:
            done.set()

    subject = SUBJECT_ACCOUNT_RESULT.format(sweep_id=sweep_id, account_id="*")
    sub = await bus.js.subscribe(subject, ordered_consumer=True, cb=on_msg)
    try:
        if expected:
            await asyncio.wait_for(done.wait(), timeout_s)
    except TimeoutError:
        pass
    finally:
        await sub.unsubscribe()
    return list(verdicts.values())


async def aggregated(bus: Bus, timeout_s: float = AGGREGATE_WAIT_S) -> bool:
    """Wait (bounded) until the aggregator consumer has applied everything published so far; the
    embedded store is then up to date. False when it did not get there in time (the rest is
    applied by the next embedded run or `govsweep aggregate`)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        info = await bus.js.consumer_info(RESULTS_STREAM, "aggregator")
        if info.num_pending == 0 and info.num_ack_pending == 0:
            return True
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.1)


def timed_out(account: Account, sweep_id: str, at: date, quarter: str) -> AccountVerdict:
    reason = "未在检测时限内完成 (sweep timeout)"
    facts = AccountFacts(url=account.address, measured=False, reason=reason)
    verdict = Verdict(UNMEASURED, unmeasured=[reason])
    return AccountVerdict(sweep_id, at.isoformat(), quarter, account, verdict, facts, now())


async def run_account_sweep(
    config: Config,
    accounts: list[Account],
    at: date,
    quarter: str,
    overlays: list[str],
    timeout: float | None = None,
    then: Callable[[Bus, str, list[AccountVerdict]], Awaitable[None]] | None = None,
) -> tuple[str, list[AccountVerdict]]:
    """Publish a job per account and collect every verdict; `then` runs on the bus before it closes
    (the 转载 check publishes its outcomes there). Embedded, the account role and the aggregator
    run here too, and the store in STATE_DIR holds the sweep when this returns."""
    load_media_rules(
        overlay_paths(overlays)
    )  # faulty rules stop here, before anything is published
    lexicon_from(config)
    timeout = timeout or TIMEOUT_BASE_S + TIMEOUT_PER_ACCOUNT_S * len(accounts)
    async with Runtime(config) as rt:
        assert rt.bus is not None
        if rt.embedded:
            rt.tasks.append(asyncio.create_task(run(rt.bus, config, rt.stop)))
            rt.start_roles(["aggregator"])
        sweep_id = await start_account_sweep(rt.bus, accounts, at, quarter, overlays)
        verdicts = await follow_accounts(rt.bus, sweep_id, len(accounts), timeout)
        judged = {v.account.account_id for v in verdicts}
        verdicts += [
            timed_out(a, sweep_id, at, quarter) for a in accounts if a.account_id not in judged
        ]
        verdicts.sort(key=lambda v: v.account.account_id)
        if then is not None:
            await then(rt.bus, sweep_id, verdicts)
        if rt.embedded and not await aggregated(rt.bus):
            log("store not up to date at the end of the account sweep", {"sweep": sweep_id})
    return sweep_id, verdicts
