"""The farm's province generator, manifest, registry export and ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time

import pytest
from dateutil.relativedelta import relativedelta

from farm.faults import LINK_EXPECT
from farm.oracle import expected
from farm.plant import BOUNDARY_CASES
from farm.province import REGISTRY_HEADERS, generate_province
from farm.spec import (
    BLANK_FORMS,
    BROWSER_HOWS,
    CHARSETS,
    DEFECT_KINDS,
    FAMILIES,
    HOME_FAULTS,
    HOSTILE_KINDS,
    UNREADABLE_FAULTS,
    ColumnSpec,
    SiteSpec,
)

AT = dt.date(2024, 8, 31)  # month end: T-6mo is 2024-02-29, a leap day


def _manifest(sites: int, seed: int, at: dt.date = AT) -> dict:
    province = generate_province(sites, seed, at)
    province.assign_port(8080)
    return province.manifest()


def test_same_seed_gives_same_manifest_and_other_seed_differs() -> None:
    first = _manifest(200, 1)
    assert first == _manifest(200, 1)
    assert first != _manifest(200, 2)


def test_generation_is_cheap() -> None:
    # CPU time, not wall time: the 2 shared cores of CI may be busy with other work
    started, cpu_started = time.perf_counter(), time.process_time()
    province = generate_province(1000, 3, AT)
    cpu = time.process_time() - cpu_started
    print(f"generate_province(1000): {cpu:.3f} s CPU, {time.perf_counter() - started:.3f} s wall")
    assert len(province) == 1000
    assert cpu < 1.0


@pytest.mark.parametrize("seed", [1, 7])
def test_every_family_defect_and_boundary_appears(seed: int) -> None:
    manifest = _manifest(200, seed)
    sites = manifest["sites"]
    assert {s["template"] for s in sites} == set(FAMILIES)
    assert len(FAMILIES) >= 6
    assert {s["charset"] for s in sites} == set(CHARSETS)
    defects = [d for s in sites for d in s["defects"]]
    assert {d["kind"] for d in defects} == set(DEFECT_KINDS)
    assert {d["detail"] for d in defects if d["kind"] == "blank"} == set(BLANK_FORMS)
    cases = {d["detail"].split(":")[0] for d in defects if d["kind"] == "boundary"}
    assert cases == set(BOUNDARY_CASES)
    categories = {c["category"] for s in sites for c in s["columns"]}
    assert categories >= {"动态要闻", "通知公告", "政策文件", "政策解读", "人事", "规划计划"}
    assert categories >= {"互动", "办事服务", "概况", "机构职能"}
    assert {s["kind"] for s in sites} == {"门户", "部门"}
    columns = [c for s in sites for c in s["columns"]]
    assert {c["how"] for c in columns if c["needs_browser"]} == set(BROWSER_HOWS)
    assert {c["fault"] for c in columns} - {None} >= set(UNREADABLE_FAULTS) - {"endless_script"}
    assert {s["availability"]["home"] for s in sites} == {"up", *HOME_FAULTS}
    assert {h for s in sites for h in s["hostile"]} == set(HOSTILE_KINDS)
    assert {link["kind"] for s in sites for link in s["links"]} == set(LINK_EXPECT)


@pytest.mark.parametrize("seed", [1, 7])
def test_every_veto_is_planted_and_each_line_is_missed_by_one(seed: int) -> None:
    sites = _manifest(200, seed)["sites"]
    findings = {f for s in sites for f in s["expected"]["findings"]}
    assert findings == {"W-V3", "W-V4-1", "W-V4-2", "W-V4-3", "W-V5-1", "W-V5-2", "W-V6-1"}
    passing = [s["expected"]["counts"] for s in sites if s["expected"]["verdict"] == "合格"]
    assert any(c["blank"] == 4 for c in passing)
    assert any(c["long_stale"] == 9 for c in passing)
    assert any(c["combined"] == 4 for c in passing)
    clean = [s for s in sites if s["profile"] == "clean"]
    assert all(
        s["expected"]["verdict"] == ("合格" if s["availability"]["home"] == "up" else "未能检测")
        for s in clean
    )
    assert 0.7 <= len(clean) / len(sites) <= 0.8
    nav_only = [s for s in sites if s["home"]["nav_only"]]
    assert {("W-V3" in s["expected"]["findings"]) for s in nav_only} == {True, False}


def _recount(site: dict, at: dt.date, measured: str = "measured") -> tuple[str, list[str]]:
    """docs/CONTRACT.md applied afresh to a manifest entry (written apart from farm.oracle).

    `measured` names the column flag to trust: "measured" (a browser renders script-built lists)
    or "measured_without_browser".
    """
    if site["availability"]["home"] != "up":
        return "未能检测", []
    fortnight = (at - dt.timedelta(days=14)).isoformat()
    half_year = (at - relativedelta(months=6)).isoformat()
    year = (at - relativedelta(years=1)).isoformat()
    window = {"动态要闻": fortnight, "通知公告": half_year, "政策文件": half_year}
    window |= {"人事": year, "规划计划": year}
    read = [c for c in site["columns"] if c[measured]]
    blank = combined = long_stale = 0
    for column in read:
        if column["blank"]:
            blank += 1
            continue
        start = window.get(column["category"])
        if start is None or (column["newest"] is not None and column["newest"] >= start):
            continue
        long_stale += 1
        limb1 = column["category"] == "动态要闻" or column["level"] == 1 and start == half_year
        combined += limb1
    home_dates = [
        c["newest"]
        for c in site["columns"]
        if c["on_home"] and c["newest"] and not site["home"]["nav_only"]
    ]
    if home_dates:
        home_stale: bool | None = max(home_dates) < fortnight
    else:  # nothing dated on the home page: judged by the level-1 columns that were read
        level1 = [c for c in read if c["level"] == 1]
        home_stale = not any((c["newest"] or "") >= fortnight for c in level1) if level1 else None
    vetoes = []
    if home_stale:
        vetoes.append("W-V3")
    if combined >= 5:
        vetoes.append("W-V4-1")
    if long_stale >= 10:
        vetoes.append("W-V4-2")
    if blank >= 5:
        vetoes.append("W-V4-3")
    if vetoes:
        return "不合格", vetoes
    return ("未能检测" if home_stale is None or not read else "合格"), []


@pytest.mark.parametrize("at", [AT, dt.date(2024, 3, 20), dt.date(2023, 12, 31)])
def test_expected_findings_match_an_independent_recount(at: dt.date) -> None:
    manifest = _manifest(200, 7, at)
    outcomes = set()
    for site in manifest["sites"]:
        for key, flag in (
            ("expected", "measured"),
            ("expected_without_browser", "measured_without_browser"),
        ):
            want = (site[key]["verdict"], site[key]["findings"])
            if site["profile"] in ("no_channel", "reply_late", "no_service"):
                # W-V5/W-V6 on an otherwise 合格 site: recounted in test_farm_interaction.py
                want = ("合格", [f for f in want[1] if f[:4] not in ("W-V5", "W-V6")])
            assert want == _recount(site, at, flag), (site["site_id"], key)
            outcomes.add(want[0])
    assert outcomes == {"合格", "不合格", "未能检测"}


def test_boundary_columns_sit_exactly_on_the_window_edges() -> None:
    manifest = _manifest(200, 1)
    edges = {
        "news_at_14d": AT - dt.timedelta(days=14),
        "news_at_15d": AT - dt.timedelta(days=15),
        "notice_at_6mo": dt.date(2024, 2, 29),
        "notice_past_6mo": dt.date(2024, 2, 28),
        "yearly_at_1y": dt.date(2023, 8, 31),
        "yearly_past_1y": dt.date(2023, 8, 30),
    }
    seen = set()
    for site in manifest["sites"]:
        by_name = {c["name"]: c for c in site["columns"]}
        for defect in site["defects"]:
            if defect["kind"] == "boundary":
                case = defect["detail"].split(":")[0]
                assert by_name[defect["column"]]["newest"] == edges[case].isoformat()
                seen.add(case)
    assert seen == set(edges)


def _site(columns: list[ColumnSpec], nav_only: bool = False) -> SiteSpec:
    return SiteSpec(
        index=0, site_id="5206240001", name="思南县人民政府", region_code="520624",
        region_name="思南县", registry_region="铜仁市", kind="门户", tier="county",
        unit="思南县人民政府办公室", family="trs", charset="utf-8", header_charset=True,
        page_size=15, nav_only=nav_only, left_nav=False, footer_code="5206240001", jiucuo=True,
        icp="黔ICP备12345678号", police="贵公网安备 52062400000001号", profile="test",
        columns=tuple(columns),
    )  # fmt: skip


def _col(key: str, category: str, newest: dt.date | None, level: int = 1, **kw) -> ColumnSpec:
    return ColumnSpec(key, key, category, level, newest=newest, items=10, **kw)


def test_oracle_window_edges_by_hand() -> None:
    home = _col("home", "动态要闻", AT - dt.timedelta(days=14), on_home=True)
    four_stale_news = [_col(f"n{i}", "动态要闻", AT - dt.timedelta(days=15), 2) for i in range(4)]
    # notices at exactly T-6mo are fresh: four stale news alone stay below the line of five
    fresh_notice = _col("tz", "通知公告", dt.date(2024, 2, 29))
    result = expected(_site([home, *four_stale_news, fresh_notice]), AT)
    assert result == {
        "verdict": "合格",
        "findings": [],
        "counts": {"combined": 4, "long_stale": 4, "blank": 0},
        "unmeasured": [],
    }
    stale_notice = _col("tz", "通知公告", dt.date(2024, 2, 28))
    result = expected(_site([home, *four_stale_news, stale_notice]), AT)
    assert result["findings"] == ["W-V4-1"]
    # a level-2 notice past 6 months is long-stale but not part of limb 1
    level2 = _col("tz2", "通知公告", dt.date(2024, 2, 28), level=2)
    assert expected(_site([home, *four_stale_news, level2]), AT)["counts"]["combined"] == 4
    # home page: T-15 is stale, T-14 is not
    old_home = _col("home", "动态要闻", AT - dt.timedelta(days=15), on_home=True)
    assert expected(_site([old_home]), AT)["findings"] == ["W-V3"]
    assert expected(_site([home]), AT)["findings"] == []


def test_oracle_blank_undated_and_yearly_columns() -> None:
    home = _col("home", "动态要闻", AT, on_home=True)
    blanks = [_col(f"b{i}", "动态要闻", None, blank_form="暂无信息") for i in range(4)]
    assert expected(_site([home, *blanks]), AT)["counts"] == {
        "combined": 0,
        "long_stale": 0,
        "blank": 4,
    }  # blank never counts as stale
    undated = _col("u", "动态要闻", None, undated=True)
    assert expected(_site([home, undated]), AT)["counts"]["combined"] == 1
    yearly = [
        _col("rs1", "人事", dt.date(2023, 8, 31)),  # exactly T-1y: fresh
        _col("rs2", "人事", dt.date(2023, 8, 30)),
        _col("gh", "规划计划", dt.date(2023, 8, 30)),
        _col("gk", "概况", dt.date(2010, 1, 1)),  # no update duty
    ]
    assert expected(_site([home, *yearly]), AT)["counts"]["long_stale"] == 2


def test_navigation_only_home_is_judged_by_level1_columns() -> None:
    level1_old = _col("tz", "通知公告", AT - dt.timedelta(days=15))
    level2_fresh = _col("gzdt", "动态要闻", AT, level=2)
    assert expected(_site([level1_old, level2_fresh], nav_only=True), AT)["findings"] == ["W-V3"]
    level1_fresh = _col("tz", "通知公告", AT - dt.timedelta(days=14))
    assert expected(_site([level1_fresh], nav_only=True), AT)["findings"] == []


def test_month_day_sites_never_need_a_year_that_cannot_be_inferred() -> None:
    for seed in (1, 7):
        for site in _manifest(200, seed)["sites"]:
            if site["template"] == "monthday":
                year_ago = (AT - relativedelta(years=1)).isoformat()
                assert all(c["newest"] is None or c["newest"] > year_ago for c in site["columns"])


def test_identity_codes_and_names_are_realistic() -> None:
    province = generate_province(1000, 5, AT)
    ids = [s.site_id for s in province]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "5200000001" and province.sites[0].name == "贵州省人民政府"
    assert all(len(i) == 10 and i.isdigit() and i.startswith("52") for i in ids)
    assert all(s.site_id[:6] == s.region_code for s in province)
    names = {s.name for s in province}
    assert "贵州省人民政府" in names and any(n.endswith("县人民政府") for n in names)
    tiers = {(s.tier, s.kind) for s in province}
    assert tiers == {
        ("province", "门户"),
        ("province", "部门"),
        ("city", "门户"),
        ("city", "部门"),
        ("county", "门户"),
        ("county", "部门"),
    }


def test_registry_csv_has_chinese_headers_and_bom(tmp_path) -> None:
    province = generate_province(30, 2, AT)
    province.assign_port(8123)
    path = tmp_path / "registry.csv"
    province.write_registry_csv(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert (
        tuple(rows[0])
        == REGISTRY_HEADERS
        == ("网站标识码", "网站名称", "首页地址", "地区/部门", "网站类型")
    )
    assert len(rows) == 30
    assert {r["网站类型"] for r in rows} <= {"门户", "部门"}
    assert rows[0]["首页地址"] == province.site_url(rows[0]["网站标识码"])
    assert rows[0]["首页地址"].startswith("http://127.42.0.1:8123/")


def test_manifest_file_and_rollup(tmp_path) -> None:
    province = generate_province(120, 4, AT)
    province.assign_port(9000)
    province.write_manifest(tmp_path / "m.json")
    manifest = json.loads((tmp_path / "m.json").read_text("utf-8"))
    assert manifest["schema"] == "govsweep-farm-manifest/1"
    assert manifest["province"] == {"code": "520000", "name": "贵州省"}
    assert (manifest["seed"], manifest["at"]) == (4, "2024-08-31")
    rollup = manifest["rollup"]
    assert sum(r["sites"] for r in rollup) == 120
    for row in rollup:
        sites = [s for s in manifest["sites"] if s["region_code"] == row["region_code"]]
        failed = sum(s["expected"]["verdict"] == "不合格" for s in sites)
        judged = sum(s["expected"]["verdict"] != "未能检测" for s in sites)
        assert (row["sites"], row["problem_sites"]) == (len(sites), failed)
        assert row["unmeasured_sites"] == len(sites) - judged
        want = round(100 * (judged - failed) / judged, 2) if judged else None
        assert row["pass_rate"] == want


def test_bad_input_gives_clear_errors() -> None:
    with pytest.raises(ValueError, match="sites must be an integer from 1"):
        generate_province(0, 1, AT)
    with pytest.raises(ValueError, match="at must be a date"):
        generate_province(10, 1, "2024-08-31")  # type: ignore[arg-type]
    province = generate_province(5, 1, AT)
    with pytest.raises(RuntimeError, match="start a FarmServer"):
        province.manifest()
    province.assign_port(8000)
    with pytest.raises(KeyError, match="no site with 标识码 '1234'"):
        province.site_url("1234")
