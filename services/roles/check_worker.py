"""Checker role: once a site's home page and all its columns are on the results stream, judge it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from checkers.model import SiteContext
from checkers.rules import RuleSet, load_rules
from checkers.verdict import evaluate
from crawler.links import summarize_links
from services import metrics
from services.bus.jetstream import (
    RESULTS_STREAM,
    SUBJECT_COLUMN,
    SUBJECT_HOME,
    SUBJECT_VERDICT,
    Bus,
    consume,
)
from services.bus.schema import ColumnResult, HomeResult, SiteVerdict
from services.config import Config
from services.log import log
from services.roles import deadletter
from services.roles.monitor import probes_for


def rules_from(config: Config) -> RuleSet:
    return load_rules(config.check.rules or None, [Path(p) for p in config.check.overlays])


class CheckWorker:
    def __init__(self, bus: Bus, rules: RuleSet) -> None:
        self.bus = bus
        self.rules = rules

    async def handle(self, msg: Msg) -> None:
        # govsweep.results.home.<sweep>.<site> or govsweep.results.column.<sweep>.<site>.<n>
        tokens = msg.subject.split(".")
        verdict = await self.judge_if_complete(tokens[3], tokens[4])
        await msg.ack()
        metrics.JOBS_DONE.labels("checker", "judged" if verdict else "incomplete").inc()

    async def judge_if_complete(self, sweep_id: str, site_id: str) -> SiteVerdict | None:
        """Read the site's results back from the stream; judge only when every column is in.

        Any checker process may see the last piece, so completeness is read from the stream, not
        from local memory; the verdict's Nats-Msg-Id makes a double judgement harmless.
        """
        jsm = self.bus.js
        try:
            raw = await jsm.get_last_msg(
                RESULTS_STREAM, SUBJECT_HOME.format(sweep_id=sweep_id, site_id=site_id)
            )
        except NotFoundError:
            return None
        home = msgspec.json.decode(raw.data or b"", type=HomeResult)
        pattern = SUBJECT_COLUMN.format(sweep_id=sweep_id, site_id=site_id, index="*")
        if home.columns:
            info = await jsm.stream_info(RESULTS_STREAM, subjects_filter=pattern)
            if len(info.state.subjects or {}) < home.columns:
                return None
        columns = []
        for index in range(home.columns):
            subject = SUBJECT_COLUMN.format(sweep_id=sweep_id, site_id=site_id, index=index)
            raw = await jsm.get_last_msg(RESULTS_STREAM, subject)
            columns.append(msgspec.json.decode(raw.data or b"", type=ColumnResult).facts)
        context = SiteContext(
            site_code=home.site.site_id,
            kind=home.site.kind,
            external_services=home.site.external_services,
        )
        at = date.fromisoformat(home.at)
        availability = self.rules.availability
        probes = await probes_for(self.bus, site_id, at, availability.days) if availability else []
        verdict = evaluate(home.home, columns, self.rules, at, context, probes)
        result = SiteVerdict(
            sweep_id=sweep_id,
            at=home.at,
            quarter=home.quarter,
            site=home.site,
            verdict=verdict,
            checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
            recheck=home.recheck,
            home_url=home.home.url,
            columns_read=sum(1 for c in columns if c.measured),
            columns_unmeasured=sum(1 for c in columns if not c.measured),
            links=summarize_links(home.home, columns)
            if home.home.links or home.home.link_tally
            else None,
        )
        await self.bus.publish(
            SUBJECT_VERDICT.format(sweep_id=sweep_id, site_id=site_id),
            result,
            msg_id=f"verdict-{sweep_id}-{site_id}",
        )
        for finding in verdict.findings:
            metrics.FINDINGS.labels(finding.indicator, finding.level).inc()
        log("site judged", {"sweep": sweep_id, "site": site_id, "verdict": verdict.verdict})
        return result


async def run(bus: Bus, config: Config, stop: asyncio.Event) -> None:
    worker = CheckWorker(bus, rules_from(config))
    handle = metrics.counted("checker", worker.handle)
    await consume(bus, "checker", handle, 16, stop, log, deadletter.for_results(bus))
