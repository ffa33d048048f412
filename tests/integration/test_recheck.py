"""复查 on a real nats-server: requests from a plain NATS client, and a fixed site's new verdict.

The recheck requests are sent over a bare TCP socket in the NATS wire protocol (CONNECT, PUB), not
through govsweep's code or the nats-py client, as any other tool of an office could send them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import date, datetime
from pathlib import Path

import msgspec
import pytest
from nats.js import api as js_api

from checkers.model import FAIL, PASS
from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import SUBJECT_VERDICT, Bus, EmbeddedServer
from services.bus.schema import ColumnResult, Site, SiteVerdict
from services.cli.commands import run_sweep
from services.cli.common import UsageError
from services.cli.report_cmd import recheck, report
from services.config import BrowserConfig, Config, for_loopback_farm
from services.registry import load_registry
from services.roles.recheck import RecheckRequest, recheck_job, remember_sites
from services.roles.runtime import Runtime
from services.roles.scheduler import quarter_of

pytestmark = pytest.mark.integration

SITES = [
    Site("5206240001", "思南政府网", "http://127.0.0.1:9/sinan/", "520624"),
    Site("5200000019", "贵州省审计厅", "http://127.0.0.1:9/audit/", "520000", kind="部门"),
]


async def raw_publish(port: int, subject: str, payload: bytes = b"") -> None:
    """PUB over a bare socket; PING/PONG proves the server has read the message."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        info = await asyncio.wait_for(reader.readline(), 5)
        assert info.startswith(b"INFO ")
        writer.write(b"CONNECT {}\r\n")
        writer.write(b"PUB %s %d\r\n%s\r\n" % (subject.encode(), len(payload), payload))
        writer.write(b"PING\r\n")
        await writer.drain()
        replies = [await asyncio.wait_for(reader.readline(), 5) for _ in range(3)]
        assert replies == [b"+OK\r\n", b"+OK\r\n", b"PONG\r\n"], replies  # verbose: +OK each
    finally:
        writer.close()


@pytest.fixture
async def nats(tmp_path: Path):
    server = EmbeddedServer(tmp_path)
    await server.start()
    bus = await Bus.connect(server.url)
    yield server, bus
    await bus.close()
    await server.stop()


async def take_requests(bus: Bus, count: int) -> list:
    """The recheck requests waiting on the jobs stream, as the crawler's consumer would get them."""
    sub = await bus.pull("crawl-priority")
    msgs = await sub.fetch(count, timeout=5)
    for msg in msgs:
        await msg.ack()
    return msgs


async def test_plain_client_requests_resolve_to_recheck_jobs(nats) -> None:
    server, bus = nats
    await remember_sites(bus, SITES, "2024-03-20", "2024Q1")
    await raw_publish(server.port, "govsweep.jobs.recheck.5206240001")  # empty payload
    await raw_publish(
        server.port, "govsweep.jobs.recheck.5200000019", b'{"columns": ["http://127.0.0.1:9/x/"]}'
    )
    await raw_publish(server.port, "govsweep.jobs.recheck.5299999999")  # never swept
    await raw_publish(server.port, "govsweep.jobs.recheck.5206240001", b"{not json")
    await raw_publish(server.port, "govsweep.jobs.recheck.52062400")  # not a 标识码

    msgs = await take_requests(bus, 5)
    assert [m.subject.rsplit(".", 1)[1] for m in msgs] == [
        "5206240001",
        "5200000019",
        "5299999999",
        "5206240001",
        "52062400",
    ]
    now = datetime(2024, 4, 2, 9, 30, 15)
    jobs = [await recheck_job(bus, m.subject, m.data, now=now) for m in msgs]
    sinan, audit, unknown, bad_payload, bad_id = jobs
    assert sinan.recheck and sinan.site == SITES[0]
    assert (sinan.sweep_id, sinan.at, sinan.quarter) == (
        "recheck-5206240001-20240402093015",
        "2024-04-02",  # the recheck's own time point
        "2024Q1",  # the quarter of the site's last sweep
    )
    assert audit.site.name == "贵州省审计厅" and audit.recheck
    assert unknown is None and bad_payload is None and bad_id is None

    today = await recheck_job(bus, msgs[0].subject, b"")
    assert today.at == date.today().isoformat()
    assert re.fullmatch(r"recheck-5206240001-\d{14}", today.sweep_id)


