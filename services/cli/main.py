"""The `govsweep` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from checkers.rules import RuleError
from services.bus.jetstream import BusError
from services.cli.common import UsageError, date_arg, quarter_arg
from services.config import Config, ConfigError, load_config
from services.log import FORMATS, configure


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govsweep", description="Inspect government websites against 国办秘函〔2019〕19号."
    )
    parser.add_argument("--config", help="TOML config file (default: $GOVSWEEP_CONFIG)")
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        help="auto (default): JSON unless stderr is a terminal; json; text",
    )
    parser.add_argument("--log-file", help="write the logs to this file instead of stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    monitor = sub.add_parser(
        "monitor", help="probe every home page ≥20 times a day until stopped (W-V2 站点无法访问)"
    )
    monitor.add_argument("--registry", required=True, type=Path, help="CSV or XLSX of sites")

    sweep = sub.add_parser("sweep", help="full-coverage sweep of a registry, then the report")
    sweep.add_argument("--registry", required=True, type=Path, help="CSV or XLSX of sites")
    sweep.add_argument("--at", type=date_arg, help="monitoring time point T (default: today)")
    sweep.add_argument("--quarter", type=quarter_arg, help="report quarter (default: T's quarter)")
    sweep.add_argument("--out", type=Path, help="report folder (default: STATE_DIR/reports/SWEEP)")
    sweep.add_argument("--timeout", type=float, help="seconds to wait for all verdicts")

    run = sub.add_parser("run", help="run one role against GOVSWEEP_NATS_URL")
    run.add_argument(
        "role",
        choices=["scheduler", "monitor", "crawler", "browser", "checker", "aggregator", "account"],
    )
    run.add_argument("--registry", type=Path, help="scheduler: registry to sweep")
    run.add_argument("--at", type=date_arg, help="scheduler: monitoring time point T")
    run.add_argument("--quarter", type=quarter_arg, help="scheduler: report quarter")

    registry = sub.add_parser("registry", help="site registry tools")
    registry_sub = registry.add_subparsers(dest="registry_command", required=True)
    check = registry_sub.add_parser("check", help="validate a registry file")
    check.add_argument("file", type=Path)

    from services.cli import media_cmd  # the 政务新媒体 commands define their own arguments

    media_cmd.add_accounts_parser(sub)

    rules = sub.add_parser("rules", help="the indicator rule set")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    show = rules_sub.add_parser("show", help="print the effective rules (baseline + overlays)")
    show.add_argument(
        "--overlay", type=Path, action="append", default=[], help="province overlay (repeatable)"
    )

    extract = sub.add_parser("extract", help="extract the facts of one page (file or URL)")
    extract.add_argument("source", help="a saved page or an http(s) URL")
    extract.add_argument("--url", help="the page's original URL (to resolve links of a file)")
    extract.add_argument("--at", type=date_arg, help="monitoring time point for year inference")
    extract.add_argument("--kind", choices=["home", "list", "article"], help="force the page kind")
    extract.add_argument("--json", action="store_true", help="print JSON (the default)")

    farm = sub.add_parser("farm", help="the simulated province")
    farm_sub = farm.add_subparsers(dest="farm_command", required=True)
    serve = farm_sub.add_parser("serve", help="serve a simulated province on loopback")
    serve.add_argument("--sites", type=int, default=50)
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--at", type=date_arg, help="monitoring time point the content is dated for")
    serve.add_argument("--out", type=Path, default=Path("farm"), help="registry + manifest folder")
    media_cmd.add_farm_platforms_parser(farm_sub)

    demo = sub.add_parser("demo", help="simulated province + embedded NATS + sweep + report")
    demo.add_argument("--sites", type=int, default=40)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--at", type=date_arg, help="monitoring time point (default: today)")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))

    report = sub.add_parser("report", help="write a quarter's 通报 from the results store")
    report.add_argument("--quarter", required=True, type=quarter_arg, help="e.g. 2024Q1")
    report.add_argument("--region", help="GB/T 2260 code prefix, e.g. 52 or 5206 (default: all)")
    report.add_argument(
        "--format", choices=["xlsx", "csv", "md", "html", "docx"], help="default: from --out"
    )
    report.add_argument("--out", required=True, type=Path, help="file (csv: a folder)")
    report.add_argument(
        "--rate-style",
        choices=["guizhou", "zhaotong", "mianyang", "kaifeng"],
        default="guizhou",
        help="how 合格率 is printed: 97.36%% (guizhou), 58.8%% (zhaotong), 67%%, 98.9%% (cut)",
    )

    aggregate = sub.add_parser("aggregate", help="bring the results store up to date from NATS")
    aggregate.add_argument("--rebuild", action="store_true", help="drop the store, replay all")
    aggregate.add_argument("--timeout", type=float, default=600.0, help="seconds for the replay")

    recheck = sub.add_parser("recheck", help="复查: re-inspect one site now")
    recheck.add_argument("site_id", help="政府网站标识码")
    recheck.add_argument("--columns", help="comma-separated column URLs to look at again")
    recheck.add_argument("--wait", type=float, help="seconds to wait for the recheck verdict")
    status = sub.add_parser("status", help="a sweep's progress, consumer lag and dead letters")
    status.add_argument("sweep", nargs="?", help="sweep id (default: the latest sweep)")
    status.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        try:
            configure(
                config.log_level,
                args.log_format or config.log_format,
                args.log_file or config.log_file or None,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return asyncio.run(_dispatch(args, config))
    except (ConfigError, UsageError, BusError) as exc:
        print(f"govsweep: {exc}", file=sys.stderr)
        return 2
    except RuleError as exc:  # a rule file or overlay with faults: one line per fault
        for line in exc.errors:
            print(f"govsweep: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, config: Config) -> int:
    from services.cli import commands, report_cmd

    if args.command == "monitor":
        return await commands.monitor(config, args.registry)
    if args.command == "sweep":
        return await commands.sweep(
            config, args.registry, args.at, args.quarter, args.out, args.timeout
        )
    if args.command == "run" and args.role == "account":
        from services.cli import media_cmd

        return await media_cmd.run_account_role(config)
    if args.command == "run":
        return await commands.run_role(config, args.role, args.registry, args.at, args.quarter)
    if args.command == "registry":
        return commands.registry_check(args.file)
    if args.command == "accounts":
        from services.cli import media_cmd

        return await media_cmd.dispatch(args, config)
    if args.command == "rules":
        return commands.rules_show(config, args.overlay)
    if args.command == "extract":
        return await commands.extract(config, args.source, args.url, args.at, args.kind)
    if args.command == "farm" and args.farm_command == "platforms":
        from services.cli import media_cmd

        return await media_cmd.dispatch(args, config)
    if args.command == "farm":
        return await commands.farm_serve(args.sites, args.seed, args.at, args.out)
    if args.command == "demo":
        return await commands.demo(config, args.sites, args.seed, args.at, args.out)
    if args.command == "report":
        return report_cmd.report(
            config, args.quarter, args.region, args.format, args.out, args.rate_style
        )
    if args.command == "aggregate":
        return await report_cmd.aggregate(config, args.rebuild, args.timeout)
    if args.command == "recheck":
        return await report_cmd.recheck(config, args.site_id, args.columns, args.wait)
    if args.command == "status":
        from services.cli.status import status_command

        return await status_command(config, args.sweep, args.json)
    raise UsageError(f"unknown command {args.command}")
