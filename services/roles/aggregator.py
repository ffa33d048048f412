"""Aggregator role: materialise sweeps and verdicts (sites, 政务新媒体 accounts, 重要信息转载 checks)
from the results stream into the local store.

The durable consumer "aggregator" feeds a running store; `replay` rebuilds one from the stream's start
with an ephemeral ordered consumer. Both go through `Aggregator.apply`, and the store's keys make a
duplicate or redelivered result change nothing, so either way gives the same numbers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
from nats.aio.msg import Msg
from nats.js import api as js_api

from services import metrics
from services.bus.jetstream import RESULTS_STREAM, Bus, consume
from services.bus.media_schema import AccountVerdict, RepostCheck
from services.bus.schema import SiteVerdict, SweepStarted
from services.config import Config
from services.log import log
from services.reporting.regions import NATIONAL_CODE
from services.reporting.report import region_rows
from services.reporting.store import Store

SWEEP_PREFIX = "govsweep.results.sweep."
VERDICT_PREFIX = "govsweep.results.verdict."
ACCOUNT_PREFIX = "govsweep.results.account."
REPOSTS_PREFIX = "govsweep.results.reposts."
REPLAY_SUBJECTS = [
    SWEEP_PREFIX + ">",
    VERDICT_PREFIX + ">",
    ACCOUNT_PREFIX + ">",
    REPOSTS_PREFIX + ">",
]
REPLAY_IDLE_S = 10.0  # no message for this long while some are still pending: the server is stuck


class ReplayError(Exception):
    """The replay could not catch up with the stream; the message says how far it got."""


def store_path(config: Config) -> Path:
    return Path(config.state_dir) / "govsweep.sqlite"


class Aggregator:
    def __init__(self, store: Store) -> None:
        self.store = store

    def apply(self, subject: str, data: bytes) -> bool:
        """Record one result message; True when it changed the store.

        Raises msgspec.DecodeError / ValidationError for a message that is not what its subject says.
        """
        if subject.startswith(SWEEP_PREFIX):
            sweep = msgspec.json.decode(data, type=SweepStarted)
            self.store.add_sweep(sweep)
            self.update_progress()
            return True
        if subject.startswith(ACCOUNT_PREFIX):
            return self.store.add_account_verdict(msgspec.json.decode(data, type=AccountVerdict))
        if subject.startswith(REPOSTS_PREFIX):
            return self.store.add_repost_check(msgspec.json.decode(data, type=RepostCheck))
        if not subject.startswith(VERDICT_PREFIX):
            return False
        verdict = msgspec.json.decode(data, type=SiteVerdict)
        if not self.store.add_verdict(verdict):
            return False
        metrics.VERDICTS.labels(verdict.site.region_code[:4], verdict.verdict.verdict).inc()
        self.update_pass_rates(verdict.quarter)
        self.update_progress()
        return True

    async def handle(self, msg: Msg) -> None:
        try:
            self.apply(msg.subject, msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            # A malformed result will not get better on redelivery: drop it, say why.
            log("bad result message", {"subject": msg.subject, "error": str(exc)}, level="error")
            await msg.term()
            metrics.JOBS_DONE.labels("aggregator", "malformed").inc()
            return
        await msg.ack()
        metrics.JOBS_DONE.labels("aggregator", "ok").inc()

    def update_pass_rates(self, quarter: str) -> None:
        """Per region 合格率 gauges for the newest quarter (older quarters do not overwrite it)."""
        if quarter != max(self.store.quarters(), default=quarter):
            return
        provinces = [
            c for c in self.store.rollup_counts(quarter, "province") if c.key != NATIONAL_CODE
        ]
        level = "province" if len(provinces) > 1 else "city"
        for row in region_rows(self.store.rollup_counts(quarter, level))[:-1]:  # not 合计
            if row.pass_ratio is not None:
                metrics.PASS_RATE.labels(row.region).set(row.pass_ratio)

    def update_progress(self) -> None:
        latest = self.store.latest_sweep()
        if latest:
            sweep, done = latest
            metrics.set_sweep(sweep.sweep_id, sweep.sites, done)


async def replay(bus: Bus, aggregator: Aggregator, timeout_s: float = 600.0) -> int:
    """Apply every sweep and verdict on the results stream, oldest first; return how many were read.

    Bounded: stops at the stream's last sequence as it was when the replay began (or earlier, when
    the consumer has nothing more pending), and fails after `timeout_s`.
    """
    last = (await bus.js.stream_info(RESULTS_STREAM)).state.last_seq
    if last == 0:
        return 0
    config = js_api.ConsumerConfig(filter_subjects=REPLAY_SUBJECTS, inactive_threshold=60)
    sub = await bus.js.subscribe(
        "govsweep.results.>", stream=RESULTS_STREAM, ordered_consumer=True, config=config
    )
    read = skipped = 0
    try:
        info = await sub.consumer_info()
        if info.num_pending == 0 and (info.delivered is None or info.delivered.consumer_seq == 0):
            return 0
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise ReplayError(f"replay did not catch up within {timeout_s:g} s ({read} read)")
            try:
                msg = await sub.next_msg(timeout=min(left, REPLAY_IDLE_S))
            except TimeoutError:
                raise ReplayError(
                    f"results stream stopped delivering after {read} message(s)"
                ) from None
            read += 1
            try:
                aggregator.apply(msg.subject, msg.data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                skipped += 1
                log("bad result message", {"subject": msg.subject, "error": str(exc)}, "error")
            if msg.metadata.num_pending == 0 or msg.metadata.sequence.stream >= last:
                return read
    finally:
        await sub.unsubscribe()
        if skipped:
            log("replay skipped malformed messages", {"skipped": skipped}, level="warning")


async def run(bus: Bus, config: Config, stop: asyncio.Event) -> None:
    store = Store(store_path(config))
    try:
        # One at a time: SQLite writes are cheap and ordering keeps the store simple.
        handle = metrics.counted("aggregator", Aggregator(store).handle)
        await consume(bus, "aggregator", handle, 1, stop, log)
    finally:
        store.close()