async def test_recheck_command_publishes_the_columns(nats, tmp_path: Path, capsys) -> None:
    server, bus = nats
    await remember_sites(bus, SITES, "2024-03-20", "2024Q1")
    config = Config(nats_url=server.url, state_dir=str(tmp_path / "state"), metrics_port=-1)
    urls = "http://127.0.0.1:9/a/, http://127.0.0.1:9/b/"
    assert await recheck(config, "5206240001", urls, None) == 0
    (msg,) = await take_requests(bus, 1)
    assert msg.subject == "govsweep.jobs.recheck.5206240001"
    request = msgspec.json.decode(msg.data, type=RecheckRequest)
    assert request.columns == ["http://127.0.0.1:9/a/", "http://127.0.0.1:9/b/"]

    with pytest.raises(UsageError, match="5299999999: unknown 标识码"):
        await recheck(config, "5299999999", None, None)
    with pytest.raises(UsageError, match="10-digit or bm"):
        await recheck(config, "52-06", None, None)
    with pytest.raises(UsageError, match="columns must be http"):
        await recheck(config, "5206240001", "ftp://x/", None)


def fixed(spec, at: date):
    """The site after its office fixed it: every readable column carries fresh, dated items."""
    columns = tuple(
        msgspec.structs.replace(c, newest=at, blank_form=None, undated=False, items=max(c.items, 6))
        if c.fault is None
        else c
        for c in spec.columns
    )
    return msgspec.structs.replace(spec, columns=columns, defects=())


async def wait_for_recheck_in_report(config: Config, quarter: str, out: Path) -> str:
    """The Markdown report, once the aggregator has stored the recheck (at most 10 s)."""
    for _ in range(100):
        report(config, quarter, None, "md", out)
        text = out.read_text(encoding="utf-8")
        if "本季度未开展复查" not in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError("the recheck verdict never reached the store")


async def test_fixed_site_rechecked_by_a_plain_client_changes_verdict_and_report(
    tmp_path: Path, output_dir: Path
) -> None:
    today = date.today()  # a recheck's time point is the day it runs: date the farm for it
    quarter = quarter_of(today)
    province = generate_province(6, 7, today)
    server = EmbeddedServer(tmp_path)
    await server.start()
    config = for_loopback_farm(
        Config(
            nats_url=server.url,
            state_dir=str(tmp_path / "state"),
            metrics_port=-1,
            browser=BrowserConfig(enabled=False),  # no Chromium needed: such columns are unmeasured
        )
    )
    try:
        async with FarmServer(province) as farm, Runtime(config) as rt:
            rt.start_roles(rt.embedded_roles())
            province.write_registry_csv(tmp_path / "registry.csv")
            sites = load_registry(tmp_path / "registry.csv")
            _, verdicts = await run_sweep(config, sites, today, quarter, 120)
            before = next(v for v in verdicts if v.verdict.verdict == FAIL)
            site_id = before.site.site_id
            spec = province.by_id[site_id]
            repaired = fixed(spec, today)
            assert province.expected(repaired, browser=False)["verdict"] == PASS

            # The office fixes its site: the farm serves the repaired spec from now on.
            province.sites = tuple(repaired if s is spec else s for s in province.sites)
            province.by_id[site_id] = repaired
            farm._columns.pop(site_id, None)  # the server caches each site's column specs

            verdicts_sub = await rt.bus.js.subscribe(
                SUBJECT_VERDICT.format(sweep_id="*", site_id=site_id),
                ordered_consumer=True,
                deliver_policy=js_api.DeliverPolicy.NEW,
            )
            await raw_publish(server.port, f"govsweep.jobs.recheck.{site_id}")
            msg = await verdicts_sub.next_msg(timeout=60)
            await verdicts_sub.unsubscribe()
            after = msgspec.json.decode(msg.data, type=SiteVerdict)
            assert after.recheck and after.sweep_id.startswith(f"recheck-{site_id}-")
            assert (after.quarter, after.at, after.verdict.verdict) == (
                quarter,
                today.isoformat(),
                PASS,
            )
            text = await wait_for_recheck_in_report(config, quarter, output_dir / "report.md")
    finally:
        await server.stop()

    # The quarter's verdict is the recheck's: the site left the problem list.
    problems = text.split("## 附件2 问题网站名单")[1].split("## 未能检测网站")[0]
    assert site_id not in problems
    # The history is kept: first verdict, recheck verdict, what was fixed.
    section = text.split("## 二、复查整改情况")[1].split("## 附件1")[0]
    assert "本季度对1家网站进行了复查，其中复查合格1家。" in section
    (row,) = [line for line in section.splitlines() if site_id in line]
    fixed_problems = "；".join(
        f.message for f in before.verdict.findings if f.level == "veto" and f.holds
    )
    assert f"| 不合格（{today.isoformat()}） | 合格（{today.isoformat()}） |" in row
    assert row.endswith(f"| 已整改：{fixed_problems} |")


