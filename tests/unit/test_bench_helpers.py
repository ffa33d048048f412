"""The perf bench's pure helpers: the politeness bound and the table layout."""

from __future__ import annotations

from bench.perf_common import format_table, politeness_bound


def test_politeness_bound_is_the_busiest_host_over_the_rate() -> None:
    requests = {"127.42.0.1": 120, "127.42.0.2": 600, "127.42.0.3": 30}
    assert politeness_bound(requests, 50.0) == (12.0, "127.42.0.2")


def test_politeness_bound_without_requests_is_zero() -> None:
    assert politeness_bound({}, 50.0) == (0.0, "")


def test_table_aligns_values_and_sets_sections_apart() -> None:
    table = format_table(
        [("1. Section", "", ""), ("short", "5", "note"), ("a longer measure", "1234", "")],
        "title",
    )
    lines = table.splitlines()
    assert lines[:2] == ["title", "====="]
    assert lines[2:5] == ["", "1. Section", "----------"]
    assert lines[5] == "short                5  note"
    assert lines[6] == "a longer measure  1234"
