"""Planting defects: turns a column tree and a defect profile into dated columns plus their ground truth."""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

from farm.catalogue import Slot
from farm.oracle import DYNAMIC, NOTICE_POLICY, duty_window, window_starts
from farm.spec import BLANK_FORMS, ColumnSpec, Defect


class Profile(NamedTuple):
    """How many columns of each kind a site gets (each a tuple of choices)."""

    combined: tuple[
        int, ...
    ]  # stale columns that count for W-V4 limb 1 (besides the main news column)
    other: tuple[int, ...]  # further long-stale columns (level-2 notices/policies, 人事, 规划计划)
    blank: tuple[int, ...]
    home: str = "fresh"  # fresh, stale, nav_fresh, nav_stale
    long_total: int | None = None  # when set, `other` is long_total - combined
    full: bool = False  # needs every optional column


PROFILES: dict[str, Profile] = {
    "clean": Profile((0, 0, 0, 1), (0, 0, 1, 2), (0, 0, 1, 2)),
    "home_stale": Profile((0, 1), (0, 1), (0, 1), home="stale"),
    "nav_only_stale": Profile((0,), (0, 1), (0, 1), home="nav_stale"),
    "nav_only_fresh": Profile((0, 1), (0, 1), (0, 1, 2), home="nav_fresh"),
    "combined_5": Profile((5,), (0, 1, 2), (0, 1, 2)),
    "combined_4": Profile((4,), (0, 1, 2, 3), (0, 1, 2)),
    "long_stale_10": Profile((0, 1, 2, 3, 4), (), (0, 1), long_total=10, full=True),
    "long_stale_9": Profile((0, 1, 2, 3, 4), (), (0, 1), long_total=9, full=True),
    "blank_5": Profile((0, 1), (0, 1), (5,)),
    "blank_4": Profile((0, 1), (0, 1), (4,)),
    "all_limbs": Profile((5,), (), (5,), long_total=10, full=True),
}
DEFECT_PROFILES = tuple(name for name in PROFILES if name != "clean")

# Window-edge cases: (column classes, planted status, which window, offset in days from its start).
BOUNDARY_CASES: dict[str, tuple[tuple[str, ...], str, str, int]] = {
    "news_at_14d": ((DYNAMIC,), "fresh", "14d", 0),
    "news_at_15d": ((DYNAMIC,), "stale", "14d", -1),
    "notice_at_6mo": (NOTICE_POLICY, "fresh", "6mo", 0),
    "notice_past_6mo": (NOTICE_POLICY, "stale", "6mo", -1),
    "yearly_at_1y": (("人事", "规划计划"), "fresh", "1y", 0),
    "yearly_past_1y": (("人事", "规划计划"), "stale", "1y", -1),
}


class Planted(NamedTuple):
    columns: tuple[ColumnSpec, ...]
    defects: tuple[Defect, ...]


def _counts_for_limb1(slot: Slot) -> bool:
    return slot.category == DYNAMIC or (slot.category in NOTICE_POLICY and slot.level == 1)