async def test_column_recheck_reads_only_those_columns_and_keeps_the_rest(tmp_path: Path) -> None:
    """`{"columns": [URL]}`: that column is read again; the others keep the last sweep's facts."""
    today = date.today()
    province = generate_province(6, 7, today)
    server = EmbeddedServer(tmp_path)
    await server.start()
    config = for_loopback_farm(
        Config(
            nats_url=server.url,
            state_dir=str(tmp_path / "state"),
            metrics_port=-1,
            browser=BrowserConfig(enabled=False),
        )
    )
    try:
        async with FarmServer(province), Runtime(config) as rt:
            rt.start_roles(rt.embedded_roles())
            province.write_registry_csv(tmp_path / "registry.csv")
            sites = load_registry(tmp_path / "registry.csv")
            sweep_id, verdicts = await run_sweep(config, sites, today, quarter_of(today), 120)
            site_id = verdicts[0].site.site_id

            async def column_facts(sweep: str) -> dict[str, bytes]:
                sub = await rt.bus.js.subscribe(
                    f"govsweep.results.column.{sweep}.{site_id}.*", ordered_consumer=True
                )
                found: dict[str, bytes] = {}
                with contextlib.suppress(TimeoutError):
                    while True:
                        msg = await sub.next_msg(timeout=2)
                        facts = msgspec.json.decode(msg.data, type=ColumnResult).facts
                        found[facts.column.url] = msgspec.json.encode(facts)
                await sub.unsubscribe()
                return found

            before = await column_facts(sweep_id)
            chosen = sorted(before)[0]
            await asyncio.sleep(1.1)  # fetched_at has one-second resolution
            verdicts_sub = await rt.bus.js.subscribe(
                SUBJECT_VERDICT.format(sweep_id="*", site_id=site_id),
                ordered_consumer=True,
                deliver_policy=js_api.DeliverPolicy.NEW,
            )
            payload = msgspec.json.encode(RecheckRequest([chosen]))
            await raw_publish(server.port, f"govsweep.jobs.recheck.{site_id}", payload)
            msg = await verdicts_sub.next_msg(timeout=60)
            await verdicts_sub.unsubscribe()
            after = msgspec.json.decode(msg.data, type=SiteVerdict)
            rechecked = await column_facts(after.sweep_id)
    finally:
        await server.stop()

    assert after.recheck and rechecked.keys() == before.keys()
    assert rechecked[chosen] != before[chosen]  # read again: a new fetch time
    for url in before.keys() - {chosen}:
        assert rechecked[url] == before[url], url  # kept as the last sweep read it
