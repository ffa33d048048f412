"""The `govsweep accounts …` commands (政务新媒体)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import date
from pathlib import Path

import msgspec

from services.bus.jetstream import SUBJECT_REPOSTS, Bus
from services.bus.media_schema import AccountVerdict, RepostCheck
from services.cli.common import UsageError, date_arg, need_farm, quarter_arg, until_signalled
from services.config import Config
from services.media_registry import AccountRegistryInvalid, check_accounts, load_accounts
from services.registry import RegistryInvalid, load_registry
from services.reporting.media_report import (
    markdown_section,
    media_section,
    quarter_title,
    write_media_csv,
)
from services.reporting.report import RATE_STYLES, Section, Table
from services.reporting.store import Store, StoreError
from services.repost_items import RepostListInvalid, load_items
from services.roles import media_sweep
from services.roles.aggregator import Aggregator, ReplayError, replay, store_path
from services.roles.media_reposts import (
    UNREGISTERED_HEADER,
    account_units,
    read_sites,
    repost_section,
    site_units,
    unregistered,
)
from services.roles.media_sweep import account_fetcher, run_account_sweep
from services.roles.runtime import Runtime
from services.roles.scheduler import quarter_of

REPLAY_TIMEOUT_S = 600.0


def open_store(config: Config) -> Store:
    try:
        return Store(store_path(config))
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def accounts_check(path: Path) -> int:
    """Validate an account registry: one line per bad row on stderr, exit 1 if any."""
    if not path.exists():
        print(f"govsweep: {path}: account registry file not found", file=sys.stderr)
        return 2
    accounts, errors, warnings = check_accounts(path)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(str(error), file=sys.stderr)
    print(
        f"{path}: {len(accounts)} valid account(s), {len(errors)} error(s), {len(warnings)} warning(s)"
    )
    return 1 if errors else 0


async def accounts_sweep(
    config: Config,
    registry: Path,
    at: date | None,
    quarter: str | None,
    overlays: list[str],
    out: Path | None,
    rate_style: str,
    timeout: float | None,
    reposts: Path | None = None,
    sites_registry: Path | None = None,
) -> int:
    """Sweep every account of a registry, then write the new-media report (Markdown + CSV); with
    `reposts`, also the 重要信息转载 tables over the accounts and the sites of `sites_registry`."""
    try:
        accounts = load_accounts(registry)
        items = load_items(reposts) if reposts else []
        sites = load_registry(sites_registry) if sites_registry else []
    except (AccountRegistryInvalid, RepostListInvalid, RegistryInvalid) as exc:
        for error in exc.errors:
            print(f"govsweep: {error}", file=sys.stderr)
        return 2
    at = at or date.today()
    quarter = quarter or quarter_of(at)
    style = RATE_STYLES[rate_style]
    title = quarter_title(quarter)
    repost_parts: list[Section] = []

    async def check_reposts(bus: Bus, sweep_id: str, verdicts: list[AccountVerdict]) -> None:
        """重要信息转载 over the accounts' posts and the sites; the outcomes go on the results
        stream (the store keeps them for `govsweep report`)."""
        units = account_units(items, verdicts)
        extra: list[Table] = []
        if sites:
            async with account_fetcher(config) as fetcher:
                readings = await read_sites(fetcher, items, sites, at)
            units = site_units(items, sites, readings) + units
            missing = unregistered(sites, readings, accounts)
            extra.append(
                Table(
                    "疑似未备案的政务新媒体",
                    f"{title}疑似未备案的政务新媒体",
                    UNREGISTERED_HEADER,
                    missing,
                )
            )
        check = RepostCheck(sweep_id, at.isoformat(), quarter, items, units, media_sweep.now())
        await bus.publish(
            SUBJECT_REPOSTS.format(sweep_id=sweep_id), check, msg_id=f"reposts-{sweep_id}"
        )
        section = repost_section(check, title)
        section.tables += extra
        repost_parts.append(section)

    sweep_id, verdicts = await run_account_sweep(
        config, accounts, at, quarter, overlays, timeout, check_reposts if items else None
    )
    out = out or Path(config.state_dir) / "reports" / sweep_id
    sections = [media_section(verdicts, title, style), *repost_parts]
    write_report(out, sections, verdicts)
    return 0


def write_report(out: Path, sections: list[Section], verdicts: list[AccountVerdict]) -> None:
    """media_report.md, a CSV per table and account_verdicts.jsonl in `out`; the Markdown printed."""
    out.mkdir(parents=True, exist_ok=True)
    markdown = "\n".join(markdown_section(s.heading, s.paragraph, s.tables) for s in sections)
    (out / "media_report.md").write_text(markdown, encoding="utf-8")
    write_media_csv(out, [table for section in sections for table in section.tables])
    with (out / "account_verdicts.jsonl").open("wb") as handle:
        for verdict in verdicts:
            handle.write(msgspec.json.encode(verdict) + b"\n")
    print(markdown)
    print(f"报告已写入 {out}", file=sys.stderr)


async def accounts_report(config: Config, quarter: str, rate_style: str, out: Path) -> int:
    """The quarter's new-media report (latest measured verdict per account, the quarter's latest
    转载 check): the store is brought up to date from the results stream first, as `govsweep
    aggregate` does, then read like `govsweep report` reads it."""
    async with Runtime(config) as rt:
        assert rt.bus is not None
        store = open_store(config)
        try:
            await replay(rt.bus, Aggregator(store), REPLAY_TIMEOUT_S)
            verdicts = store.quarter_account_verdicts(quarter)
            check = store.repost_check(quarter)
        except ReplayError as exc:
            raise UsageError(str(exc)) from None
        finally:
            store.close()
    if not verdicts:
        raise UsageError(f"no account verdicts for {quarter} in the results stream")
    title = quarter_title(quarter)
    sections = [media_section(verdicts, title, RATE_STYLES[rate_style])]
    if check is not None:
        sections.append(repost_section(check, title))
    write_report(out, sections, verdicts)
    return 0


async def run_account_role(config: Config) -> int:
    """`govsweep run account`: serve account jobs from GOVSWEEP_NATS_URL until SIGTERM/SIGINT."""
    if not config.nats_url:
        raise UsageError("run account needs GOVSWEEP_NATS_URL (a shared nats-server)")
    async with Runtime(config) as rt:
        assert rt.bus is not None
        rt.tasks.append(asyncio.create_task(media_sweep.run(rt.bus, config, until_signalled())))
        await rt.wait()
    return 0


async def farm_platforms(accounts: int, sites: int, seed: int, at: date | None, out: Path) -> int:
    """Serve simulated platforms (and repost sites) on loopback until stopped; write the account
    registry, the site list, the repost list and the ground truth to `out`."""
    need_farm()
    from farm.accounts import accounts_manifest, generate_accounts
    from farm.platforms import PlatformFarm
    from farm.reposts import (
        important_items,
        plant_in_accounts,
        repost_sites,
        reposts_manifest,
        search_only,
    )

    at = at or date.today()
    specs = generate_accounts(accounts, seed, at)
    items = important_items(at)
    plant_in_accounts(specs, items)
    county_sites = repost_sites(sites, items, at)
    out.mkdir(parents=True, exist_ok=True)
    async with PlatformFarm(specs, county_sites, at) as farm:
        farm.write_registry_csv(out / "accounts.csv")
        with (out / "sites.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["网站标识码", "网站名称", "首页地址", "地区/部门", "网站类型"])
            for site in county_sites:
                writer.writerow(
                    [f"41020000{site.index:02d}", site.name, farm.site_url(site), "模拟市", "门户"]
                )
        with (out / "items.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["标题", "来源地址", "发布日期", "转载时限"])
            writer.writerows([i.title, i.source_url, i.published, i.deadline] for i in items)
        manifest = accounts_manifest(specs, at)
        manifest["reposts"] = reposts_manifest(specs, county_sites, items)
        manifest["reposts_search_only"] = search_only(county_sites, items)
        (out / "accounts_manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        print(f"simulated platforms on port {farm.port}; registry and ground truth in {out}")
        await until_signalled().wait()
    return 0


def add_accounts_parser(sub: argparse._SubParsersAction) -> None:
    """`govsweep accounts check|sweep|report`."""
    accounts = sub.add_parser("accounts", help="政务新媒体 account registry and sweeps")
    accounts_sub = accounts.add_subparsers(dest="accounts_command", required=True)
    accounts_check = accounts_sub.add_parser("check", help="validate an account registry file")
    accounts_check.add_argument("file", type=Path)
    accounts_sweep = accounts_sub.add_parser("sweep", help="sweep every account, then the report")
    accounts_sweep.add_argument("--registry", required=True, type=Path, help="CSV/XLSX of accounts")
    accounts_sweep.add_argument(
        "--at", type=date_arg, help="monitoring time point T (default: today)"
    )
    accounts_sweep.add_argument("--quarter", type=quarter_arg, help="report quarter (default: T's)")
    accounts_sweep.add_argument(
        "--overlay", action="append", default=[], help="media rule overlay (file or packaged name)"
    )
    accounts_sweep.add_argument("--out", type=Path, help="report folder")
    accounts_sweep.add_argument(
        "--rate-style", choices=["guizhou", "zhaotong", "mianyang", "kaifeng"], default="guizhou"
    )
    accounts_sweep.add_argument("--timeout", type=float, help="seconds to wait for all verdicts")
    accounts_sweep.add_argument(
        "--reposts",
        type=Path,
        help="重要信息转载: the province's list (标题, 来源地址, 发布日期, 转载时限)",
    )
    accounts_sweep.add_argument(
        "--sites", type=Path, help="重要信息转载: site registry to search too"
    )
    accounts_report = accounts_sub.add_parser(
        "report", help="the quarter's new-media report from the results stream"
    )
    accounts_report.add_argument("--quarter", required=True, type=quarter_arg, help="e.g. 2024Q1")
    accounts_report.add_argument(
        "--rate-style", choices=["guizhou", "zhaotong", "mianyang", "kaifeng"], default="guizhou"
    )
    accounts_report.add_argument("--out", required=True, type=Path, help="report folder")


def add_farm_platforms_parser(farm_sub: argparse._SubParsersAction) -> None:
    """`govsweep farm platforms`."""
    platforms = farm_sub.add_parser("platforms", help="serve simulated 政务新媒体 platforms")
    platforms.add_argument(
        "--accounts", type=int, default=84, help="12 per platform: every defect on each"
    )
    platforms.add_argument("--sites", type=int, default=6, help="county sites for 重要信息转载")
    platforms.add_argument("--seed", type=int, default=1)
    platforms.add_argument(
        "--at", type=date_arg, help="monitoring time point the posts are dated for"
    )
    platforms.add_argument("--out", type=Path, default=Path("farm-media"))


async def dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "farm":
        return await farm_platforms(args.accounts, args.sites, args.seed, args.at, args.out)
    if args.accounts_command == "report":
        return await accounts_report(config, args.quarter, args.rate_style, args.out)
    if args.accounts_command == "sweep":
        return await accounts_sweep(
            config,
            args.registry,
            args.at,
            args.quarter,
            args.overlay,
            args.out,
            args.rate_style,
            args.timeout,
            args.reposts,
            args.sites,
        )
    return accounts_check(args.file)
