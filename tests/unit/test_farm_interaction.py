"""Part D of the farm: public 留言 lists (W-V5) and 办事指南 (W-V6) — what is planted, the ground truth
recounted independently at the window edges, and the pages that carry it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from typing import Any

import msgspec
import pytest
from dateutil.relativedelta import relativedelta
from selectolax.lexbor import LexborHTMLParser

from farm.functions import CASES, first_in_time
from farm.oracle import expected, reply_limb
from farm.province import Province, generate_province
from farm.render import SitePages
from farm.spec import (
    DESK_LAYOUTS,
    GUIDE_CASES,
    GUIDE_ELEMENTS,
    REPLY_CASES,
    ColumnSpec,
    Functions,
    SiteSpec,
)

AT = dt.date(2024, 3, 20)
ORIGIN = "http://127.42.0.9:8080"
PART_D = {
    "no_channel",
    "reply_late",
    "reply_boundary",
    "messages_undated",
    "excluded_desk",
    "no_service",
    "guides_incomplete",
}
NEW_VETOES = {"W-V5-1", "W-V5-2", "W-V6-1"}
THREE_MONTHS = relativedelta(months=3)


def _province(sites: int, seed: int, at: dt.date = AT) -> Province:
    province = generate_province(sites, seed, at)
    province.assign_port(8080)
    return province


def _planted(site: dict, kind: str) -> list[dict]:
    return [d for d in site["defects"] if d["kind"] == kind]


def _case(defect: dict) -> str:
    return defect["detail"].split(":")[0]


# --- what is planted ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 7])
def test_every_case_is_planted_on_an_otherwise_clean_site(seed: int) -> None:
    sites = _province(200, seed).manifest()["sites"]
    kinds = Counter(d["kind"] for s in sites for d in s["defects"] if d["kind"] in PART_D)
    assert set(kinds) == PART_D
    replies = {
        _case(d): d["kind"]
        for s in sites
        for d in s["defects"]
        if d["kind"] in ("reply_late", "reply_boundary")
    }
    assert replies == {
        case: "reply_late" if holds else "reply_boundary"
        for case, (holds, _) in REPLY_CASES.items()
    }
    guides = {_case(d) for s in sites for d in _planted(s, "guides_incomplete")}
    assert guides == set(GUIDE_CASES)
    findings = Counter(f for s in sites for f in s["expected"]["findings"])
    assert NEW_VETOES <= set(findings)

    part_d = [s for s in sites if any(d["kind"] in PART_D for d in s["defects"])]
    assert len(part_d) == len(CASES)  # one case per site
    for site in part_d:
        (defect,) = [d for d in site["defects"] if d["kind"] in PART_D]
        assert site["availability"] == {"home": "up", "flaky": None, "slow_ms": None}
        assert not site["hostile"] and not site["links"] and not site["home"]["nav_only"]
        assert all(c["fault"] is None and not c["needs_browser"] for c in site["columns"])
        veto = {"no_channel": "W-V5-1", "reply_late": "W-V5-2", "no_service": "W-V6-1"}
        want = [veto[defect["kind"]]] if defect["kind"] in veto else []
        for key in ("expected", "expected_without_browser"):
            assert site[key]["findings"] == want, (site["site_id"], defect)
            assert site[key]["verdict"] == ("不合格" if want else "合格")
        assert site["profile"] == (defect["kind"] if want else "clean")

    # few sites fail for W-V5/W-V6, and those for that alone
    failing = [s for s in sites if NEW_VETOES & set(s["expected"]["findings"])]
    assert len(failing) / len(sites) <= 0.04
    assert all(len(s["expected"]["findings"]) == 1 for s in failing)
    # every other site has a channel whose letters are answered in time, and a service entry
    others = [s for s in sites if s not in part_d]
    assert all(s["interaction"]["channel"] and s["service"]["entry"] for s in others)
    assert all(s["interaction"]["expected_limb2"] != "holds" for s in others)
    limbs = Counter(s["interaction"]["expected_limb2"] for s in sites)
    assert set(limbs) == {"holds", "clear", "unmeasured"}
    assert limbs["clear"] > len(sites) / 2


@pytest.mark.parametrize("seed", [1, 7])
def test_layouts_and_looks_all_appear_and_the_veto_sits_on_each_layout(seed: int) -> None:
    province = _province(200, seed)
    sites = province.manifest()["sites"]
    layouts = Counter(entry["layout"] for s in sites for entry in s["interaction"]["lists"])
    assert set(layouts) == set(DESK_LAYOUTS)
    late_on = set()
    for site in sites:
        for defect in _planted(site, "reply_late"):
            late_on.add(defect["detail"].rsplit("; ", 1)[1].split()[0])
    assert late_on == set(DESK_LAYOUTS)  # W-V5-2 holds on a table, a status and a detail list
    looks = [s.functions for s in province if s.functions]
    assert len(looks) == len(province)
    assert {f.date_form for f in looks} == {"iso", "datetime", "cn"}
    assert {f.letter for f in looks} == {"table", "blocks"}
    assert {f.guide_markup for f in looks} == {"table", "headings", "dl"}
    assert {f.synonyms for f in looks} == {True, False} and {f.labelled for f in looks} == {
        True,
        False,
    }
    names = {c["name"] for s in sites for c in s["columns"]}
    assert {"在线访谈", "征集调查", "网上信访", "办事服务", "政务服务", "网上办事"} <= names


def test_small_provinces_get_the_main_cases_only() -> None:
    for sites, kinds in (
        (20, set()),
        (40, {"no_channel", "reply_late", "messages_undated", "no_service"}),
    ):
        manifest = _province(sites, 7).manifest()
        planted = {
            d["kind"] for s in manifest["sites"] for d in s["defects"] if d["kind"] in PART_D
        }
        assert planted == kinds, sites


def test_w_v3_and_w_v4_truth_is_what_it_was_before_part_d() -> None:
    """Digests of every site's W-V3/W-V4 truth (verdict, findings, counts, unmeasured reasons, with
    and without a browser) as the farm gave them before 留言 lists and 办事指南 were modelled."""
    want = {
        (200, 1, dt.date(2024, 8, 31)): "0032f82c3d4df166386f5bcde27d650c0ed90fc726e81507a8c5d1f2b9594f4e",
        (200, 7, AT): "6046061759201d413280d7a748ccc166492e6e6bbcc62697d3f49f39a890058e",
        (1000, 3, AT): "b9aea592fcc458ccfc9b3cfdb9989127d0ddfc097807783a2579052fe913af46",
    }  # fmt: skip
    for (sites, seed, at), digest in want.items():
        province = generate_province(sites, seed, at)
        rows = []
        for site in province:
            plain = msgspec.structs.replace(site, functions=None)  # W-V5/W-V6 not judged
            for browser in (True, False):
                e = expected(plain, at, browser)
                reasons = [u["reason"] for u in e["unmeasured"]]
                rows.append(
                    [site.site_id, browser, e["verdict"], e["findings"], e["counts"], reasons]
                )
        text = json.dumps(rows, ensure_ascii=False, sort_keys=True)
        assert hashlib.sha256(text.encode()).hexdigest() == digest, (sites, seed, at)


# --- the ground truth, recounted ---------------------------------------------------------------


def _recount(site: dict, at: dt.date, measured: str = "measured") -> tuple[set[str], str]:
    """docs/CONTRACT.md W-V5/W-V6 applied afresh to a manifest entry (not using the farm's oracle)."""
    columns = {c["name"]: c for c in site["columns"]}
    channel = any(
        c["category"] == "互动" and not re.search("信访|纪检|举报", c["name"])
        for c in site["columns"]
    )
    judged = {
        entry["column"]
        for entry in site["interaction"]["lists"]
        if not re.search("访谈|调查|征集|信访|纪检|举报", entry["column"])
    }
    year_ago = at - relativedelta(years=1)
    late = unsure = False
    lists = 0
    for name in judged:
        column = columns[name]
        if column["blank"]:
            continue
        if not column[measured]:
            unsure = True
            continue
        letters = [m for m in site["interaction"]["messages"] if m["column"] == name]
        lists += bool(letters)
        for letter in letters:
            if not letter["dated"]:
                unsure = True
                continue
            asked = dt.date.fromisoformat(letter["asked"])
            until = dt.date.fromisoformat(letter["replied"]) if letter["replied"] else at
            if year_ago <= asked <= at and until > asked + THREE_MONTHS:
                late = True
    limb = "holds" if late else "unmeasured" if unsure or not lists else "clear"
    vetoes = set()
    if not channel:
        vetoes.add("W-V5-1")
    if late:
        vetoes.add("W-V5-2")
    if not any(c["category"] == "办事服务" for c in site["columns"]):
        vetoes.add("W-V6-1")
    return vetoes, limb


@pytest.mark.parametrize(
    ("seed", "at"),
    [
        (7, AT),
        (1, dt.date(2024, 8, 31)),  # T-6mo is a leap day; 3-month spans end on month ends
        (7, dt.date(2024, 5, 31)),  # no 留言时间 is exactly 3 months before T (02-31)
        (1, dt.date(2023, 12, 31)),
        (7, dt.date(2024, 2, 29)),
    ],
)
def test_w_v5_w_v6_findings_match_an_independent_recount(seed: int, at: dt.date) -> None:
    sites = _province(200, seed, at).manifest()["sites"]
    for site in sites:
        for key, flag, limb_key in (
            ("expected", "measured", "expected_limb2"),
            (
                "expected_without_browser",
                "measured_without_browser",
                "expected_limb2_without_browser",
            ),
        ):
            vetoes, limb = _recount(site, at, flag)
            truth = site[key]
            if site["availability"]["home"] != "up":
                assert truth["findings"] == [], site["site_id"]
                continue
            assert set(truth["findings"]) & NEW_VETOES == vetoes, (site["site_id"], key)
            assert site["interaction"][limb_key] == limb, (site["site_id"], key)
            if vetoes:
                assert truth["verdict"] == "不合格"
        assert site["interaction"]["channel"] == ("W-V5-1" not in _recount(site, at)[0])
        assert site["service"]["entry"] == ("W-V6-1" not in _recount(site, at)[0])


@pytest.mark.parametrize(
    "at", [AT, dt.date(2024, 8, 31), dt.date(2024, 5, 31), dt.date(2023, 12, 31)]
)
def test_planted_letters_sit_exactly_on_the_edges(at: dt.date) -> None:
    sites = _province(200, 1, at).manifest()["sites"]
    year_ago = at - relativedelta(years=1)
    seen = set()
    for site in sites:
        for defect in _planted(site, "reply_late") + _planted(site, "reply_boundary"):
            case = _case(defect)
            (letter,) = [
                m
                for m in site["interaction"]["messages"]
                if m["planted"] and m["column"] == defect["column"]
            ]
            asked = dt.date.fromisoformat(letter["asked"])
            replied = dt.date.fromisoformat(letter["replied"]) if letter["replied"] else None
            assert letter["answered"] == (replied is not None) and letter["dated"]
            seen.add(case)
            if case == "reply_at_3mo":
                assert replied == asked + THREE_MONTHS
                # a month end whose deadline is cut short (08-31 → 11-30): a day count disagrees
                assert (asked + THREE_MONTHS).day != asked.day
            elif case == "reply_past_3mo":
                assert replied == asked + THREE_MONTHS + dt.timedelta(days=1)
            elif case == "pending_at_3mo":
                assert replied is None and asked + THREE_MONTHS >= at
                assert asked - dt.timedelta(days=1) + THREE_MONTHS < at
            elif case == "pending_past_3mo":
                assert replied is None and asked + THREE_MONTHS < at
                assert asked + dt.timedelta(days=1) + THREE_MONTHS >= at
            elif case == "pending_at_1y":
                assert replied is None and asked == year_ago
            elif case == "pending_past_1y":
                assert replied is None and asked == year_ago - dt.timedelta(days=1)
            elif case == "late_outside_1y":
                assert asked == year_ago - dt.timedelta(days=1)
                assert replied > asked + THREE_MONTHS
            elif case == "pending_young":
                assert replied is None and asked + THREE_MONTHS > at
            else:
                assert case == "pending_old"
                assert replied is None and year_ago <= asked and asked + THREE_MONTHS < at
            holds = REPLY_CASES[case][0]
            assert site["interaction"]["expected_limb2"] == ("holds" if holds else "clear")
    assert seen == set(REPLY_CASES)


def test_first_in_time_is_the_three_month_edge() -> None:
    assert first_in_time(dt.date(2024, 3, 20)) == dt.date(2023, 12, 20)
    # 2024-02-29 + 3 months = 2024-05-29 < 05-31; 03-01 + 3 months = 06-01
    assert first_in_time(dt.date(2024, 5, 31)) == dt.date(2024, 3, 1)
    assert first_in_time(dt.date(2024, 11, 30)) == dt.date(2024, 8, 30)


@pytest.mark.parametrize("seed", [1, 7])
def test_special_sites_show_what_their_case_says(seed: int) -> None:
    sites = _province(200, seed).manifest()["sites"]
    for site in sites:
        interaction, service = site["interaction"], site["service"]
        kinds = {d["kind"] for d in site["defects"]}
        if "no_channel" in kinds:
            assert not interaction["channel"] and not interaction["lists"]
            excluded = {e["column"] for e in interaction["excluded_lists"]}
            assert {"网上信访", "纪检举报"} <= excluded
            assert not any(c["category"] == "互动" for c in site["columns"])
            # the 网上信访 list holds a letter unanswered for 5 months: not judged
            assert any(not m["answered"] and m["planted"] for m in interaction["excluded_messages"])
            assert interaction["expected_limb2"] == "unmeasured"
        if "excluded_desk" in kinds:
            overdue = [m for m in interaction["excluded_messages"] if m["planted"]]
            assert overdue and overdue[0]["column"] == "网上信访" and overdue[0]["replied"] is None
            assert interaction["expected_limb2"] == "clear"
        if "messages_undated" in kinds:
            (defect,) = _planted(site, "messages_undated")
            letters = [m for m in interaction["messages"] if m["column"] == defect["column"]]
            assert letters and not any(m["dated"] or m["asked"] or m["replied"] for m in letters)
            assert interaction["expected_limb2"] == "unmeasured"
        if "no_service" in kinds:
            assert service == {
                "entry": False,
                "columns": [],
                "guides": [],
                "sampled": 0,
                "missing_5_or_more": 0,
                "observation": None,
            }
        for defect in _planted(site, "guides_incomplete"):
            total, gaps = GUIDE_CASES[_case(defect)]
            assert service["sampled"] == total
            missing = sorted(len(g["missing"]) for g in service["guides"] if len(g["missing"]) > 2)
            assert missing == sorted(gaps)
            assert service["missing_5_or_more"] == sum(g >= 5 for g in gaps)
            assert service["observation"] == (_case(defect) == "share_at_10pct")
        if not kinds & {"guides_incomplete", "no_service"}:
            assert all(len(g["missing"]) <= 2 for g in service["guides"])
            assert service["observation"] in (False, None)
        for guide in service["guides"]:
            assert set(guide["missing"]) <= set(GUIDE_ELEMENTS) - {"事项名称"}


# --- the oracle by hand ------------------------------------------------------------------------

STYLE = Functions("iso", ("已回复", "未回复"), 0, True, "table", "table", False)


def _site(columns: list[ColumnSpec], functions: Functions | None = STYLE) -> SiteSpec:
    return SiteSpec(
        index=0, site_id="5206240001", name="思南县人民政府", region_code="520624",
        region_name="思南县", registry_region="铜仁市", kind="门户", tier="county",
        unit="思南县人民政府办公室", family="trs", charset="utf-8", header_charset=True,
        page_size=15, nav_only=False, left_nav=False, footer_code="5206240001", jiucuo=True,
        icp="黔ICP备12345678号", police="贵公网安备 52062400000001号", profile="test",
        columns=tuple(columns), functions=functions,
    )  # fmt: skip


HOME = ColumnSpec("xwdt", "要闻动态", "动态要闻", 1, newest=AT, items=10, on_home=True)
SERVICE = ColumnSpec("bsfw", "办事服务", "办事服务", 1, newest=AT, items=10, guides=True)


def _desk(
    letters: tuple[tuple[dt.date, dt.date | None], ...],
    name: str = "领导信箱",
    category: str = "互动",
    **kw,
) -> ColumnSpec:
    fields: dict[str, Any] = dict(
        key="hdjl", name=name, category=category, level=1, items=len(letters),
        newest=max(max(a, r or a) for a, r in letters), desk="table", planted=letters,
    )  # fmt: skip
    return ColumnSpec(**(fields | kw))


def _findings(*columns: ColumnSpec, at: dt.date = AT, browser: bool = True) -> list[str]:
    home = msgspec.structs.replace(HOME, newest=at)
    return expected(_site([home, SERVICE, *columns]), at, browser)["findings"]


def test_oracle_reply_edges_by_hand() -> None:
    at = dt.date(2024, 5, 31)
    # answered exactly 3 calendar months later (11-30 + 3 months = 02-29): in time; a day more: late
    assert _findings(_desk(((dt.date(2023, 11, 30), dt.date(2024, 2, 29)),)), at=at) == []
    late = _desk(((dt.date(2023, 11, 30), dt.date(2024, 3, 1)),))
    assert _findings(late, at=at) == ["W-V5-2"]
    # unanswered: 02-29 + 3 months = 05-29 < T: late; 03-01 + 3 months = 06-01: in time
    assert _findings(_desk(((dt.date(2024, 2, 29), None),)), at=at) == ["W-V5-2"]
    assert _findings(_desk(((dt.date(2024, 3, 1), None),)), at=at) == []
    # the window: T-1y is inside, T-1y-1d outside (even when its answer came late)
    assert _findings(_desk(((dt.date(2023, 5, 31), None),)), at=at) == ["W-V5-2"]
    assert _findings(_desk(((dt.date(2023, 5, 30), None),)), at=at) == []
    assert _findings(_desk(((dt.date(2023, 5, 30), dt.date(2023, 10, 1)),)), at=at) == []


def test_oracle_channels_lists_and_entries_by_hand() -> None:
    overdue = ((AT - relativedelta(months=6), None),)
    for name in ("在线访谈", "征集调查", "网上信访", "纪检举报"):
        assert _findings(_desk(overdue, name=name)) == (
            ["W-V5-1"] if name in ("网上信访", "纪检举报") else []
        ), name
    assert _findings(_desk(overdue, name="网上信访", category="other")) == ["W-V5-1"]
    assert _findings(_desk(overdue)) == ["W-V5-2"]
    # a blank 互动 column is still a channel; no 办事服务 column is W-V6-1
    blank = ColumnSpec("hdjl", "政民互动", "互动", 1, blank_form="暂无信息", desk="status")
    assert _findings(blank) == []
    assert expected(_site([HOME, blank]), AT)["findings"] == ["W-V6-1"]
    assert expected(_site([HOME]), AT)["findings"] == ["W-V5-1", "W-V6-1"]
    # sites whose 互动 and 办事服务 are not modelled are not judged for them
    assert expected(_site([HOME], functions=None), AT)["findings"] == []


def test_oracle_unreadable_and_undated_lists_by_hand() -> None:
    overdue = ((AT - relativedelta(months=6), None),)
    fine = ((AT - dt.timedelta(days=10), AT),)
    walled = _desk(overdue, fault="waf_412")
    assert _findings(walled) == []
    assert reply_limb(_site([HOME, SERVICE, walled]), AT) == "unmeasured"
    scripted = _desk(overdue, browser="ajax")
    assert _findings(scripted) == ["W-V5-2"]
    assert _findings(scripted, browser=False) == []
    undated = _desk(fine, key="hdjl/ldxx", level=2, undated=True, newest=None)
    site = _site([HOME, SERVICE, _desk(fine), undated])
    assert (expected(site, AT)["findings"], reply_limb(site, AT)) == ([], "unmeasured")
    # a late letter in a readable list still holds beside an undated list
    site = _site([HOME, SERVICE, _desk(overdue), undated])
    assert (expected(site, AT)["findings"], reply_limb(site, AT)) == (["W-V5-2"], "holds")
    # dates shown only on the letters' pages still count
    on_pages = _desk(overdue, desk="detail", undated=True, newest=None)
    assert _findings(on_pages) == ["W-V5-2"]
    assert reply_limb(_site([HOME, SERVICE, _desk(fine)]), AT) == "clear"


# --- pages -------------------------------------------------------------------------------------

_DATE = r"(\d{4})(?:-|年)(\d{1,2})(?:-|月)(\d{1,2})日?"


def _dates_after(label: str, text: str) -> list[dt.date]:
    found = re.findall(label + r"\s*[:：]?\s*" + _DATE, text)
    return [dt.date(int(y), int(m), int(d)) for y, m, d in found]


def _any_date(text: str) -> bool:
    return re.search(_DATE, text) is not None


def _letter_pages(province: Province, site: SiteSpec, column: ColumnSpec, n: int) -> list[str]:
    pages = SitePages(site, province.seed, province.at, ORIGIN)
    return [pages.article(column, k) or "" for k in range(min(n, column.items))]


def test_lists_and_letters_carry_the_manifest_dates() -> None:
    province = _province(200, 1)
    manifest = {s["site_id"]: s for s in province.manifest()["sites"]}
    checked: Counter[str] = Counter()
    for site in province:
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        truth = manifest[site.site_id]["interaction"]
        letters = truth["messages"] + truth["excluded_messages"]
        for column in site.columns:
            if column.desk is None or column.blank_form or column.browser or column.fault:
                continue
            mine = [m for m in letters if m["column"] == column.name]
            assert len(mine) == column.items
            first = LexborHTMLParser(pages.column_page(column, 0))
            rows = [
                a.parent.parent if a.parent.tag == "td" else a.parent
                for a in first.css(".xj-list a[target=_blank]")
            ]
            assert len(rows) == min(column.items, site.page_size)
            for row, letter in zip(rows, mine, strict=False):
                text = row.text(separator=" ")
                assert letter["url"].endswith(row.css_first("a").attributes["href"].lstrip("."))
                if letter["dates_on"] != "list":
                    assert not _any_date(text), (site.site_id, column.key, text)
                    continue
                shown = [dt.date(int(y), int(m), int(d)) for y, m, d in re.findall(_DATE, text)]
                assert shown[0].isoformat() == letter["asked"]
                if column.desk == "table":
                    replied = shown[1].isoformat() if len(shown) > 1 else None
                    assert replied == letter["replied"], (site.site_id, column.key, text)
                    assert len(shown) <= 2
                checked[column.desk] += 1
            for n, (html, letter) in enumerate(
                zip(_letter_pages(province, site, column, 5), mine, strict=False)
            ):
                text = LexborHTMLParser(html).body.text(separator=" ")
                asked_on = [d.isoformat() for d in _dates_after("留言时间", text)]
                replied_on = [d.isoformat() for d in _dates_after("答复时间", text)]
                assert asked_on == ([letter["asked"]] if letter["dated"] else []), (site.site_id, n)
                assert replied_on == ([letter["replied"]] if letter["replied"] else [])
                words = site.functions.words
                assert (words[0] if letter["answered"] else words[1]) in text
                checked["letter"] += 1
    assert set(checked) == {*DESK_LAYOUTS, "letter"} - {"detail"}


def test_guides_show_the_elements_the_manifest_does_not_call_missing() -> None:
    province = _province(200, 1)
    manifest = {s["site_id"]: s for s in province.manifest()["sites"]}
    synonyms = {"法定依据": "设定依据", "受理条件": "申请条件", "申报材料": "办理材料",
                "受理地点": "办理地点", "实施主体": "办理机构", "受理时间": "办理时间",
                "咨询电话": "联系电话", "办理程序": "办理流程"}  # fmt: skip
    label = re.compile(r"^(?:[一二三四五六七八九十]+、)?(\w{4})[:：]?$")
    markups = set()
    for site in province:
        guides = manifest[site.site_id]["service"]["guides"]
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        columns = {c.name: c for c in site.columns}
        for guide in guides[:3] + [g for g in guides if len(g["missing"]) > 2]:
            column = columns[guide["column"]]
            number = int(re.search(r"(\d+)\.html$", guide["url"])[1]) % 1000
            tree = LexborHTMLParser(pages.article(column, number))
            shown = set()
            for node in tree.css("th, h4, dt"):
                if m := label.match(node.text().strip()):
                    shown.add(synonyms.get(m[1], m[1]))
            assert shown == set(GUIDE_ELEMENTS) - set(guide["missing"]), guide["url"]
            markups.add(site.functions.guide_markup)
    assert markups == {"table", "headings", "dl"}


def test_part_d_pages_never_link_outside_loopback() -> None:
    province = _province(200, 7)
    relative = ("/", "./", "?", "index", "list_", "page_", "http://127.")
    for site in province:
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        bodies = []
        for column in site.columns:
            if column.desk or column.guides:
                bodies.append(pages.column_page(column, 0) or "")
                if column.items and column.blank_form is None:
                    bodies.append(pages.article(column, 0) or "")
        for html in bodies:
            for node in LexborHTMLParser(html).css("[href], [src]"):
                target = node.attributes.get("href") or node.attributes.get("src") or ""
                assert target.startswith(relative), target
            assert all(h.startswith("127.") for h in re.findall(r"//([^/\"'\s?<>]+)", html))
