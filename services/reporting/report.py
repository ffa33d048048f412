"""The 通报: per-region roll-up (附件1), problem-site list (附件2), 总体情况, 复查整改, and their files.

Pure functions over `SiteVerdict`s. Each site counts once: when a site has several verdicts (a 复查),
the latest measured one (合格/不合格) wins; a 未能检测 counts only while the site has no measured
verdict, so a site that cannot be reached on recheck keeps its finding. 未能检测 sites are not problem sites and are left out of the
合格率 (it is the share of *checked* sites that passed); they get their own column and list.
`build_report` gathers everything a 通报 shows into one `Report`; Markdown and CSV are written here,
XLSX, DOCX and HTML in `report_formats`.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext
from pathlib import Path

import msgspec

from checkers.model import FAIL, PASS, UNMEASURED
from services.bus.schema import Site, SiteVerdict
from services.reporting.cells import csv_cell, markdown_text
from services.reporting.regions import NATIONAL_CODE, city_of, name_of, province_of

TOTAL = "合计"
NO_RATE = "—"  # a region where no site could be checked has no 合格率
REGION_LEVELS = ("province", "city", "county")
QUARTER_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四"}
NUMERALS = "三四五六七八九"  # the further sections' numbers

SUMMARY_HEADER = ["地区", "在运行网站数", "问题网站数", "未能检测数", "合格率"]
PROBLEM_HEADER = ["序号", "地区", "网站标识码", "网站名称", "首页地址", "主要问题"]
UNMEASURED_HEADER = ["序号", "地区", "网站标识码", "网站名称", "原因"]
RECHECK_HEADER = ["序号", "地区", "网站标识码", "网站名称", "首次检查", "复查", "整改情况"]


class RateStyle(msgspec.Struct, frozen=True):
    """How a bulletin prints a 合格率. 100% is always "100%"."""

    decimals: int
    rounding: str = ROUND_HALF_UP  # a decimal rounding mode
    strip_zeros: bool = False  # "78%" rather than "78.0%"
    zero: str = "0%"  # how 0 is printed


# 贵州 2020Q1: "总体合格率97.36%", "合格率达100%".
GUIZHOU = RateStyle(decimals=2)
# 昭通 2020–2021: "58.8%", "78%", "100%", and "0" with no sign in 附件1.
ZHAOTONG = RateStyle(decimals=1, strip_zeros=True, zero="0")
# 绵阳 2019Q3: "67%" (whole percent).
MIANYANG = RateStyle(decimals=0, strip_zeros=True)
# 开封 2024Q1: 291 of 294 is "98.9%": cut, not rounded (half up would print 99%).
KAIFENG = RateStyle(decimals=1, rounding=ROUND_DOWN, strip_zeros=True)
RATE_STYLES = {"guizhou": GUIZHOU, "zhaotong": ZHAOTONG, "mianyang": MIANYANG, "kaifeng": KAIFENG}


class RegionCount(msgspec.Struct):
    """How many sites of a region, and how they came out (the materialised roll-up)."""

    key: str  # a GB/T 2260 code
    region: str
    sites: int
    problems: int
    unmeasured: int


class RegionRow(msgspec.Struct):
    """One row of 附件1."""

    key: str  # the roll-up key: a GB/T 2260 code, or 合计
    region: str  # 地区
    sites: int  # 在运行网站数
    problems: int  # 问题网站数
    unmeasured: int  # 未能检测数
    pass_rate: str  # 合格率

    @property
    def checked(self) -> int:
        return self.sites - self.unmeasured

    @property
    def pass_ratio(self) -> float | None:
        """Share of checked sites that passed (0..1); None when nothing could be checked."""
        return (self.checked - self.problems) / self.checked if self.checked else None


class ProblemRow(msgspec.Struct):
    """One row of 附件2 问题网站名单."""

    index: int  # 序号
    region: str  # 地区
    site_id: str  # 网站标识码
    name: str  # 网站名称
    url: str  # 首页地址
    problems: str  # 主要问题


class UnmeasuredRow(msgspec.Struct):
    """One site that could not be checked, with the reason."""

    index: int
    region: str
    site_id: str
    name: str
    reason: str


class RecheckRow(msgspec.Struct):
    """One rechecked site: its first verdict, the verdicts after it, and what changed."""

    index: int
    region: str
    site_id: str
    name: str
    first: str  # "不合格（2024-03-20）"
    later: list[str]  # every later verdict, oldest first, same form
    verdict: str  # the quarter's verdict now
    last: str  # what the latest check found (未能检测 leaves `verdict` as it was)
    fixed: list[str]  # problems of the first verdict that are gone
    remaining: list[str]  # problems of the first verdict still there
    added: list[str]  # problems found only later

    @property
    def change(self) -> str:
        """整改情况 in words."""
        parts = [
            f"{label}：{'；'.join(problems)}"
            for label, problems in (
                ("已整改", self.fixed),
                ("仍存在", self.remaining),
                ("新发现", self.added),
            )
            if problems
        ]
        return "。".join(parts) or "无变化"


class FindingCount(msgspec.Struct):
    """How many sites a veto indicator failed."""

    indicator: str
    name: str
    sites: int


class Table(msgspec.Struct):
    """One attachment as a plain table: what every writer lays out."""

    name: str  # short name: a sheet or file name
    title: str  # heading above the table
    header: list[str]
    rows: list[list[object]]


class Section(msgspec.Struct):
    """A part of the 通报 after the websites' (政务新媒体, 重要信息转载): a numbered heading, its
    paragraph, and its attachments, listed after the websites' ones."""

    heading: str
    paragraph: str
    tables: list[Table]


