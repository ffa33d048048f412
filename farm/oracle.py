"""Expected findings and verdict of a simulated site, computed from its spec per docs/CONTRACT.md.

This is the farm's ground truth. It reads only the spec (never pages), so it is independent of how
pages are rendered and of how govsweep reads them.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from farm.content import column_letters
from farm.spec import HOME_FAULTS, UNREADABLE_FAULTS, ColumnSpec, SiteSpec

PASS, FAIL, UNMEASURED = "合格", "不合格", "未能检测"

DYNAMIC = "动态要闻"
NOTICE_POLICY = ("通知公告", "政策文件")
YEARLY = ("人事", "规划计划")
INTERACTION = "互动"
SERVICE = "办事服务"
# W-V5 (docs/CONTRACT.md): 信访 and 纪检举报 are no consultation channel (limb 1); 在线访谈, 调查征集,
# 信访 and 纪检举报 lists are not judged for replies (limb 2).
CHANNEL_EXCLUDE = ("信访", "纪检", "举报")
LIST_EXCLUDE = ("访谈", "调查", "征集", "信访", "纪检", "举报")
REPLY_WITHIN = relativedelta(months=3)


class Thresholds(NamedTuple):
    """The W-V4 lines and the 扣分 points the oracle applies. The defaults are the baseline
    gov-2019-19 (docs/CONTRACT.md); a province variant (farm/variants.py) changes some."""

    dynamic_days: int = 14  # 动态要闻 update duty, W-V4 limbs 1 and 2 (W-V3 keeps its own 14 days)
    combined: int = 5  # W-V4-1: stale 动态要闻 + level-1 通知公告/政策文件 columns >= this
    long_stale: int = 10  # W-V4-2: columns past their update duty >= this
    blank: int = 5  # W-V4-3: blank columns >= this
    # Points for a footer without the registered 网站标识码 and for a missing 找错 entry: UNKNOWN in
    # the baseline (None: reported, not deducted). A variant that sets them can score a 门户 below
    # the line; its points must be such that the other deductions cannot move a site across it.
    site_code_points: int | None = None
    jiucuo_points: int | None = None


SCORE_TOTAL = 100  # "扣分指标分值为100分"
SCORE_FAIL_BELOW = 60  # "评分结果低于60分,判定为不合格网站" (strict <)


BASELINE = Thresholds()


@functools.lru_cache(maxsize=64)
def window_starts(at: dt.date) -> dict[str, dt.date]:
    """Start of each update window for monitoring time point `at` (inclusive: newest == start is
    fresh). Cached (generation asks for it thousands of times): do not modify the result."""
    return {
        "14d": at - dt.timedelta(days=14),
        "6mo": at - relativedelta(months=6),
        "1y": at - relativedelta(years=1),
    }


def duty_window(category: str) -> str | None:
    """The update duty of a column class: a key of window_starts(), or None when it has none."""
    if category == DYNAMIC:
        return "14d"
    if category in NOTICE_POLICY:
        return "6mo"
    if category in YEARLY:
        return "1y"
    return None


def is_stale(column: ColumnSpec, start: dt.date) -> bool:
    """Not updated since `start`. Blank columns are never stale; all-undated columns always are."""
    if column.blank_form is not None:
        return False
    return column.newest is None or column.newest < start


def unmeasured_reason(column: ColumnSpec, browser: bool) -> str | None:
    """Why a careful crawler cannot read the column (its error code), or None when it can.

    `browser`: a browser renders the lists that need one (the crawler hands those columns over).
    """
    if column.fault in UNREADABLE_FAULTS:
        return UNREADABLE_FAULTS[column.fault]
    if column.browser is not None and not browser:
        return "needs_browser"
    return None


def column_counts(
    columns: list[ColumnSpec], at: dt.date, thresholds: Thresholds = BASELINE
) -> dict[str, int]:
    """The three W-V4 counts: combined (limb 1), long_stale (limb 2) and blank (limb 3).
    `thresholds.dynamic_days` is the 动态要闻 update duty."""
    starts = window_starts(at)
    dynamic_start = at - dt.timedelta(days=thresholds.dynamic_days)
    combined = long_stale = blank = 0
    for column in columns:
        if column.blank_form is not None:
            blank += 1
            continue
        duty = duty_window(column.category)
        if duty is None:
            continue
        if not is_stale(column, dynamic_start if column.category == DYNAMIC else starts[duty]):
            continue
        long_stale += 1
        if column.category == DYNAMIC or (column.category in NOTICE_POLICY and column.level == 1):
            combined += 1
    return {"combined": combined, "long_stale": long_stale, "blank": blank}


def home_newest(site: SiteSpec) -> dt.date | None:
    """Newest dated item the home page shows (None when it shows no dated item)."""
    if site.nav_only:
        return None
    dates = [c.newest for c in site.columns if c.on_home and c.newest and not c.undated]
    return max(dates, default=None)


def home_not_updated(site: SiteSpec, measured: list[ColumnSpec], at: dt.date) -> bool | None:
    """W-V3; None when it cannot be judged. A home page without dated items (navigation only) is
    judged by its level-1 columns: one fresh measured column clears it; the veto needs every
    level-1 column read (an unread one might hold the update)."""
    start = window_starts(at)["14d"]
    newest = home_newest(site)
    if newest is not None:
        return newest < start
    level1 = [c for c in measured if c.level == 1]
    if any(c.newest is not None and c.newest >= start for c in level1):
        return False
    if not level1 or len(level1) < sum(c.level == 1 for c in site.columns):
        return None
    return True


def identity_score(site: SiteSpec, thresholds: Thresholds) -> int | None:
    """The 扣分 score of a 门户 counting the identity points a variant gives (None: not scored —
    a 部门 site, or no identity points known)."""
    points = (thresholds.site_code_points, thresholds.jiucuo_points)
    if site.kind != "门户" or points == (None, None):
        return None
    lost = 0
    if site.footer_code != site.site_id:
        lost += thresholds.site_code_points or 0
    if not site.jiucuo:
        lost += thresholds.jiucuo_points or 0
    return SCORE_TOTAL - lost


def is_channel(column: ColumnSpec) -> bool:
    """A column that is a valid consultation channel (W-V5-1)."""
    return column.category == INTERACTION and not any(w in column.name for w in CHANNEL_EXCLUDE)


def is_judged_desk(column: ColumnSpec) -> bool:
    """A public 留言 list whose replies W-V5-2 judges."""
    return (
        column.desk is not None
        and column.category == INTERACTION
        and not any(w in column.name for w in LIST_EXCLUDE)
    )


def reply_late(asked: dt.date, replied: dt.date | None, at: dt.date) -> bool:
    """W-V5-2 for one dated letter: asked within [T-1y, T] and (答复时间, or T) later than
    留言时间 + 3 calendar months ("超过": exactly 3 months is in time)."""
    if not window_starts(at)["1y"] <= asked <= at:
        return False
    waited = ((replied or at) - asked).days
    if waited <= 88 or waited > 92:  # 3 calendar months are 89 to 92 days: no need to count them
        return waited > 92
    return (replied or at) > asked + REPLY_WITHIN


def reply_limb(site: SiteSpec, at: dt.date, browser: bool = True, seed: int = 0) -> str:
    """W-V5-2 over the site's judged 留言 lists: "holds" (a late letter in a list that can be
    read), "unmeasured" (else, when a list cannot be read, shows undated letters, or there is no
    list with letters at all) or "clear"."""
    unsure = False
    lists = 0
    for column in site.columns:
        if not is_judged_desk(column) or column.blank_form is not None:
            continue
        if unmeasured_reason(column, browser) is not None:
            unsure = True
            continue
        letters = column_letters(site, column, seed, at)
        lists += bool(letters)
        for letter in letters:
            if letter.asked is None:
                unsure = True
            elif reply_late(letter.asked, letter.replied, at):
                return "holds"
    return "unmeasured" if unsure or not lists else "clear"


def expected(
    site: SiteSpec,
    at: dt.date,
    browser: bool = True,
    seed: int = 0,
    thresholds: Thresholds = BASELINE,
) -> dict:
    """{verdict, findings (sorted veto ids that hold), counts, unmeasured} for the manifest.

    `unmeasured` lists what a careful crawler cannot read, as {column (None: home), reason}.
    W-V5 and W-V6 are judged only on sites whose 互动 and 办事服务 are modelled (site.functions);
    `seed` is the province's (the letters of the 留言 lists are generated from it).
    `thresholds`: the W-V4 lines and identity points (default the baseline; a province variant
    changes them). With no veto, a 门户 scored below the line is 不合格 with no finding listed.
    """
    if site.home_fault is not None:
        return {
            "verdict": UNMEASURED,
            "findings": [],
            "counts": {"combined": 0, "long_stale": 0, "blank": 0},
            "unmeasured": [{"column": None, "reason": HOME_FAULTS[site.home_fault]}],
        }
    unread = [(c, unmeasured_reason(c, browser)) for c in site.columns]
    measured = [c for c, reason in unread if reason is None]
    counts = column_counts(measured, at, thresholds)
    home = home_not_updated(site, measured, at)
    holds = {
        "W-V3": bool(home),
        "W-V4-1": counts["combined"] >= thresholds.combined,
        "W-V4-2": counts["long_stale"] >= thresholds.long_stale,
        "W-V4-3": counts["blank"] >= thresholds.blank,
    }
    if site.functions is not None:
        holds["W-V5-1"] = not any(is_channel(c) for c in site.columns)
        holds["W-V5-2"] = reply_limb(site, at, browser, seed) == "holds"
        holds["W-V6-1"] = not any(c.category == SERVICE for c in site.columns)
    findings = sorted(veto for veto, held in holds.items() if held)
    score = None if findings else identity_score(site, thresholds)
    if findings or (score is not None and score < SCORE_FAIL_BELOW):
        verdict = FAIL
    elif home is None or not measured:
        verdict = UNMEASURED
    else:
        verdict = PASS
    unmeasured = [{"column": c.name, "reason": reason} for c, reason in unread if reason]
    return {"verdict": verdict, "findings": findings, "counts": counts, "unmeasured": unmeasured}
