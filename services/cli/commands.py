"""What each CLI command does (the argument parsing lives in cli.py)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import msgspec

from checkers.model import UNMEASURED, Verdict
from checkers.rules import RuleError, format_rules, load_rules
from services import metrics
from services.bus.schema import Site, SiteVerdict
from services.cli.common import UsageError, need_farm, print_json, until_signalled
from services.config import Config, for_loopback_farm
from services.log import log
from services.registry import check_registry, url_warnings
from services.reporting import report
from services.reporting.verdict_spool import VerdictSpool, for_report, spool_verdicts
from services.roles.check_worker import rules_from
from services.roles.crawl_worker import lexicon_from
from services.roles.runtime import Runtime
from services.roles.scheduler import quarter_of, start_sweep

SWEEP_BASE_TIMEOUT_S = 300.0
SWEEP_TIMEOUT_PER_SITE_S = 3.0


def load_sites(path: Path) -> list[Site]:
    """The registry's sites, or UsageError listing every bad row (nothing is published then)."""
    if not path.exists():
        raise UsageError(f"{path}: registry file not found")
    sites, errors = check_registry(path)
    if errors:
        for error in errors:
            print(str(error), file=sys.stderr)
        raise UsageError(f"{path}: {len(errors)} error(s) in the registry; nothing was published")
    if not sites:
        raise UsageError(f"{path}: the registry has no sites")
    return sites


def progress_bar(done: int, total: int, elapsed_s: float, width: int = 24) -> str:
    """One line: a bar, sites done of total, the rate so far and the time left at that rate."""
    share = done / total if total else 1.0
    filled = round(width * share)
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    if done >= total:
        left = "已完成"
    elif rate > 0:
        left = "预计剩余 " + _clock((total - done) / rate)
    else:
        left = "预计剩余 —"
    bar = "█" * filled + "░" * (width - filled)
    return f"检测进度 {bar} {done}/{total} {share:4.0%} · {rate:.1f} 站/秒 · {left}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Sites done / total: a redrawn progress bar on a terminal; otherwise a "sweep progress" log
    event per 10 % (JSON lines, with the rate and the estimated seconds left)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if self.tty:
            line = progress_bar(done, total, elapsed)
            end = "\n" if done >= total else ""
            print("\r" + line, end=end, file=sys.stderr, flush=True)
            return
        tenth = done * 10 // max(total, 1)
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = round((total - done) / rate) if rate > 0 else None
            fields = {"done": done, "total": total, "per_s": round(rate, 2), "eta_s": eta}
            log("sweep progress", fields)


def timed_out(site: Site, sweep_id: str, at: date, quarter: str) -> SiteVerdict:
    """A site with no verdict when the sweep's time ran out: 未能检测, never blank."""
    reason = "未在检测时限内完成 (sweep timeout)"
    return SiteVerdict(
        sweep_id=sweep_id,
        at=at.isoformat(),
        quarter=quarter,
        site=site,
        verdict=Verdict(verdict=UNMEASURED, unmeasured=[reason]),
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        home_url=site.url,
    )


async def run_sweep(
    config: Config, sites: list[Site], at: date, quarter: str, timeout: float | None
) -> tuple[str, list[SiteVerdict]]:
    """A sweep with its verdicts in memory, for a province-sized run (demo, tests)."""
    with tempfile.TemporaryDirectory(prefix="govsweep-") as tmp:
        spool = VerdictSpool(Path(tmp) / "verdicts.spool")
        sweep_id = await run_sweep_to(config, sites, at, quarter, timeout, spool)
        verdicts = list(spool)
        spool.close()
    return sweep_id, verdicts