class Report(msgspec.Struct):
    """Everything a 通报 shows, ready for any file format."""

    title: str
    at: str
    quarter: str
    summary: str  # 总体情况
    recheck_summary: str  # 复查整改情况
    regions: list[RegionRow]  # 附件1, ending with 合计
    problems: list[ProblemRow]  # 附件2
    unmeasured: list[UnmeasuredRow]
    rechecks: list[RecheckRow]
    findings: list[FindingCount]
    issuer: str = ""  # 发文机关 (config [report] issuer); empty: the 通报 is not signed
    issued: str = ""  # 成文日期, 年月日
    sections: list[Section] = []  # 三、政务新媒体检查情况, 四、重要信息转载情况 when measured


def pass_rate(sites: int, problems: int, style: RateStyle = GUIZHOU) -> str:
    """合格率 of `sites` checked sites of which `problems` failed, printed in a bulletin's style.

    A rate never reads 100% while a problem site exists, nor 0 while a site passed: rounding that
    would get there goes the other way instead.
    """
    if sites < 0 or problems < 0 or problems > sites:
        raise ValueError(f"pass_rate: need 0 <= problems <= sites, got {problems} of {sites}")
    if sites == 0:
        return NO_RATE
    if problems == 0:
        return "100%"
    if problems == sites:
        return style.zero
    unit = Decimal(1).scaleb(-style.decimals)
    with localcontext() as context:
        context.prec = 50  # far past any site count, so the quotient decides halves exactly
        exact = Decimal(sites - problems) * 100 / Decimal(sites)
    rate = exact.quantize(unit, rounding=style.rounding)
    if rate >= 100:
        rate = exact.quantize(unit, rounding=ROUND_DOWN)
    elif rate <= 0:
        rate = exact.quantize(unit, rounding=ROUND_UP)
    text = f"{rate:f}"
    if style.strip_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def region_of(site: Site, level: str = "city") -> tuple[str, str]:
    """(roll-up key, display name) of a site's region.

    level "province" rolls every site up to its province; "city" rolls county sites up to their
    city (贵州 附件1); "county" keeps each county and names the city's own sites 市直部门 (昭通
    附件1). Below province level, province-level sites, the portal included, are 省直部门 (the
    bulletins' "部门"); bm… sites of national departments are 国务院部门 at every level.
    """
    if level not in REGION_LEVELS:
        raise ValueError(f"region level must be one of {', '.join(REGION_LEVELS)}, got {level!r}")
    code = site.region_code
    if code == NATIONAL_CODE:
        return code, "国务院部门"
    if len(code) != 6 or not code.isdigit():
        return code, code or "未知地区"
    if level == "province":
        return province_of(code), name_of(province_of(code))
    if code.endswith("0000"):
        return code, "省直部门"
    city = city_of(code)
    if level == "city":
        return city, name_of(city)
    if code == city:
        return city, "市直部门"
    return code, name_of(code)


def _chronological(verdict: SiteVerdict) -> tuple[str, str]:
    # checked_at decides; the sweep id breaks a tie the same way whatever the arrival order.
    return verdict.checked_at, verdict.sweep_id


