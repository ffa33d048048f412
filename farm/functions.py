"""Part D: every site's 互动 platform (public 留言 lists) and 办事指南 pages, and the W-V5 / W-V6 cases
planted on otherwise clean sites.

`furnish` gives each generated site its look (layouts, date forms, status words, guide markup) and
turns its 互动 columns into 留言 lists; it changes nothing the W-V3/W-V4 ground truth rests on.
`plant_cases` then puts one case on each of a few sites that are otherwise clean (planted clean,
合格, no fault of part B/C), and keeps a case only when the site's W-V3/W-V4 truth stays the same.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

import msgspec
from dateutil.relativedelta import relativedelta

from farm.oracle import (
    INTERACTION,
    PASS,
    REPLY_WITHIN,
    SERVICE,
    expected,
    is_judged_desk,
    reply_limb,
    window_starts,
)
from farm.spec import (
    DESK_LAYOUTS,
    GUIDE_CASES,
    REPLY_CASES,
    ColumnSpec,
    Defect,
    Functions,
    SiteSpec,
)

# Status words a 互动 platform shows for (answered, not yet answered).
WORDS = (("已回复", "未回复"), ("已办结", "办理中"), ("已答复", "待答复"), ("已办结", "未回复"))
DATE_FORMS = ("iso", "datetime", "cn")
SERVICE_NAMES = ("办事服务", "政务服务", "网上办事")


class Case(NamedTuple):
    kind: str  # defect kind
    variant: str | None  # REPLY_CASES / GUIDE_CASES key
    from_sites: int  # smaller provinces do not get it


CASES: tuple[Case, ...] = (
    Case("no_channel", None, 30),
    Case("reply_late", "pending_old", 30),
    Case("messages_undated", None, 30),
    Case("no_service", None, 30),
    *(
        Case("reply_late", v, 100)
        for v, (holds, _) in REPLY_CASES.items()
        if holds and v != "pending_old"
    ),
    *(Case("reply_boundary", v, 100) for v, (holds, _) in REPLY_CASES.items() if not holds),
    Case("excluded_desk", None, 100),
    *(Case("guides_incomplete", v, 100) for v in GUIDE_CASES),
)
CASE_SHARE = 0.005  # of the province's sites, per case (at least one once from_sites is reached)
VETO = {"no_channel": "W-V5-1", "reply_late": "W-V5-2", "no_service": "W-V6-1"}
# The 留言 list layout a reply case is planted in first; further sites take the next layouts.
FIRST_LAYOUT = {
    "pending_old": "status",
    "reply_past_3mo": "table",
    "pending_past_3mo": "detail",
    "pending_at_1y": "table",
    "reply_at_3mo": "table",
    "pending_at_3mo": "status",
    "pending_young": "detail",
    "pending_past_1y": "table",
    "late_outside_1y": "status",
}
DAY = dt.timedelta(days=1)


# --- every site -----------------------------------------------------------------------------


def furnish(rng: random.Random, site: SiteSpec, at: dt.date) -> SiteSpec:
    """The site with its 互动 platform and 办事指南 modelled (no defect planted).

    Only level-2 columns change in ways the W-V3/W-V4 truth could see (a "detail" 留言 list shows no
    date), and they count for nothing there: 互动 and 办事服务 have no update duty, and a navigation
    home page is judged by level-1 columns.
    """
    style = Functions(
        date_form=rng.choice(DATE_FORMS),
        words=rng.choice(WORDS),
        header=rng.randrange(3),
        labelled=rng.random() < 0.5,
        letter=rng.choice(("table", "blocks")),
        guide_markup=rng.choice(("table", "headings", "dl")),
        synonyms=rng.random() < 0.35,
    )
    layout = rng.choices(DESK_LAYOUTS, weights=(45, 35, 20))[0]
    service_name = rng.choices(SERVICE_NAMES, weights=(6, 3, 1))[0]
    guide_child = any(c.category == SERVICE and c.level == 2 for c in site.columns)
    columns = []
    for column in site.columns:
        if column.category == INTERACTION:
            column = _as_desk(column, layout, rng)
        elif column.category == SERVICE:
            top = column.level == 1
            column = msgspec.structs.replace(
                column,
                name=service_name if top else column.name,
                parent=None if top else service_name,
                guides=not top if guide_child else top,
            )
        columns.append(column)
    hub = next((c for c in columns if c.category == INTERACTION and c.level == 1), None)
    if hub is not None:
        if rng.random() < 0.3:
            columns.append(_extra(rng, hub, "zxft", "在线访谈", INTERACTION, at, 120))
        if rng.random() < 0.25:
            columns.append(_extra(rng, hub, "zjdc", "征集调查", INTERACTION, at, 120))
        if rng.random() < 0.15:
            petitions = _extra(rng, hub, "wsxf", "网上信访", "other", at, 20)
            columns.append(_as_desk(petitions, layout))
    return msgspec.structs.replace(site, columns=tuple(columns), functions=style)


def _as_desk(column: ColumnSpec, layout: str, rng: random.Random | None = None) -> ColumnSpec:
    """A 互动 column as a 留言 list. A list the plan left undated stays so; most such lists date
    their letters on the letters' own pages ("detail"), the others nowhere. A dated list becomes a
    "detail" list only at level 2 (there its dates count for nothing in W-V3/W-V4)."""
    if column.undated:
        on_pages = rng is not None and rng.random() < 0.6
        return msgspec.structs.replace(column, desk="detail" if on_pages else _listed(layout))
    if layout != "detail":
        return msgspec.structs.replace(column, desk=layout)
    readable = column.fault is None and column.browser is None and column.blank_form is None
    if column.level == 1 or column.newest is None or not readable:
        return msgspec.structs.replace(column, desk="status")
    return msgspec.structs.replace(column, desk="detail", undated=True, newest=None)


def _listed(layout: str) -> str:
    """The layout of a list that shows its letters' dates (if any) on the list itself."""
    return "status" if layout == "detail" else layout


