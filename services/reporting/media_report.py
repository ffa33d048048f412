"""The 政务新媒体 half of the 通报: pass rates per platform, 不合格 / 存在问题 lists, the summary.

Pure functions over `AccountVerdict`s, in the bulletins' wording (开封 2024 Q1 附件1/2: 序号,
政务新媒体, 主管单位, 问题栏目, 问题类型; 昭通: "其中，政务微信公众号244个，发现不合格10个，合格率为
95.9%"). As for sites, 未能检测 accounts are neither 合格 nor 不合格: they are left out of the 合格率 and
listed with the reason.
"""

from __future__ import annotations

from pathlib import Path

from checkers.media import PROBLEM
from checkers.model import FAIL, PASS, UNMEASURED
from crawler.platforms.base import PLATFORM_NAMES
from services.bus.media_schema import AccountVerdict
from services.reporting.report import (
    GUIZHOU,
    QUARTER_NAMES,
    TOTAL,
    RateStyle,
    Section,
    Table,
    markdown_table,
    pass_rate,
    write_csv_tables,
)

PLATFORM_HEADER = ["平台", "检查账号数", "合格数", "不合格数", "未能检测数", "合格率"]
FAILED_HEADER = ["序号", "政务新媒体", "主管单位", "问题栏目", "问题类型"]
UNMEASURED_HEADER = ["序号", "政务新媒体", "主管单位", "问题栏目", "原因"]
PROBLEM_HEADER = FAILED_HEADER
# How the bulletins name accounts of a platform in running text ("政务微信公众号244个").
PLATFORM_PROSE = {
    "wechat": "政务微信公众号",
    "weibo": "政务微博",
    "douyin": "政务抖音号",
    "toutiao": "政务今日头条号",
    "kuaishou": "政务快手号",
    "baijiahao": "政务百家号",
    "app": "政务移动客户端",
}


def quarter_title(quarter: str) -> str:
    """ "2024Q1" → "2024年第一季度" (the attachments' titles)."""
    year, _, number = quarter.partition("Q")
    return f"{year}年第{QUARTER_NAMES[number]}季度" if number in QUARTER_NAMES else quarter


def latest(verdicts: list[AccountVerdict]) -> list[AccountVerdict]:
    """One verdict per account: the latest measured one, else the latest (as for sites)."""
    best: dict[str, AccountVerdict] = {}
    for v in sorted(verdicts, key=lambda v: (v.verdict.verdict != UNMEASURED, v.checked_at)):
        best[v.account.account_id] = v
    return [best[k] for k in sorted(best)]


def platform_rows(verdicts: list[AccountVerdict], style: RateStyle = GUIZHOU) -> list[list[object]]:
    """One row per platform in PLATFORM_NAMES order, then 合计."""
    rows: list[list[object]] = []
    totals = [0, 0, 0, 0]
    for platform, name in PLATFORM_NAMES.items():
        mine = [v.verdict.verdict for v in verdicts if v.account.platform == platform]
        if not mine:
            continue
        counts = [len(mine), mine.count(PASS), mine.count(FAIL), mine.count(UNMEASURED)]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append([name, *counts, pass_rate(counts[1] + counts[2], counts[2], style)])
    rows.append([TOTAL, *totals, pass_rate(totals[1] + totals[2], totals[2], style)])
    return rows


def failed_list(verdicts: list[AccountVerdict]) -> list[list[object]]:
    """附件 不合格的政务新媒体: the veto messages as 问题类型."""
    rows: list[list[object]] = []
    for v in verdicts:
        if v.verdict.verdict != FAIL:
            continue
        vetoes = [f.message for f in v.verdict.findings if f.level == "veto" and f.holds]
        rows.append(_row(len(rows) + 1, v, "；".join(dict.fromkeys(vetoes))))
    return rows


def problem_list(verdicts: list[AccountVerdict]) -> list[list[object]]:
    """附件 存在问题的政务新媒体: accounts that passed but break a local rule."""
    rows: list[list[object]] = []
    for v in verdicts:
        if v.verdict.verdict != PASS:
            continue
        problems = [f.message for f in v.verdict.findings if f.level == PROBLEM]
        if problems:
            rows.append(_row(len(rows) + 1, v, "；".join(dict.fromkeys(problems))))
    return rows