def standing_key(verdict: SiteVerdict) -> tuple[bool, str, str]:
    """Order of precedence for the quarter's verdict: measured before 未能检测, then the latest."""
    return verdict.verdict.verdict != UNMEASURED, *_chronological(verdict)


def latest_per_site(verdicts: list[SiteVerdict]) -> list[SiteVerdict]:
    """One verdict per site, the one that stands (see `standing_key`); ordered by site id."""
    latest: dict[str, SiteVerdict] = {}
    for verdict in verdicts:
        if verdict.verdict.verdict not in (PASS, FAIL, UNMEASURED):
            raise ValueError(
                f"site {verdict.site.site_id}: verdict {verdict.verdict.verdict!r} is not "
                f"{PASS}, {FAIL} or {UNMEASURED}"
            )
        kept = latest.get(verdict.site.site_id)
        if kept is None or standing_key(verdict) >= standing_key(kept):
            latest[verdict.site.site_id] = verdict
    return [latest[site_id] for site_id in sorted(latest)]


def count_regions(verdicts: list[SiteVerdict], level: str = "city") -> list[RegionCount]:
    """Sites per region at `level`, each site once (its latest verdict), ordered by region key."""
    counts: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for verdict in latest_per_site(verdicts):
        key, name = region_of(verdict.site, level)
        names[key] = name
        counts.setdefault(key, Counter())[verdict.verdict.verdict] += 1
    return [
        RegionCount(key, names[key], sum(c.values()), c[FAIL], c[UNMEASURED])
        for key, c in sorted(counts.items())
    ]


def region_rows(counts: list[RegionCount], style: RateStyle = GUIZHOU) -> list[RegionRow]:
    """附件1 rows from region counts, in the given order, then 合计."""
    total = RegionCount(TOTAL, TOTAL, 0, 0, 0)
    for c in counts:
        total.sites += c.sites
        total.problems += c.problems
        total.unmeasured += c.unmeasured
    return [
        RegionRow(
            c.key,
            c.region,
            c.sites,
            c.problems,
            c.unmeasured,
            pass_rate(c.sites - c.unmeasured, c.problems, style),
        )
        for c in [*counts, total]
    ]


def rollup(
    verdicts: list[SiteVerdict], *, level: str = "city", style: RateStyle = GUIZHOU
) -> list[RegionRow]:
    """附件1: one row per region (national and province rows first, then by code), then 合计."""
    return region_rows(count_regions(verdicts, level), style)


def _by_region(verdicts: list[SiteVerdict], level: str) -> list[SiteVerdict]:
    return sorted(verdicts, key=lambda v: (region_of(v.site, level)[0], v.site.site_id))


def problem_list(verdicts: list[SiteVerdict], *, level: str = "city") -> list[ProblemRow]:
    """附件2: the 不合格 sites by region, then site id, with the veto findings that hold."""
    failed = _by_region([v for v in latest_per_site(verdicts) if v.verdict.verdict == FAIL], level)
    return [
        ProblemRow(
            index=i,
            region=region_of(v.site, level)[1],
            site_id=v.site.site_id,
            name=v.site.name,
            url=v.site.url,
            problems=main_problems(v),
        )
        for i, v in enumerate(failed, start=1)
    ]


def problems_of(verdict: SiteVerdict) -> list[str]:
    """The problems a verdict states, in the bulletins' wording, each once.

    The messages of the veto findings that hold; for a 不合格 without a veto, the deduction score
    that fell under 60 (INDICATORS: strict < 60).
    """
    messages = [
        f.message for f in verdict.verdict.findings if f.level == "veto" and f.holds and f.message
    ]
    if not messages and verdict.verdict.verdict == FAIL and verdict.verdict.score is not None:
        messages = [f"扣分指标得分{verdict.verdict.score:g}分，低于60分"]
    return list(dict.fromkeys(messages))


def main_problems(verdict: SiteVerdict) -> str:
    """主要问题: the problems of a verdict joined with "；"."""
    return "；".join(problems_of(verdict))


# What the crawler records for people who debug it, and the 通报 leaves out: the technical code
# after a reason ("连接被拒绝 (refused)", "(waf_challenge)", "(sweep timeout)") and the indicator id
# before a check.
_CODE = re.compile(r"\s*[(（][a-z][a-z0-9_ ]*(?::[^)）]*)?[)）]")
_INDICATOR = re.compile(r"^W-[A-Z0-9-]+\s*")