def _extra(
    rng: random.Random, hub: ColumnSpec, key: str, name: str, category: str, at: dt.date, age: int
) -> ColumnSpec:
    return ColumnSpec(
        key=f"{hub.key}/{key}",
        name=name,
        category=category,
        level=2,
        parent=hub.name,
        newest=at - dt.timedelta(days=rng.randint(0, age)),
        items=rng.randint(6, 30),
    )


# --- the planted cases ------------------------------------------------------------------------


def plant_cases(
    rng: random.Random, specs: list[SiteSpec], at: dt.date, seed: int
) -> list[SiteSpec]:
    """Each case of CASES on its own otherwise clean site (the province portal is never touched)."""
    pool = [s.index for s in specs if _clean(s)]
    rng.shuffle(pool)
    for case in CASES:
        if len(specs) < case.from_sites:
            continue
        for instance in range(max(1, round(CASE_SHARE * len(specs)))):
            while pool:
                index = pool.pop()
                if not _judged_clean(specs[index], at):
                    continue
                planted = _plant(rng, specs[index], case, instance, at, seed)
                if planted is not None:
                    specs[index] = planted
                    break
    return specs


def _clean(site: SiteSpec) -> bool:
    """Planted as clean, and no fault of part B/C (footer faults are allowed: they decide nothing)."""
    return (
        site.index != 0
        and site.profile == "clean"
        and site.functions is not None
        and site.home_fault is None
        and not site.nav_only
        and not site.flaky_every
        and not any(site.slow_ms)
        and not site.links
        and all(c.fault is None and c.browser is None for c in site.columns)
    )


def _plain(site: SiteSpec) -> SiteSpec:
    return msgspec.structs.replace(site, functions=None)


def _judged_clean(site: SiteSpec, at: dt.date) -> bool:
    result = expected(_plain(site), at)
    return result["verdict"] == PASS and not result["findings"]


def _same_truth(before: SiteSpec, after: SiteSpec, at: dt.date) -> bool:
    """The W-V3/W-V4 ground truth (with and without a browser) did not move."""
    return all(
        expected(_plain(before), at, browser) == expected(_plain(after), at, browser)
        for browser in (True, False)
    )


def _plant(
    rng: random.Random, site: SiteSpec, case: Case, instance: int, at: dt.date, seed: int
) -> SiteSpec | None:
    """The site with the case planted, or None when the site cannot take it unchanged otherwise."""
    planted = _PLANTERS[case.kind](rng, site, case.variant, instance, at)
    if planted is None or not _same_truth(site, planted, at):
        return None
    veto = VETO.get(case.kind)
    result = expected(planted, at, True, seed)
    if result["findings"] != ([veto] if veto else []):
        return None
    limb = reply_limb(planted, at, True, seed)
    want_limb = {"reply_late": "holds", "reply_boundary": "clear", "excluded_desk": "clear"}
    want_limb |= {"messages_undated": "unmeasured"}
    if case.kind in want_limb and limb != want_limb[case.kind]:
        return None
    if veto:
        planted = msgspec.structs.replace(planted, profile=case.kind)
    return planted