def unmeasured_list(verdicts: list[AccountVerdict]) -> list[list[object]]:
    rows: list[list[object]] = []
    for v in verdicts:
        if v.verdict.verdict == UNMEASURED:
            rows.append(_row(len(rows) + 1, v, "；".join(v.verdict.unmeasured) or "未能检测"))
    return rows


def _row(number: int, v: AccountVerdict, problem: str) -> list[object]:
    a = v.account
    return [number, a.name, a.unit, PLATFORM_NAMES.get(a.platform, a.platform), problem]


def summary(verdicts: list[AccountVerdict], style: RateStyle = GUIZHOU) -> str:
    """总体情况 in the bulletins' words, with the per-platform clause."""
    outcomes = [v.verdict.verdict for v in verdicts]
    passed, failed, unmeasured = (
        outcomes.count(PASS),
        outcomes.count(FAIL),
        outcomes.count(UNMEASURED),
    )
    text = (
        f"此次对{len(verdicts)}个政务新媒体进行了检查，合格{passed}个，不合格{failed}个，"
        f"合格率为{pass_rate(passed + failed, failed, style)}"
    )
    if unmeasured:
        text += f"；{unmeasured}个未能检测（原因见附件），未计入合格率"
    clauses = []
    for platform, prose in PLATFORM_PROSE.items():
        mine = [v.verdict.verdict for v in verdicts if v.account.platform == platform]
        if not mine:
            continue
        bad = mine.count(FAIL)
        found = f"，发现不合格{bad}个" if bad else ""
        rate = pass_rate(mine.count(PASS) + bad, bad, style)
        clauses.append(f"{prose}{len(mine)}个{found}，合格率为{rate}")
    if clauses:
        text += "。其中，" + "；".join(clauses)
    return text + "。"


def media_tables(
    verdicts: list[AccountVerdict], quarter_title: str = "", style: RateStyle = GUIZHOU
) -> list[Table]:
    """Every new-media attachment, titled like 开封's ("2024年第一季度不合格的政务新媒体")."""
    verdicts = latest(verdicts)
    return [
        Table(
            "政务新媒体检查情况",
            f"{quarter_title}政务新媒体检查情况",
            PLATFORM_HEADER,
            platform_rows(verdicts, style),
        ),
        Table(
            "不合格的政务新媒体",
            f"{quarter_title}不合格的政务新媒体",
            FAILED_HEADER,
            failed_list(verdicts),
        ),
        Table(
            "存在问题的政务新媒体",
            f"{quarter_title}存在问题的政务新媒体",
            PROBLEM_HEADER,
            problem_list(verdicts),
        ),
        Table(
            "未能检测的政务新媒体",
            f"{quarter_title}未能检测的政务新媒体",
            UNMEASURED_HEADER,
            unmeasured_list(verdicts),
        ),
    ]


def media_section(
    verdicts: list[AccountVerdict], quarter_title: str = "", style: RateStyle = GUIZHOU
) -> Section:
    """The 政务新媒体 part of a 通报: the summary paragraph and the attachments."""
    tables = media_tables(verdicts, quarter_title, style)
    return Section("政务新媒体检查情况", summary(latest(verdicts), style), tables)


def media_markdown(
    verdicts: list[AccountVerdict], quarter_title: str = "", style: RateStyle = GUIZHOU
) -> str:
    section = media_section(verdicts, quarter_title, style)
    return markdown_section(section.heading, section.paragraph, section.tables)


def markdown_section(heading: str, paragraph: str, tables: list[Table]) -> str:
    """A report section: heading, the summary paragraph, each table (or 无。)."""
    lines = [f"## {heading}", "", paragraph, ""]
    for table in tables:
        lines += [f"### {table.title}", ""]
        lines += markdown_table(table.header, table.rows) if table.rows else ["无。"]
        lines.append("")
    return "\n".join(lines)


def write_media_csv(directory: Path, tables: list[Table]) -> list[Path]:
    """Each table as its own CSV (UTF-8 with BOM) in `directory`."""
    return write_csv_tables(directory, tables)