async def run_sweep_to(
    config: Config,
    sites: list[Site],
    at: date,
    quarter: str,
    timeout: float | None,
    spool: VerdictSpool,
) -> str:
    """Run a sweep, its verdicts streamed into `spool` (one per site: a site without a verdict
    when the time is up is 未能检测)."""
    # Bad rule or lexicon files stop the sweep here, with their faults, before anything is published.
    rules_from(config)
    lexicon_from(config)
    timeout = timeout or SWEEP_BASE_TIMEOUT_S + SWEEP_TIMEOUT_PER_SITE_S * len(sites)
    async with Runtime(config) as rt:
        if rt.embedded:
            rt.start_roles(rt.embedded_roles())
        assert rt.bus is not None
        sweep_id = await start_sweep(rt.bus, sites, at, quarter)
        await spool_verdicts(rt.bus, sweep_id, len(sites), timeout, spool, Progress())
    # The roles have stopped: the sweep's final figures, whatever the aggregator got to.
    metrics.set_sweep(sweep_id, len(sites), len(spool))
    for site in sites:
        if site.site_id not in spool:
            spool.add_verdict(timed_out(site, sweep_id, at, quarter))
    return sweep_id


def write_reports(
    out: Path,
    at: date,
    quarter: str,
    verdicts: list[SiteVerdict] | VerdictSpool,
    issuer: str = "",
) -> str:
    """report.md, the CSV attachments and verdicts.jsonl. `verdicts`: one per site (a sweep's);
    read twice, one verdict at a time, so a spool of a national sweep is never all in memory."""
    out.mkdir(parents=True, exist_ok=True)
    slim = [for_report(v) for v in verdicts]
    title = report.default_title(quarter, report.scope_name(slim), issuer)
    document = report.build_report(title, at.isoformat(), quarter, slim, issuer=issuer)
    markdown = report.markdown_of(document)
    (out / "report.md").write_text(markdown, encoding="utf-8")
    report.write_csv(out, slim)
    with (out / "verdicts.jsonl").open("wb") as handle:
        for verdict in verdicts:
            handle.write(msgspec.json.encode(report.verdict_record(verdict)) + b"\n")
    return markdown


async def sweep(
    config: Config,
    registry: Path,
    at: date | None,
    quarter: str | None,
    out: Path | None,
    timeout: float | None,
) -> int:
    sites = load_sites(registry)
    at = at or date.today()
    quarter = quarter or quarter_of(at)
    spool = VerdictSpool(Path(config.state_dir) / "spool" / f"{os.getpid()}.jsonl")
    try:
        sweep_id = await run_sweep_to(config, sites, at, quarter, timeout, spool)
        out = out or Path(config.state_dir) / "reports" / sweep_id
        print(write_reports(out, at, quarter, spool, config.report.issuer))
    finally:
        spool.close()
        spool.path.unlink(missing_ok=True)
    print(f"报告已写入 {out}", file=sys.stderr)
    return 0


async def run_role(
    config: Config, role: str, registry: Path | None, at: date | None, quarter: str | None
) -> int:
    if not config.nats_url:
        raise UsageError("`govsweep run` needs GOVSWEEP_NATS_URL (or nats_url in the config file)")
    if role == "monitor":
        if registry is None:
            raise UsageError("`govsweep run monitor` needs --registry FILE")
        return await monitor(config, registry)
    if role == "scheduler":
        if registry is None:
            raise UsageError("`govsweep run scheduler` needs --registry FILE")
        sites = load_sites(registry)
        at = at or date.today()
        async with Runtime(config) as rt:
            assert rt.bus is not None
            sweep_id = await start_sweep(rt.bus, sites, at, quarter or quarter_of(at))
        print(sweep_id)
        return 0
    stop = until_signalled()
    async with Runtime(config) as rt:
        rt.stop = stop
        rt.start_roles([role])
        await rt.wait()
    return 0


async def monitor(config: Config, registry: Path) -> int:
    """Probe every home page of the registry until stopped (embedded NATS when no URL is set)."""
    from services.roles.monitor import run_monitor

    sites = load_sites(registry)
    stop = until_signalled()
    async with Runtime(config) as rt:
        assert rt.bus is not None
        await run_monitor(rt.bus, config, sites, stop)
    return 0