def _with(site: SiteSpec, columns: list[ColumnSpec], defect: Defect) -> SiteSpec:
    """The site with these columns and the defect; defects of columns taken away go with them."""
    keys = {c.key for c in columns}
    kept = tuple(d for d in site.defects if d.column is None or d.column in keys)
    return msgspec.structs.replace(site, columns=tuple(columns), defects=(*kept, defect))


def _hub(site: SiteSpec) -> ColumnSpec | None:
    return next((c for c in site.columns if c.category == INTERACTION and c.level == 1), None)


def _no_channel(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    hub = _hub(site)
    if hub is None:
        return None
    gone = {c.name for c in site.columns if c.category == INTERACTION}
    kept = [c for c in site.columns if c.category != INTERACTION and c.parent not in gone]
    asked = at - relativedelta(months=5)
    petitions = ColumnSpec(
        key="wsxf",
        name="网上信访",
        category="other",
        level=1,
        newest=at - dt.timedelta(days=rng.randint(1, 20)),
        items=rng.randint(10, 30),
        desk=_listed(hub.desk or "table"),
        planted=((asked, None),),
    )
    reports = ColumnSpec(
        key="jjjb",
        name="纪检举报",
        category="other",
        level=1,
        newest=at - dt.timedelta(days=rng.randint(5, 60)),
        items=rng.randint(5, 15),
    )
    detail = (
        "no 互动 column, only 网上信访 and 纪检举报 (whose letter asked "
        f"{asked} and unanswered is not judged)"
    )
    return _with(site, [*kept, petitions, reports], Defect("no_channel", detail))


def _no_service(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    gone = {c.name for c in site.columns if c.category == SERVICE}
    if not gone:
        return None
    kept = [c for c in site.columns if c.category != SERVICE and c.parent not in gone]
    detail = "no 办事服务 / 政务服务 / 网上办事 column or entry"
    return _with(site, kept, Defect("no_service", detail))


def _desk_target(site: SiteSpec, level2: bool) -> ColumnSpec | None:
    """A judged 留言 list that can be read and shows dates (somewhere); level-2 first."""

    def usable(c: ColumnSpec) -> bool:
        nodate = c.undated and c.desk != "detail"
        return (
            is_judged_desk(c)
            and c.blank_form is None
            and c.fault is None
            and c.browser is None
            and not nodate
        )

    candidates = sorted((c for c in site.columns if usable(c)), key=lambda c: -c.level)
    if level2:
        candidates = [c for c in candidates if c.level == 2]
    return candidates[0] if candidates else None


def _new_desk(rng: random.Random, site: SiteSpec, at: dt.date) -> ColumnSpec | None:
    hub = _hub(site)
    if hub is None:
        return None
    extra = _extra(rng, hub, "wszx", "网上咨询", INTERACTION, at, 10)
    return msgspec.structs.replace(extra, items=rng.randint(10, 40))


def _reply(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    assert variant is not None
    layout = DESK_LAYOUTS[(DESK_LAYOUTS.index(FIRST_LAYOUT[variant]) + instance) % 3]
    asked, replied = case_dates(variant, at, rng)
    target = _desk_target(site, level2=True)
    columns = list(site.columns)
    if target is None:
        target = _new_desk(rng, site, at)
        if target is None:
            return None
        columns.append(target)
    items = max(target.items, 8)
    if layout == "detail":
        changed = msgspec.structs.replace(
            target, desk="detail", undated=True, newest=None, items=items
        )
    else:
        need = max(asked, replied or asked)
        newest = max(target.newest or need, need)
        changed = msgspec.structs.replace(
            target, desk=layout, undated=False, newest=newest, items=items
        )
    changed = msgspec.structs.replace(changed, planted=((asked, replied),))
    columns = [changed if c is target else c for c in columns]
    holds, how = REPLY_CASES[variant]
    detail = f"{variant}: 留言时间 {asked}, 答复时间 {replied or '未答复'} ({how}; {layout} list)"
    return _with(
        site, columns, Defect("reply_late" if holds else "reply_boundary", detail, target.key)
    )


def _excluded(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    hub = _hub(site)
    if hub is None:
        return None
    asked = at - relativedelta(months=6)
    old = next((c for c in site.columns if c.name == "网上信访"), None)
    base = old or _extra(rng, hub, "wsxf", "网上信访", "other", at, 10)
    petitions = msgspec.structs.replace(
        base,
        desk=_listed(hub.desk or "table"),
        undated=False,
        newest=max(base.newest or asked, asked),
        items=max(base.items, 10),
        planted=((asked, None),),
    )
    columns = [c for c in site.columns if c is not old] + [petitions]
    detail = f"网上信访 letter asked {asked} unanswered at T: 信访 lists are not judged"
    return _with(site, columns, Defect("excluded_desk", detail, petitions.key))


def _undated(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    target = _desk_target(site, level2=False)
    if target is None:
        return None
    changed = msgspec.structs.replace(
        target, desk=_listed(target.desk or "table"), undated=True, newest=None
    )
    columns = [changed if c is target else c for c in site.columns]
    detail = "the 留言 list and its letters show no 留言时间 or 答复时间"
    return _with(site, columns, Defect("messages_undated", detail, target.key))


def _guides(
    rng: random.Random, site: SiteSpec, variant: str | None, instance: int, at: dt.date
) -> SiteSpec | None:
    assert variant is not None
    target = next((c for c in site.columns if c.guides), None)
    if target is None or target.blank_form or target.fault or target.browser:
        return None
    total, counts = GUIDE_CASES[variant]
    numbers = rng.sample(range(total), len(counts))
    changed = msgspec.structs.replace(
        target, items=total, gaps=tuple(zip(numbers, counts, strict=True))
    )
    columns = [changed if c is target else c for c in site.columns]
    detail = (
        f"{variant}: {len(counts)} of {total} guides each miss "
        f"{'/'.join(map(str, counts))} of the 10 element types"
    )
    return _with(site, columns, Defect("guides_incomplete", detail, target.key))


_PLANTERS = {
    "no_channel": _no_channel,
    "no_service": _no_service,
    "reply_late": _reply,
    "reply_boundary": _reply,
    "excluded_desk": _excluded,
    "messages_undated": _undated,
    "guides_incomplete": _guides,
}


# --- dates of the reply cases ----------------------------------------------------------------


def first_in_time(at: dt.date) -> dt.date:
    """The earliest 留言时间 whose 3 calendar months still reach T (asked + 3 months >= T)."""
    day = at - REPLY_WITHIN
    while day + REPLY_WITHIN < at:
        day += DAY
    while (day - DAY) + REPLY_WITHIN >= at:
        day -= DAY
    return day


def _month_ends(at: dt.date) -> list[dt.date]:
    """Month ends 5 to 11 months before T, those whose 3-month deadline is cut short (08-31 →
    11-30) first: there a count of days and calendar months disagree."""
    ends = []
    for back in range(5, 12):
        first = (at - relativedelta(months=back)).replace(day=1)
        ends.append(first + relativedelta(months=1) - DAY)
    return sorted(ends, key=lambda end: (end + REPLY_WITHIN).day == end.day)


def case_dates(variant: str, at: dt.date, rng: random.Random) -> tuple[dt.date, dt.date | None]:
    """(留言时间, 答复时间 or None) of a planted letter; see REPLY_CASES."""
    year_start = window_starts(at)["1y"]
    if variant == "pending_old":
        return at - dt.timedelta(days=rng.randint(125, 330)), None
    if variant in ("reply_at_3mo", "reply_past_3mo"):
        ends = _month_ends(at)
        asked = ends[0] if variant == "reply_at_3mo" else ends[1]
        due = asked + REPLY_WITHIN
        return asked, due if variant == "reply_at_3mo" else due + DAY
    if variant == "pending_at_3mo":
        return first_in_time(at), None
    if variant == "pending_past_3mo":
        return first_in_time(at) - DAY, None
    if variant == "pending_young":
        return at - dt.timedelta(days=rng.randint(50, 70)), None
    if variant == "pending_at_1y":
        return year_start, None
    if variant == "pending_past_1y":
        return year_start - DAY, None
    if variant == "late_outside_1y":
        return year_start - DAY, year_start - DAY + relativedelta(months=4)
    raise ValueError(f"unknown reply case {variant!r}")
