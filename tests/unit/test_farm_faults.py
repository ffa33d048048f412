"""Parts B and C of the farm: browser-only lists, blocked and failing pages and sites, broken links,
hostile behaviour — where they are planted, how the pages show them, and the ground truth."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from farm import misbehave
from farm.oracle import expected
from farm.province import Province, generate_province
from farm.render import BAD_BYTES_MARK, DEEP_NESTING, ENDLESS_PAGES, SitePages
from farm.scripts import ENDLESS_LOOP
from farm.spec import (
    COLUMN_TIMEOUT_S,
    HOSTILE_KINDS,
    UNREADABLE_FAULTS,
    ColumnSpec,
    SiteSpec,
)

AT = dt.date(2024, 3, 20)
ORIGIN = "http://127.42.0.9:8080"
# Faults of which a site gets at most one (broken links may come on top)
ONE_PER_SITE = {
    "needs_browser",
    "waf_column",
    "column_timeout",
    "site_down",
    "waf_home",
    "flaky_home",
    "slow_site",
    *HOSTILE_KINDS,
}


def _manifest(sites: int, seed: int) -> dict:
    province = generate_province(sites, seed, AT)
    province.assign_port(8080)
    return province.manifest()


@pytest.fixture(scope="module")
def province() -> Province:
    province = generate_province(200, 1, AT)
    province.assign_port(8080)
    return province


def _with_fault(province: Province, fault: str) -> tuple[SiteSpec, ColumnSpec]:
    return next((s, c) for s in province for c in s.columns if c.fault == fault)


@pytest.mark.parametrize("sites", [20, 40, 59, 60, 200, 1000])
def test_faults_are_few_scale_with_the_province_and_one_per_site(sites: int) -> None:
    manifest = _manifest(sites, 7)
    per_site = [
        [d["kind"] for d in s["defects"] if d["kind"] in ONE_PER_SITE] for s in manifest["sites"]
    ]
    assert all(len(kinds) <= 1 for kinds in per_site)
    counts = Counter(kind for kinds in per_site for kind in kinds)
    for kind in HOSTILE_KINDS:  # none in small provinces, about one per 200 sites
        assert counts[kind] == (0 if sites < 60 else max(1, round(sites / 200))), kind
    if sites < 30:
        assert not counts and not any(s["links"] for s in manifest["sites"])
    else:
        assert counts["needs_browser"] >= 3 and counts["site_down"] >= 1
    portal = manifest["sites"][0]
    assert portal["name"] == "贵州省人民政府" and per_site[0] == [] and portal["links"] == []
    for site in manifest["sites"]:
        if site["hostile"]:
            assert site["profile"] == "clean"
            assert site["expected"]["verdict"] == "合格"  # only its unmeasured list tells
        if site["availability"]["slow_ms"]:
            assert site["availability"]["slow_ms"]["home"] < 15_000


def test_columns_carry_their_fault_and_whether_a_careful_crawler_reads_them(province) -> None:
    manifest = province.manifest()
    faults: Counter[str] = Counter()
    for site in manifest["sites"]:
        for column in site["columns"]:
            fault, how = column["fault"], column["how"]
            faults[fault] += 1
            unreadable = UNREADABLE_FAULTS.get(fault)
            assert column["needs_browser"] == (how is not None)
            assert column["measured"] == (unreadable is None)
            assert column["unmeasured_reason"] == unreadable
            assert column["measured_without_browser"] == (unreadable is None and how is None)
    assert faults["endless_script"] == 1 and faults["deep_html"] == 1
    hostile = [s for s in manifest["sites"] if s["hostile"]]
    assert sorted(h for s in hostile for h in s["hostile"]) == sorted(HOSTILE_KINDS)
    for site in hostile:  # the reason is in the ground truth when the column cannot be read
        reasons = {u["reason"] for u in site["expected"]["unmeasured"]}
        kind = site["hostile"][0]
        want = {"browser_timeout"} if kind == "endless_script" else {UNREADABLE_FAULTS.get(kind)}
        assert reasons == want - {None}, site["hostile"]


@pytest.mark.parametrize("seed", [1, 7])
def test_reading_script_built_lists_changes_some_verdicts(seed: int) -> None:
    sites = _manifest(200, seed)["sites"]
    flips = [
        s for s in sites if s["expected"]["verdict"] != s["expected_without_browser"]["verdict"]
    ]
    assert flips
    for site in flips:
        assert site["expected"]["verdict"] == "不合格"
        reasons = {u["reason"] for u in site["expected_without_browser"]["unmeasured"]}
        assert "needs_browser" in reasons


def _site(columns: list[ColumnSpec], **kw) -> SiteSpec:
    fields: dict[str, Any] = dict(
        index=0, site_id="5206240001", name="思南县人民政府", region_code="520624",
        region_name="思南县", registry_region="铜仁市", kind="门户", tier="county",
        unit="思南县人民政府办公室", family="trs", charset="utf-8", header_charset=True,
        page_size=15, nav_only=False, left_nav=False, footer_code="5206240001", jiucuo=True,
        icp="黔ICP备12345678号", police="贵公网安备 52062400000001号", profile="test",
        columns=tuple(columns),
    )  # fmt: skip
    return SiteSpec(**(fields | kw))


def _col(key: str, newest: dt.date | None, level: int = 1, **kw) -> ColumnSpec:
    return ColumnSpec(key, key, "动态要闻", level, newest=newest, items=10, **kw)


STALE = AT - dt.timedelta(days=15)


def test_unreadable_columns_count_towards_nothing() -> None:
    home = _col("home", AT, on_home=True)
    stale = [_col(f"n{i}", STALE, 2) for i in range(5)]
    assert expected(_site([home, *stale]), AT)["findings"] == ["W-V4-1"]
    walled = [*stale[:4], _col("n4", STALE, 2, fault="waf_412")]
    result = expected(_site([home, *walled]), AT)
    assert (result["verdict"], result["findings"]) == ("合格", [])
    assert result["unmeasured"] == [{"column": "n4", "reason": "waf_challenge"}]
    scripted = [*stale[:4], _col("n4", STALE, 2, browser="ajax")]
    assert expected(_site([home, *scripted]), AT)["findings"] == ["W-V4-1"]
    without = expected(_site([home, *scripted]), AT, browser=False)
    assert (without["verdict"], without["findings"]) == ("合格", [])
    assert without["unmeasured"] == [{"column": "n4", "reason": "needs_browser"}]


def test_unjudgeable_sites_are_unmeasured_and_never_fail() -> None:
    stale_home = _col("home", STALE, on_home=True)
    stale = [_col(f"n{i}", STALE, 2) for i in range(5)]
    for fault in ("refused", "http_500", "waf_412", "waf_521"):
        result = expected(_site([stale_home, *stale], home_fault=fault), AT)
        assert (result["verdict"], result["findings"]) == ("未能检测", []), fault
    # navigation-only home: W-V3 rests on level-1 columns, here none readable
    nav_site = _site([_col("a", STALE, fault="column_timeout"), *stale], nav_only=True)
    assert expected(nav_site, AT)["verdict"] == "不合格"  # W-V4-1 still holds
    nav_site = _site([_col("a", STALE, fault="column_timeout"), _col("b", AT, 2)], nav_only=True)
    assert (expected(nav_site, AT)["verdict"], expected(nav_site, AT)["findings"]) == (
        "未能检测",
        [],
    )
    # a level-1 column unread, the measured one stale: it might hold the update, so no veto ...
    nav_site = _site([_col("a", STALE, fault="slow_drip"), _col("b", STALE)], nav_only=True)
    assert (expected(nav_site, AT)["verdict"], expected(nav_site, AT)["findings"]) == (
        "未能检测",
        [],
    )
    # ... a fresh measured level-1 column clears it, every level-1 column read and stale fails it
    nav_site = _site([_col("a", STALE, fault="slow_drip"), _col("b", AT)], nav_only=True)
    assert expected(nav_site, AT)["verdict"] == "合格"
    nav_site = _site([_col("a", STALE), _col("b", STALE), _col("c", AT, 2)], nav_only=True)
    assert expected(nav_site, AT)["findings"] == ["W-V3"]
    # no readable column: a stale home page still fails, a fresh one cannot pass
    unread = [_col("x", AT, 2, fault="huge_page")]
    assert expected(_site([stale_home, *unread]), AT)["findings"] == ["W-V3"]
    fresh_home = _col("home", AT, on_home=True, fault="redirect_loop")
    assert expected(_site([fresh_home]), AT)["verdict"] == "未能检测"
    # readable hostile columns are read like any other
    assert (
        expected(_site([fresh_home, _col("d", STALE, fault="deep_html")]), AT)["verdict"] == "合格"
    )


def test_script_built_lists_hold_the_entries_only_a_browser_sees(province) -> None:
    for site in province:
        for column in site.columns:
            if column.browser is None:
                continue
            pages = SitePages(site, province.seed, province.at, ORIGIN)
            shell = pages.column_page(column, 0)
            assert pages.column_page(column, 1) is None  # one script-built page
            if column.browser == "ajax":
                data = pages.list_data(column, 1)
                assert data["items"][0]["date"] == column.newest.isoformat()
                assert 'xhr.open("GET", "data.json?page=1")' in shell
            elif column.browser == "iframe":  # dates in the frame: test_farm_pages reads them
                frame = LexborHTMLParser(pages.frame_page(column))
                assert len(frame.css("a[title]")) == min(column.items, site.page_size)
                assert '<iframe id="listFrame" src="frame.html"' in shell
            else:
                assert f'"date": "{column.newest.isoformat()}"' in shell
            looping = ENDLESS_LOOP in shell
            assert looping == (column.fault == "endless_script")
            if looping:  # the loop runs before the script that would draw the list
                assert shell.index(ENDLESS_LOOP) < shell.index("var listData")


def test_deep_broken_html_still_holds_the_list(province) -> None:
    site, column = _with_fault(province, "deep_html")
    html = SitePages(site, province.seed, province.at, ORIGIN).column_page(column, 0)
    assert html.count('<div class="wrap"><font>') == DEEP_NESTING
    tree = LexborHTMLParser(html)
    links = [
        a
        for a in tree.css("a[href]")
        if re.search(r"(content_\d+|/t\d{8}_\d+)\.html$", a.attributes["href"])
    ]
    assert len(links) == min(column.items, site.page_size)
    depth, node = 0, links[0]
    while node is not None:
        node, depth = node.parent, depth + 1
    assert depth > DEEP_NESTING
    listing = html.split('<div class="wrap"><font>')[-1].split('<div class="footer">')[0]
    assert "<li>" in listing and "</li>" not in listing  # entries left unclosed
    assert listing.endswith("</td></b></font></span></div></div>")  # stray end tags


def test_endless_pagination_never_ends_until_its_bound(province) -> None:
    site, column = _with_fault(province, "endless_pages")
    pages = SitePages(site, province.seed, province.at, ORIGIN)
    far = pages.column_page(column, 5000)
    assert '<a href="?pageIndex=5002">下一页</a>' in far
    assert '<a href="?pageIndex=2">下一页</a>' in pages.column_page(column, 0)
    assert pages.column_page(column, ENDLESS_PAGES - 1) is not None
    assert pages.column_page(column, ENDLESS_PAGES) is None


def test_bad_bytes_mark_only_the_titles_of_their_column(province) -> None:
    site, column = _with_fault(province, "bad_charset_bytes")
    assert site.charset != "utf-8"  # GBK sites first, where decoders trip most
    pages = SitePages(site, province.seed, province.at, ORIGIN)
    html = pages.column_page(column, 0)
    assert html.count(BAD_BYTES_MARK) == 2 * min(column.items, site.page_size)  # text and title
    others = [c for c in site.columns if c is not column]
    assert all(BAD_BYTES_MARK not in pages.column_page(c, 0) for c in others)


def test_xxgk_platform_pages_show_the_column_tree_and_a_metadata_table(province) -> None:
    site = next(s for s in province if s.family == "xxgk" and not s.nav_only)
    pages = SitePages(site, province.seed, province.at, ORIGIN)
    column = next(c for c in site.columns if c.items and c.newest)
    tree = LexborHTMLParser(pages.column_page(column, 0))
    menu = tree.css_first("div.gkml-tree")
    assert {a.attributes["href"] for a in menu.css("a")} == {f"/{c.key}/" for c in site.columns}
    nested = {a.attributes["href"] for a in menu.css("li li a")}
    assert nested == {f"/{c.key}/" for c in site.columns if c.level == 2}
    assert [th.text() for th in tree.css("table.xxgk-list th")] == ["索引号", "名称", "发布日期"]
    cells = tree.css("table.xxgk-list tr")[1].css("td")
    assert cells[0].text().startswith("11" + site.site_id[:6])
    assert cells[2].text() == column.newest.isoformat()
    article = LexborHTMLParser(pages.article(column, 0))
    meta = {
        r.css_first("th").text(): r.css_first("td").text()
        for r in article.css("table.xxgk-meta tr")
    }
    assert meta["发布日期"] == column.newest.isoformat() >= meta["成文日期"]


def test_home_pages_show_the_planted_broken_links(province) -> None:
    manifest = {s["site_id"]: s for s in province.manifest()["sites"]}
    sites = [s for s in province if s.links]
    assert sites
    for site in sites:
        origin = province.origin(site)
        tree = LexborHTMLParser(SitePages(site, province.seed, province.at, origin).home())
        inside = {a.attributes["href"] for a in tree.css("div.zt a")}
        outside = {a.attributes["href"] for a in tree.css("div.footer div.yqlj a")}
        assert len(inside) + len(outside) == len(site.links)
        for link in manifest[site.site_id]["links"]:
            if link["url"].startswith(origin):
                assert link["url"].removeprefix(origin) in inside
            else:
                assert link["url"] in outside and link["url"].startswith("http://127.42.250.")
        assert not tree.css("div.zt div.more, div.zt a.more")  # not a column block


def test_slow_and_dripping_pages_stay_within_a_sweeps_patience() -> None:
    # past the crawler's 15 s (so the ground truth is "timeout"), short of the 20 s per page
    assert 15 < COLUMN_TIMEOUT_S < 20
    assert 15 < misbehave.DRIP_SECONDS < 20
    assert misbehave.HUGE_BYTES == misbehave.BOMB_BYTES == 200 * 1024 * 1024