def plain(text: str) -> str:
    """A reason in the wording of a 通报: no English codes."""
    return _CODE.sub("", _INDICATOR.sub("", text)).strip()


def chinese_date(value: str) -> str:
    """ "2024-03-20" (or an ISO time stamp) as "2024年3月20日"; anything else unchanged."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day.year}年{day.month}月{day.day}日"


def quarter_name(quarter: str) -> str:
    """ "2024Q1" as "2024年第一季度"; anything else unchanged."""
    if re.fullmatch(r"\d{4}Q[1-4]", quarter):
        return f"{quarter[:4]}年第{QUARTER_NAMES[quarter[-1]]}季度"
    return quarter


def meta_line(report: Report) -> str:
    """The line under the title: the monitoring time point and the quarter, in words."""
    return f"监测时间点：{chinese_date(report.at)}　季度：{quarter_name(report.quarter)}"


def signature(report: Report) -> list[str]:
    """The closing lines: the issuing office and the date (none when no office is configured)."""
    return [report.issuer, chinese_date(report.issued)] if report.issuer else []


def unmeasured_reason(verdict: SiteVerdict) -> str:
    """Why a site could not be checked, from the verdict's unmeasured list or findings."""
    # blocked_by names the checks that left the site unjudged; `unmeasured` also lists checks that
    # could not be made but did not decide the verdict (W-V2 without a week of probes, …).
    reasons = (
        list(verdict.verdict.blocked_by)
        or list(verdict.verdict.unmeasured)
        or [f.message for f in verdict.verdict.findings if f.level == "unmeasured" and f.message]
    )
    return "；".join(dict.fromkeys(plain(reason) for reason in reasons)) or "未记录原因"


def unmeasured_list(verdicts: list[SiteVerdict], *, level: str = "city") -> list[UnmeasuredRow]:
    """The 未能检测 sites by region, then site id, with the reason."""
    unmeasured = [v for v in latest_per_site(verdicts) if v.verdict.verdict == UNMEASURED]
    return [
        UnmeasuredRow(
            i, region_of(v.site, level)[1], v.site.site_id, v.site.name, unmeasured_reason(v)
        )
        for i, v in enumerate(_by_region(unmeasured, level), start=1)
    ]


def _stated(verdict: SiteVerdict) -> str:
    return f"{verdict.verdict.verdict}（{verdict.at}）"


def recheck_list(history: dict[str, list[SiteVerdict]], *, level: str = "city") -> list[RecheckRow]:
    """复查情况: per rechecked site, its verdicts of the quarter (oldest first) and what changed."""
    standing = [max(verdicts, key=standing_key) for verdicts in history.values() if verdicts]
    rows = []
    for index, current in enumerate(_by_region(standing, level), start=1):
        verdicts = sorted(history[current.site.site_id], key=_chronological)
        first, later = verdicts[0], verdicts[1:]
        before, after = problems_of(first), problems_of(current)
        rows.append(
            RecheckRow(
                index=index,
                region=region_of(current.site, level)[1],
                site_id=current.site.site_id,
                name=current.site.name,
                first=_stated(first),
                later=[_stated(v) for v in later],
                verdict=current.verdict.verdict,
                last=verdicts[-1].verdict.verdict,
                fixed=[p for p in before if p not in after],
                remaining=[p for p in before if p in after],
                added=[p for p in after if p not in before],
            )
        )
    return rows


def finding_counts(verdicts: list[SiteVerdict]) -> list[FindingCount]:
    """Sites failing each veto indicator (latest verdicts; a site counts once per indicator)."""
    sites: Counter[str] = Counter()
    names: dict[str, str] = {}
    for verdict in latest_per_site(verdicts):
        holding = {
            f.indicator: f.name or f.indicator
            for f in verdict.verdict.findings
            if f.level == "veto" and f.holds
        }
        sites.update(holding.keys())
        names.update(holding)
    return [FindingCount(key, names[key], sites[key]) for key in sorted(sites)]