def registry_check(path: Path) -> int:
    if not path.exists():
        raise UsageError(f"{path}: registry file not found")
    sites, errors = check_registry(path)
    for error in errors:
        print(str(error), file=sys.stderr)
    warnings = url_warnings(path, sites)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{path}: {len(sites)} valid site(s), {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


def rules_show(config: Config, overlays: list[Path]) -> int:
    """Print the effective rule set; a faulty rule file gives one line per fault."""
    try:
        rules = load_rules(
            config.check.rules or None, [*map(Path, config.check.overlays), *overlays]
        )
    except RuleError as exc:
        for line in exc.errors:
            print(f"govsweep: {line}", file=sys.stderr)
        return 2
    sys.stdout.write(format_rules(rules))
    return 0


async def extract(
    config: Config, source: str, url: str | None, at: date | None, kind: str | None
) -> int:
    from crawler.encoding import decode_html
    from crawler.extract import extract_page

    at = at or date.today()
    if source.startswith(("http://", "https://")):
        from services.roles.crawl_worker import make_fetcher

        async with make_fetcher(config) as fetcher:
            page = await fetcher.get(source)
        if page.body is None:
            raise UsageError(f"{source}: could not fetch the page ({page.result.error})")
        body, content_type, url = (
            page.body,
            page.content_type,
            url or str(page.result.final_url or source),
        )
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"{source}: no such file (give a saved page or an http(s) URL)")
        body, content_type = path.read_bytes(), None
        url = url or path.resolve().as_uri()
    text, charset = decode_html(body, content_type)
    print_json(extract_page(text, url, at, charset=charset, kind_hint=kind))
    return 0


async def farm_serve(sites: int, seed: int, at: date | None, out: Path) -> int:
    need_farm()
    from farm.server import serve_forever

    if sites < 1:
        raise UsageError("--sites must be at least 1")
    await serve_forever(sites, seed, at or date.today(), out)
    return 0


def compare_with_manifest(verdicts: list[SiteVerdict], manifest: dict) -> list[str]:
    """Where govsweep's verdicts differ from the simulated province's ground truth."""
    expected = {site["site_id"]: site["expected"] for site in manifest["sites"]}
    problems = []
    for v in verdicts:
        want = expected.get(v.site.site_id)
        if want is None:
            problems.append(f"{v.site.site_id}: not in the manifest")
            continue
        got_findings = sorted(
            {f.indicator for f in v.verdict.findings if f.level == "veto" and f.holds}
        )
        if v.verdict.verdict != want["verdict"] or got_findings != sorted(want["findings"]):
            problems.append(
                f"{v.site.site_id} {v.site.name}: expected {want['verdict']} {want['findings']}, "
                f"got {v.verdict.verdict} {got_findings}"
            )
    return problems


async def demo(config: Config, sites: int, seed: int, at: date | None, out: Path) -> int:
    """The simulated province, an embedded NATS, a full sweep, the report, and a ground-truth check."""
    need_farm()
    from farm.province import generate_province
    from farm.server import FarmServer

    at = at or date.today()
    province = generate_province(sites, seed, at)
    out.mkdir(parents=True, exist_ok=True)
    state = out / "state"
    shutil.rmtree(state, ignore_errors=True)  # a demo starts from nothing
    config = for_loopback_farm(msgspec.structs.replace(config, nats_url="", state_dir=str(state)))
    async with FarmServer(province):
        province.write_registry_csv(out / "registry.csv")
        province.write_manifest(out / "manifest.json")
        quarter = quarter_of(at)
        _, verdicts = await run_sweep(config, load_sites(out / "registry.csv"), at, quarter, None)
    print(write_reports(out / "report", at, quarter, verdicts, config.report.issuer))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    problems = compare_with_manifest(verdicts, manifest)
    for line in problems:
        print(f"与模拟省份基准不符: {line}", file=sys.stderr)
    print(
        f"模拟省份基准核对: {len(verdicts) - len(problems)}/{len(verdicts)} 个网站的结论与基准一致;"
        f" 报告在 {out / 'report'}",
        file=sys.stderr,
    )
    return 0 if not problems else 1
