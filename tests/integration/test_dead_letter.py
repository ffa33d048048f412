"""Poison jobs on a real nats-server: after MAX_DELIVER failures they land on the dead-letter
subject, are counted, and the site shows as 未能检测 with the reason (never silently dropped)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from nats.js.errors import NotFoundError
from prometheus_client import REGISTRY

from services.bus.jetstream import (
    MAX_DELIVER,
    RESULTS_STREAM,
    SUBJECT_DEAD_LETTER,
    SUBJECT_SITE_JOB,
    SUBJECT_VERDICT,
    Bus,
    EmbeddedServer,
)
from services.bus.schema import DeadLetter, Site, SiteJob, SiteVerdict
from services.config import Config
from services.roles import crawl_worker

pytestmark = pytest.mark.integration

SITE = Site("5206240001", "思南政府网", "http://127.0.0.1:9/sinan/", "520624")


def dead_letters(consumer: str) -> float:
    return REGISTRY.get_sample_value("govsweep_dead_letters_total", {"consumer": consumer}) or 0


async def test_poison_jobs_are_dead_lettered_and_reported_unmeasured(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    await server.start()
    bus = await Bus.connect(server.url)
    stop = asyncio.Event()
    before = dead_letters("crawl-site"), dead_letters("crawl-column")
    role = asyncio.create_task(crawl_worker.run(bus, Config(state_dir=str(tmp_path)), stop))
    try:
        # Decodes, but its T is no date: the handler raises on every delivery.
        job = SiteJob(sweep_id="dl-1", at="not-a-date", quarter="2024Q1", site=SITE)
        await bus.publish(SUBJECT_SITE_JOB.format(site_id=SITE.site_id), job)
        # Not even JSON: dead-lettered, with nothing else to say about it.
        await bus.nc.publish("govsweep.jobs.column.5206240002", b"\xff not json")
        await bus.nc.flush()

        subject = SUBJECT_VERDICT.format(sweep_id="dl-1", site_id=SITE.site_id)
        raw = None
        for _ in range(240):  # 4 NAK delays of 5 s, plus margin on a loaded machine
            try:
                raw = await bus.js.get_last_msg(RESULTS_STREAM, subject)
                break
            except NotFoundError:
                await asyncio.sleep(0.5)
        assert raw is not None, "no verdict for the poisoned site"
        verdict = msgspec.json.decode(raw.data or b"", type=SiteVerdict)
        assert verdict.verdict.verdict == "未能检测"
        assert "死信" in verdict.verdict.unmeasured[0]
        assert f"{MAX_DELIVER}次" in verdict.verdict.unmeasured[0]

        letters = {}
        for consumer in ("crawl-site", "crawl-column"):
            for _ in range(60):
                try:
                    msg = await bus.js.get_last_msg(
                        RESULTS_STREAM, SUBJECT_DEAD_LETTER.format(consumer=consumer)
                    )
                    letters[consumer] = msgspec.json.decode(msg.data or b"", type=DeadLetter)
                    break
                except NotFoundError:
                    await asyncio.sleep(0.5)
        assert letters["crawl-site"].deliveries == MAX_DELIVER
        assert "not-a-date" in letters["crawl-site"].data
        assert letters["crawl-column"].subject == "govsweep.jobs.column.5206240002"
        assert (dead_letters("crawl-site"), dead_letters("crawl-column")) == (
            before[0] + 1,
            before[1] + 1,
        )
    finally:
        stop.set()
        await asyncio.wait_for(role, 30)
        await bus.close()
        await server.stop()