def overall_summary(at: str, rows: list[RegionRow], unmeasured: list[UnmeasuredRow]) -> str:
    """总体情况: sites, sites checked, problem sites, the overall rate and the regions at 100%."""
    total = rows[-1]
    if not total.sites:  # a quarter with 政务新媒体 results only
        return f"截至{chinese_date(at)}，本季度无政府网站检查结果。"
    summary = (
        f"截至{chinese_date(at)}，共有政府网站{total.sites}家，完成检查{total.checked}家，"
        f"发现问题网站{total.problems}家，总体合格率{total.pass_rate}。"
    )
    perfect = [r.region for r in rows[:-1] if r.pass_rate == "100%"]
    if perfect:
        summary += f"其中，{'、'.join(perfect)}检查合格率达100%。"
    if unmeasured:
        reasons = Counter(row.reason for row in unmeasured)
        detail = "，".join(f"{reason}{n}家" for reason, n in reasons.most_common())
        summary += f"未能检测网站{len(unmeasured)}家（{detail}），不计入问题网站和合格率。"
    return summary


def recheck_summary(rows: list[RecheckRow]) -> str:
    """复查整改情况 in one paragraph, by what the latest check found."""
    if not rows:
        return "本季度未开展复查。"
    found = Counter(row.last for row in rows)
    parts = [
        f"{label}{found[verdict]}家"
        for verdict, label in (
            (PASS, "复查合格"),
            (FAIL, "仍不合格"),
            (UNMEASURED, "复查未能检测（维持原结论）"),
        )
        if found[verdict]
    ]
    return f"本季度对{len(rows)}家网站进行了复查，其中{'，'.join(parts)}。"


def default_title(
    quarter: str, region: str = "", issuer: str = "", subject: str = "政府网站"
) -> str:
    """e.g. "贵州省2024年第一季度政府网站检查情况"; with an issuing office, as offices title it:
    "贵州省人民政府办公厅关于2024年第一季度贵州省政府网站检查情况的通报". `subject`
    "政府网站和政务新媒体" when the 通报 covers accounts too."""
    if issuer:
        return f"{issuer}关于{quarter_name(quarter)}{region}{subject}检查情况的通报"
    return f"{region}{quarter_name(quarter)}{subject}检查情况"


def scope_name(verdicts: list[SiteVerdict]) -> str:
    """The province all the sites belong to ("" when they span several or none is known)."""
    provinces = {province_of(v.site.region_code) for v in verdicts} - {NATIONAL_CODE}
    return name_of(provinces.pop()) if len(provinces) == 1 else ""


def build_report(
    title: str,
    at: str,
    quarter: str,
    verdicts: list[SiteVerdict],
    *,
    history: dict[str, list[SiteVerdict]] | None = None,
    level: str = "city",
    style: RateStyle = GUIZHOU,
    issuer: str = "",
    issued: date | None = None,
    sections: list[Section] | None = None,
) -> Report:
    """The whole 通报 for the verdicts (and the 复查 history of the rechecked sites), signed by
    `issuer` on `issued` (default today), with the further `sections` (政务新媒体 …)."""
    rows = rollup(verdicts, level=level, style=style)
    unmeasured = unmeasured_list(verdicts, level=level)
    rechecks = recheck_list(history or {}, level=level)
    return Report(
        title=title,
        at=str(at),
        quarter=quarter,
        summary=overall_summary(str(at), rows, unmeasured),
        recheck_summary=recheck_summary(rechecks),
        regions=rows,
        problems=problem_list(verdicts, level=level),
        unmeasured=unmeasured,
        rechecks=rechecks,
        findings=finding_counts(verdicts),
        issuer=issuer,
        issued=(issued or date.today()).isoformat(),
        sections=sections or [],
    )


def section_headings(report: Report) -> list[str]:
    """The further sections' headings, numbered after 一、总体情况 and 二、复查整改情况."""
    return [f"{NUMERALS[i]}、{s.heading}" for i, s in enumerate(report.sections)]


def tables(report: Report) -> list[Table]:
    """The report's attachments as plain tables: the websites' (the 复查 table only when there
    were rechecks), then the further sections'."""
    out = [
        Table(
            "附件1_检查情况",
            "附件1 检查情况",
            SUMMARY_HEADER,
            [[r.region, r.sites, r.problems, r.unmeasured, r.pass_rate] for r in report.regions],
        ),
        Table(
            "附件2_问题网站名单",
            "附件2 问题网站名单",
            PROBLEM_HEADER,
            [[p.index, p.region, p.site_id, p.name, p.url, p.problems] for p in report.problems],
        ),
        Table(
            "未能检测网站",
            "未能检测网站",
            UNMEASURED_HEADER,
            [[u.index, u.region, u.site_id, u.name, u.reason] for u in report.unmeasured],
        ),
    ]
    if report.rechecks:
        out.append(
            Table(
                "复查情况",
                "复查情况",
                RECHECK_HEADER,
                [
                    [r.index, r.region, r.site_id, r.name, r.first, "；".join(r.later), r.change]
                    for r in report.rechecks
                ],
            )
        )
    return out + [table for section in report.sections for table in section.tables]


