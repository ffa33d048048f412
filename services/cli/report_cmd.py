"""What `govsweep report`, `govsweep aggregate` and `govsweep recheck` do (parsing lives in cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from nats.js.errors import KeyNotFoundError

from checkers.model import FAIL, UNMEASURED
from services.bus.jetstream import SUBJECT_RECHECK
from services.bus.schema import SiteVerdict
from services.cli.common import UsageError
from services.config import Config
from services.reporting import report_formats
from services.reporting.media_report import media_section, quarter_title
from services.reporting.regions import NATIONAL_CODE, is_plausible_code, name_of, province_of
from services.reporting.report import (
    RATE_STYLES,
    build_report,
    default_title,
    main_problems,
    markdown_of,
    region_rows,
    scope_name,
    unmeasured_reason,
    write_report_csv,
)
from services.reporting.store import Store, StoreError
from services.roles.aggregator import Aggregator, ReplayError, replay, store_path
from services.roles.media_reposts import repost_section
from services.roles.recheck import (
    RecheckError,
    parse_request,
    request_recheck,
    sites_bucket,
)
from services.roles.runtime import Runtime

FORMATS = ("xlsx", "csv", "md", "html", "docx")
SUFFIXES = {".xlsx": "xlsx", ".md": "md", ".html": "html", ".htm": "html", ".docx": "docx"}
EMBEDDED_RECHECK_WAIT_S = 300.0


def region_prefix(text: str) -> str:
    """The code prefix a --region selects: "52"/"520000" → "52", "5206"/"520600" → "5206"."""
    code = text.strip()
    if code == NATIONAL_CODE:
        return code
    if not code.isdigit() or len(code) not in (2, 4, 6):
        raise UsageError(f"--region {text!r}: give a GB/T 2260 code of 2, 4 or 6 digits (5206)")
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    if not is_plausible_code(code.ljust(6, "0")):
        raise UsageError(f"--region {text!r}: {code[:2]} is not a GB/T 2260 province code")
    return code


def _provinces(verdicts: list[SiteVerdict]) -> set[str]:
    return {province_of(v.site.region_code) for v in verdicts} - {NATIONAL_CODE}


def _level(prefix: str | None, verdicts: list[SiteVerdict]) -> str:
    """Rows one level below the selection: cities of a province, counties of a city."""
    if prefix and len(prefix) >= 4:
        return "county"
    return "city" if prefix or len(_provinces(verdicts)) <= 1 else "province"


def _region_name(prefix: str | None, verdicts: list[SiteVerdict]) -> str:
    if prefix:
        return name_of(prefix.ljust(6, "0"))
    return scope_name(verdicts)


def _open_store(config: Config) -> Store:
    path = store_path(config)
    if not path.exists():
        raise UsageError(
            f"{path}: no results store in GOVSWEEP_STATE_DIR ({config.state_dir}); "
            "run `govsweep sweep` or `govsweep aggregate` first"
        )
    try:
        return Store(path)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def report(
    config: Config,
    quarter: str,
    region: str | None,
    fmt: str | None,
    out: Path,
    rate_style: str = "guizhou",
) -> int:
    """Write the quarter's 通报 from the store, for the whole store or one region; with the
    政务新媒体 and 重要信息转载 sections when the quarter has account sweeps."""
    fmt = fmt or SUFFIXES.get(out.suffix.lower())
    if fmt not in FORMATS:
        raise UsageError(f"--out {out}: say --format ({', '.join(FORMATS)}) or use a known suffix")
    if fmt == "csv" and out.suffix:
        raise UsageError(f"--out {out}: csv writes one file per attachment, give a folder")
    prefix = region_prefix(region) if region else None
    store = _open_store(config)
    try:
        verdicts = store.quarter_verdicts(quarter)
        history = store.rechecked_history(quarter)
        sweeps = store.sweeps(quarter)
        quarters = sorted(set(store.quarters()) | set(store.account_quarters()))
        accounts = store.quarter_account_verdicts(quarter)
        reposts = store.repost_check(quarter)
    finally:
        store.close()
    if not verdicts and not accounts:
        known = ", ".join(quarters) or "none"
        raise UsageError(f"no verdicts for {quarter} in {store_path(config)} (quarters: {known})")
    if prefix:
        verdicts = [v for v in verdicts if v.site.region_code.startswith(prefix)]
        history = {k: h for k, h in history.items() if h[0].site.region_code.startswith(prefix)}
        # An account is in a region by its 地区代码 (or 标识码): one without a code is left out.
        accounts = [a for a in accounts if a.account.region_code.startswith(prefix)]
        if not verdicts and not accounts:
            raise UsageError(f"--region {region}: no site of {quarter} has a code under {prefix}")
    # 截至: the quarter's last sweep (a recheck's own date is shown in the 复查 table).
    swept = [s.at for s in sweeps] or [v.at for v in verdicts if not v.recheck]
    at = max(swept or [v.at for v in verdicts] or [a.at for a in accounts])
    style = RATE_STYLES[rate_style]
    sections = []
    if accounts:
        sections.append(media_section(accounts, quarter_title(quarter), style))
    if reposts is not None:
        sections.append(repost_section(reposts, quarter_title(quarter), prefix or ""))
    document = build_report(
        default_title(
            quarter,
            _region_name(prefix, verdicts),
            config.report.issuer,
            "政府网站和政务新媒体" if accounts else "政府网站",
        ),
        at,
        quarter,
        verdicts,
        history=history,
        level=_level(prefix, verdicts),
        style=style,
        issuer=config.report.issuer,
        sections=sections,
    )
    if fmt == "csv":
        write_report_csv(out, document)
    elif fmt == "md":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown_of(document), encoding="utf-8")
    else:
        writer = {
            "xlsx": report_formats.write_xlsx,
            "html": report_formats.write_html,
            "docx": report_formats.write_docx,
        }[fmt]
        writer(document, out)
    print(f"报告已写入 {out}", file=sys.stderr)
    return 0


async def aggregate(config: Config, rebuild: bool, timeout: float) -> int:
    """Bring the store up to date from the results stream (--rebuild: from nothing)."""
    async with Runtime(config) as rt:
        assert rt.bus is not None
        try:
            store = Store(store_path(config))
        except StoreError as exc:
            raise UsageError(str(exc)) from None
        try:
            if rebuild:
                store.clear()
            try:
                read = await replay(rt.bus, Aggregator(store), timeout)
            except ReplayError as exc:
                raise UsageError(str(exc)) from None
            print(f"从结果流读取 {read} 条消息", file=sys.stderr)
            for quarter in store.quarters():
                total = region_rows(store.rollup_counts(quarter, "province"))[-1]
                print(
                    f"{quarter}: 网站{total.sites}家，问题网站{total.problems}家，"
                    f"未能检测{total.unmeasured}家，总体合格率{total.pass_rate}"
                )
            for quarter in store.account_quarters():
                accounts = store.quarter_account_verdicts(quarter)
                print(f"{quarter}: 政务新媒体{len(accounts)}个")
        finally:
            store.close()
    return 0


async def recheck(config: Config, site_id: str, columns: str | None, wait: float | None) -> int:
    """Ask for a 复查 of one site; wait for its verdict when asked to, or when running embedded."""
    urls = [url.strip() for url in (columns or "").split(",") if url.strip()]
    try:
        parse_request(SUBJECT_RECHECK.format(site_id=site_id), b"")
    except RecheckError as exc:
        raise UsageError(str(exc)) from None
    async with Runtime(config) as rt:
        assert rt.bus is not None
        try:
            await (await sites_bucket(rt.bus)).get(site_id)
        except KeyNotFoundError:
            raise UsageError(
                f"{site_id}: unknown 标识码, no sweep has inspected this site"
            ) from None
        if rt.embedded:
            # Nobody else serves an embedded bus: run the roles here and wait for the verdict.
            rt.start_roles(rt.embedded_roles())
            wait = wait or EMBEDDED_RECHECK_WAIT_S
        try:
            verdict = await request_recheck(rt.bus, site_id, urls, wait or 0)
        except RecheckError as exc:
            raise UsageError(str(exc)) from None
    if not wait:
        print(f"已提交复查 {site_id}", file=sys.stderr)
        return 0
    if verdict is None:
        print(f"已提交复查 {site_id}，{wait:g} 秒内未收到复查结论", file=sys.stderr)
        return 1
    detail = ""
    if verdict.verdict.verdict == FAIL:
        detail = f"；主要问题：{main_problems(verdict)}"
    elif verdict.verdict.verdict == UNMEASURED:
        detail = f"；原因：{unmeasured_reason(verdict)}（季度结论维持不变）"
    print(f"复查结论：{verdict.site.name}（{site_id}）{verdict.verdict.verdict}{detail}")
    return 0