def plant(
    rng: random.Random,
    slots: list[Slot],
    profile: Profile,
    at: dt.date,
    monthday: bool,
    boundary_order: list[str],
) -> Planted:
    """Choose a status per column, then a newest date per status.

    `monthday` sites show dates without a year, so nothing there may be a year old or older (the year
    could not be inferred): their yearly-duty columns go stale as undated instead.
    """
    main, *rest = slots  # the main 动态要闻 column: the home page's freshness rests on it
    status = {slot.key: "fresh" for slot in slots}
    home_keys = {main.key} | {s.key for s in rest if s.level == 1 and s.category in NOTICE_POLICY}

    limb1 = [s for s in rest if _counts_for_limb1(s)]
    n_combined = min(rng.choice(profile.combined), len(limb1))
    stale = rng.sample(limb1, n_combined)
    others = [s for s in rest if duty_window(s.category) and not _counts_for_limb1(s)]
    n_other = profile.long_total - n_combined if profile.long_total else rng.choice(profile.other)
    stale += rng.sample(others, min(n_other, len(others)))
    for slot in stale:
        yearly_on_monthday = monthday and duty_window(slot.category) == "1y"
        status[slot.key] = "undated" if yearly_on_monthday or rng.random() < 0.15 else "stale"

    protected = home_keys | {s.key for s in stale}
    no_duty = [s for s in rest if s.key not in protected and not duty_window(s.category)]
    with_duty = [s for s in rest if s.key not in protected and duty_window(s.category)]
    rng.shuffle(no_duty)
    rng.shuffle(with_duty)
    for slot in (no_duty + with_duty)[: rng.choice(profile.blank)]:
        status[slot.key] = "blank"
    for slot in no_duty:
        if status[slot.key] == "fresh" and rng.random() < 0.1:
            status[slot.key] = "undated"  # e.g. 机构职能 pages that never show a date

    defects: list[Defect] = []
    if profile.home == "stale":
        # Home page shows only the notice and policy blocks, a few weeks old: stale for W-V3 only.
        home_keys.discard(main.key)
        for key in home_keys:
            if status[key] == "fresh":
                status[key] = "old"
    elif profile.home == "nav_stale":
        status[main.key] = "stale"
        for slot in slots:
            if slot.level == 1 and status[slot.key] == "fresh":
                status[slot.key] = "old"
    if profile.home.startswith("nav"):
        home_keys = set()

    starts = window_starts(at)
    edges: dict[str, tuple[dt.date, str]] = {}
    for case in boundary_order:
        classes, wanted, window, offset = BOUNDARY_CASES[case]
        if monthday and window == "1y":
            continue
        matches = [
            s
            for s in slots
            if s.category in classes
            and status[s.key] in ({"fresh", "old"} if wanted == "fresh" else {"stale"})
        ]
        if matches:
            slot = rng.choice(matches)
            edges[slot.key] = (starts[window] + dt.timedelta(days=offset), case)
            break

    floor = starts["1y"] + dt.timedelta(days=1)  # oldest date a month-day site may show
    columns: list[ColumnSpec] = []
    for slot in slots:
        state = status[slot.key]
        newest = None
        if slot.key in edges:
            newest, case = edges[slot.key]
            defects.append(Defect("boundary", f"{case}: newest {newest}", slot.key))
        elif state in ("fresh", "old", "stale"):
            newest = _newest(rng, state, slot.category, at)
            if monthday:
                newest = max(newest, floor)
        blank_form = rng.choice(BLANK_FORMS) if state == "blank" else None
        columns.append(
            ColumnSpec(
                key=slot.key,
                name=slot.name,
                category=slot.category,
                level=slot.level,
                parent=slot.parent,
                newest=newest,
                items=0 if blank_form else rng.randint(5, 60),
                blank_form=blank_form,
                undated=state == "undated",
                on_home=slot.key in home_keys,
            )
        )
        duty = duty_window(slot.category)
        if state == "stale":
            defects.append(Defect("stale", f"newest {newest}, update duty {duty}", slot.key))
        elif state == "undated":
            what = f"update duty {duty}: counts as not updated" if duty else "no update duty"
            defects.append(Defect("undated", f"items carry no date; {what}", slot.key))
        elif blank_form is not None:
            defects.append(Defect("blank", blank_form, slot.key))
    return Planted(tuple(columns), tuple(defects))


def _newest(rng: random.Random, state: str, category: str, at: dt.date) -> dt.date:
    """A newest-item date for a column state, clear of the window edges (those are planted apart)."""
    duty = duty_window(category)
    days = dt.timedelta
    if state == "fresh":
        span = {"14d": 6, "6mo": 90, "1y": 200}.get(duty or "", 300)
        return at - days(rng.randint(0, span))
    if state == "old":  # fresh for its own duty, yet older than two weeks
        span = {"6mo": 150}.get(duty or "", 300)
        return at - days(rng.randint(15, span))
    if duty is None:  # a no-duty column picked for a stale home page: simply old
        return at - days(rng.randint(15, 300))
    return window_starts(at)[duty] - days(rng.randint(2, 300))