def markdown_of(report: Report) -> str:
    """The 通报 as Markdown: 总体情况, 复查整改情况, the further sections, 附件1, 附件2, the 未能检测
    list and the further sections' attachments."""
    attachments = tables(report)
    md = markdown_text  # region and site names are outside text: never raw HTML or links
    lines = [f"# {md(report.title)}", "", md(meta_line(report)), ""]
    lines += ["## 一、总体情况", "", md(report.summary), ""]
    lines += ["## 二、复查整改情况", "", md(report.recheck_summary), ""]
    recheck = next((t for t in attachments if t.name == "复查情况"), None)
    if recheck:
        lines += [*markdown_table(recheck.header, recheck.rows), ""]
    for heading, section in zip(section_headings(report), report.sections, strict=True):
        lines += [f"## {heading}", "", md(section.paragraph), ""]
    if report.issuer:  # signed after the body, before the attachments, right-aligned in print
        lines += [*(f"{line}  " for line in signature(report)), ""]
    for table in [t for t in attachments if t is not recheck]:
        lines += [f"## {table.title}", ""]
        lines += markdown_table(table.header, table.rows) if table.rows else ["无。"]
        lines.append("")
    return "\n".join(lines[:-1]) + "\n"


def render_markdown(
    title: str,
    at: str,
    quarter: str,
    verdicts: list[SiteVerdict],
    *,
    level: str = "city",
    style: RateStyle = GUIZHOU,
    history: dict[str, list[SiteVerdict]] | None = None,
) -> str:
    """The 通报 as Markdown (see `markdown_of`)."""
    return markdown_of(
        build_report(title, at, quarter, verdicts, history=history, level=level, style=style)
    )


def markdown_table(header: list[str], rows: list[list[object]]) -> list[str]:
    def cell(value: object) -> str:
        return markdown_text(" ".join(str(value).split())).replace("|", "\\|")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return out


def write_csv(
    directory: Path,
    verdicts: list[SiteVerdict],
    *,
    level: str = "city",
    style: RateStyle = GUIZHOU,
) -> list[Path]:
    """Write 附件1_检查情况.csv and 附件2_问题网站名单.csv (UTF-8 with BOM, so Excel reads it)."""
    report = build_report("", "", "", verdicts, level=level, style=style)
    return write_csv_tables(directory, tables(report)[:2])


def write_report_csv(directory: Path, report: Report) -> list[Path]:
    """Every attachment of the report as its own CSV file in `directory` (UTF-8 with BOM)."""
    return write_csv_tables(directory, tables(report))


def write_csv_tables(directory: Path, attachments: list[Table]) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in attachments:
        path = directory / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.header)
            writer.writerows([csv_cell(v) for v in row] for row in table.rows)
        paths.append(path)
    return paths


def write_verdicts_jsonl(path: Path, verdicts: list[SiteVerdict], *, level: str = "city") -> None:
    """One JSON object per site (latest verdict), ordered by site id."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for v in latest_per_site(verdicts):
            handle.write(msgspec.json.encode(verdict_record(v, level)) + b"\n")


def verdict_record(v: SiteVerdict, level: str = "city") -> dict:
    """One line of verdicts.jsonl."""
    return {
        "site_id": v.site.site_id,
        "name": v.site.name,
        "region": region_of(v.site, level)[1],
        "region_code": v.site.region_code,
        "verdict": v.verdict.verdict,
        "findings": [
            {
                "indicator": f.indicator,
                "level": f.level,
                "holds": f.holds,
                "message": f.message,
                "evidence": msgspec.to_builtins(f.evidence),
            }
            for f in v.verdict.findings
        ],
        "unmeasured": list(v.verdict.unmeasured),
        "sweep_id": v.sweep_id,
        "at": v.at,
        "links": msgspec.to_builtins(v.links) if v.links else None,
    }
