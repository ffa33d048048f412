"""The results store: idempotent writes, latest-wins per quarter, the materialised roll-ups."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from checkers.model import FAIL, PASS, UNMEASURED, Finding, Verdict
from services.bus.schema import Site, SiteVerdict, SweepStarted
from services.reporting.report import REGION_LEVELS, count_regions, recheck_list, recheck_summary
from services.reporting.store import Store, StoreError

BLANK = "空白栏目数量超过(含)5个"
STALE_HOME = "监测时间点前2周内首页无信息更新"


def site(site_id: str, code: str | None = None) -> Site:
    return Site(site_id, f"网站{site_id}", f"http://{site_id}.site.test/", code or site_id[:6])


def verdict(
    s: Site,
    result: str,
    *messages: str,
    sweep: str = "2024Q1-a",
    checked_at: str = "2024-03-20T10:00:00",
    recheck: bool = False,
    at: str = "2024-03-20",
) -> SiteVerdict:
    findings = [Finding("W-V4-3", "空白栏目", "veto", m) for m in messages]
    return SiteVerdict(
        sweep_id=sweep,
        at=at,
        quarter="2024Q1",
        site=s,
        verdict=Verdict(result, findings, ["首页无法访问"] if result == UNMEASURED else []),
        checked_at=checked_at,
        recheck=recheck,
    )


SITES = [
    site("5200000001"),  # province portal: 省直部门
    site("5200000019"),
    site("5201000003"),  # 贵阳市 department
    site("5201030001"),  # 云岩区
    site("5206000041"),  # 铜仁市 department
    site("5206240001"),  # 思南县
    site("5206260030"),  # 德江县
    site("5226340005"),  # 雷山县
    site("5301000001"),  # 云南: a second province
    site("bm29000002", "100000"),  # 国务院部门
]
OUTCOMES = [PASS, FAIL, PASS, UNMEASURED, FAIL, PASS, FAIL, PASS, PASS, FAIL]
SWEEP = [
    verdict(s, o, *((BLANK,) if o == FAIL else ()), checked_at=f"2024-03-20T10:{i:02d}:00")
    for i, (s, o) in enumerate(zip(SITES, OUTCOMES, strict=True))
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "state" / "govsweep.sqlite")
    yield opened
    opened.close()


def snapshot(store: Store) -> dict:
    return {
        "verdicts": [msgspec.to_builtins(v) for v in store.quarter_verdicts("2024Q1")],
        "rollups": {
            level: msgspec.to_builtins(store.rollup_counts("2024Q1", level))
            for level in REGION_LEVELS
        },
    }


def test_duplicates_and_any_order_give_the_same_store(tmp_path: Path) -> None:
    reference = Store(tmp_path / "ref.sqlite")
    for v in SWEEP:
        reference.add_verdict(v)
    expected = snapshot(reference)
    assert len(expected["verdicts"]) == len(SITES)

    shuffled = Store(tmp_path / "shuffled.sqlite")
    twice = SWEEP + SWEEP
    random.Random(7).shuffle(twice)
    changed = [shuffled.add_verdict(v) for v in twice]
    assert snapshot(shuffled) == expected
    assert changed.count(True) == len(SITES)  # every second copy changed nothing


def test_a_later_copy_of_the_same_sweep_wins_whatever_the_arrival_order(store: Store) -> None:
    first = verdict(SITES[5], PASS, checked_at="2024-03-20T10:00:00")
    again = verdict(SITES[5], FAIL, BLANK, checked_at="2024-03-20T11:00:00")  # judged again
    assert store.add_verdict(again)
    assert not store.add_verdict(first)  # older: ignored
    assert [v.verdict.verdict for v in store.quarter_verdicts("2024Q1")] == [FAIL]


def test_rollups_equal_the_report_counts_at_every_level(store: Store) -> None:
    for v in SWEEP:
        store.add_verdict(v)
    for level in REGION_LEVELS:
        assert store.rollup_counts("2024Q1", level) == count_regions(SWEEP, level)
    provinces = {
        c.region: (c.sites, c.problems, c.unmeasured)
        for c in store.rollup_counts("2024Q1", "province")
    }
    assert provinces == {"国务院部门": (1, 1, 0), "贵州省": (8, 3, 1), "云南省": (1, 0, 0)}
    county = {c.key: c.region for c in store.rollup_counts("2024Q1", "county")}
    assert county["520600"] == "市直部门" and county["520624"] == "思南县"
    with pytest.raises(ValueError, match="region level"):
        store.rollup_counts("2024Q1", "town")


def test_a_recheck_becomes_the_quarters_verdict_and_the_history_is_kept(store: Store) -> None:
    for v in SWEEP:
        store.add_verdict(v)
    dejiang = SITES[6]
    fixed = verdict(
        dejiang,
        PASS,
        sweep="recheck-5206260030-20240402090000",
        checked_at="2024-04-02T09:05:00",
        recheck=True,
        at="2024-04-02",
    )
    store.add_verdict(fixed)
    quarter = {v.site.site_id: v for v in store.quarter_verdicts("2024Q1")}
    assert quarter["5206260030"].verdict.verdict == PASS
    assert len(quarter) == len(SITES)  # the recheck replaced, it did not add a site
    tongren = next(c for c in store.rollup_counts("2024Q1", "city") if c.key == "520600")
    assert (tongren.sites, tongren.problems) == (3, 1)  # was 2 problems before the recheck

    history = store.rechecked_history("2024Q1")
    assert list(history) == ["5206260030"]
    assert [v.sweep_id for v in history["5206260030"]] == ["2024Q1-a", fixed.sweep_id]
    (row,) = recheck_list(history)
    assert (row.first, row.later, row.verdict) == (
        "不合格（2024-03-20）",
        ["合格（2024-04-02）"],
        PASS,
    )
    assert row.fixed == [BLANK] and row.remaining == [] and row.added == []
    assert row.change == f"已整改：{BLANK}"


def test_recheck_that_finds_a_new_problem(store: Store) -> None:
    store.add_verdict(verdict(SITES[1], FAIL, BLANK))
    store.add_verdict(
        verdict(
            SITES[1],
            FAIL,
            BLANK,
            STALE_HOME,
            sweep="recheck-x",
            checked_at="2024-04-01T00:00:00",
            recheck=True,
        )
    )
    (row,) = recheck_list(store.rechecked_history("2024Q1"))
    assert (row.fixed, row.remaining, row.added) == ([], [BLANK], [STALE_HOME])
    assert row.change == f"仍存在：{BLANK}。新发现：{STALE_HOME}"


def test_sweeps_progress_quarters_and_clear(store: Store) -> None:
    store.add_sweep(SweepStarted("2024Q1-a", "2024-03-20", "2024Q1", 10, "2024-03-20T09:00:00"))
    store.add_sweep(SweepStarted("2024Q1-a", "2024-03-20", "2024Q1", 10, "2024-03-20T09:00:00"))
    for v in SWEEP[:4]:
        store.add_verdict(v)
    latest, done = store.latest_sweep()
    assert (latest.sweep_id, latest.sites, done) == ("2024Q1-a", 10, 4)
    assert [s.at for s in store.sweeps("2024Q1")] == ["2024-03-20"]
    assert store.quarters() == ["2024Q1"]
    store.clear()
    assert store.quarters() == [] and store.latest_sweep() is None
    assert store.rollup_counts("2024Q1") == []


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "govsweep.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="govsweep.sqlite: not a usable govsweep store"):
        Store(path)


def test_an_unreachable_recheck_does_not_clear_a_finding(store: Store) -> None:
    failed = verdict(SITES[4], FAIL, BLANK)
    unreachable = verdict(
        SITES[4], UNMEASURED, sweep="recheck-y", checked_at="2024-04-01T00:00:00", recheck=True
    )
    store.add_verdict(unreachable)  # arrival order does not matter
    store.add_verdict(failed)
    (standing,) = store.quarter_verdicts("2024Q1")
    assert standing.verdict.verdict == FAIL
    (city,) = store.rollup_counts("2024Q1", "city")
    assert (city.problems, city.unmeasured) == (1, 0)
    (row,) = recheck_list(store.rechecked_history("2024Q1"))
    assert (row.verdict, row.last, row.later) == (FAIL, UNMEASURED, ["未能检测（2024-03-20）"])
    assert row.remaining == [BLANK] and row.fixed == []
    assert (
        recheck_summary([row]) == "本季度对1家网站进行了复查，其中复查未能检测（维持原结论）1家。"
    )
    # A site never measured in the quarter stays 未能检测.
    store.add_verdict(verdict(SITES[5], UNMEASURED))
    assert [v.verdict.verdict for v in store.quarter_verdicts("2024Q1")] == [FAIL, UNMEASURED]
