"""Rendered farm pages agree with the manifest, and never point at real outside hosts."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from farm.oracle import home_newest
from farm.province import Province, generate_province
from farm.render import (
    BAD_BYTES_MARK,
    SitePages,
    chinese_number,
    format_date,
    page_count,
)
from farm.spec import BROWSER_HOWS, FAMILIES, ColumnSpec, SiteSpec

AT = dt.date(2024, 3, 20)
ORIGIN = "http://127.42.0.9:8080"
_CN = {ch: i for i, ch in enumerate("〇一二三四五六七八九")}


def _cn_int(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20, 三十一 → 31; digit strings like 二〇二四 → 2024."""
    if "十" not in text:
        return int("".join(str(_CN[ch]) for ch in text))
    tens, _, ones = text.partition("十")
    return (_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0)


def parse_date(text: str, at: dt.date) -> dt.date | None:
    """Every date form the farm prints, read back independently of the farm's own formatter."""
    if m := re.search(r"(\d{4})-(\d{2})-(\d{2})", text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(
        r"([〇一二三四五六七八九]{4})年([一二三四五六七八九十]+)月([一二三四五六七八九十]+)日", text
    ):
        return dt.date(_cn_int(m[1]), _cn_int(m[2]), _cn_int(m[3]))
    if m := re.search(r"[\[(](\d{2})-(\d{2})[\])]", text):
        date = dt.date(at.year, int(m[1]), int(m[2]))
        return date if date <= at else date.replace(year=at.year - 1)
    return None


def list_entries(html: str, at: dt.date) -> list[tuple[str, dt.date | None]]:
    """(article href, date) of each article link on a page, in page order."""
    entries = []
    for link in LexborHTMLParser(html).css("a[href]"):
        href = link.attributes["href"] or ""
        if not re.search(r"(content_|/t)\d+\.html$|/t\d{8}_\d+\.html$", href):
            continue
        row = link.parent
        if row.tag == "td":
            row = row.parent
        entries.append((href, parse_date(row.text(), at)))
    return entries


@pytest.fixture(scope="module")
def province() -> Province:
    province = generate_province(200, 1, AT)
    province.assign_port(8080)
    return province


def _sample(province: Province) -> list[SiteSpec]:
    """A few sites of every family, charset, home-page shape, browser-only list and column fault."""
    picked: dict[tuple, SiteSpec] = {}
    for site in province:
        picked.setdefault((site.family, site.charset, site.nav_only, site.profile), site)
        for column in site.columns:
            if column.browser or column.fault:
                picked.setdefault((column.browser, column.fault), site)
        if site.links:
            picked.setdefault(("links", site.nav_only), site)
    return list(picked.values())


def shown_entries(pages: SitePages, column: ColumnSpec) -> list[tuple[str, dt.date | None]]:
    """The entries a reader of the column sees on its first page: a browser for script-built lists
    (inline JSON, the AJAX endpoint, the iframe's page), the static HTML otherwise."""
    if column.browser == "ajax":
        return [(e["url"], parse_date(e["date"], AT)) for e in pages.list_data(column, 1)["items"]]
    if column.browser == "inline_json":
        code = LexborHTMLParser(pages.column_page(column, 0)).css("div.list ~ script")[-1].text()
        data = json.loads(re.search(r"var listData = (.*);\n", code)[1])
        return [(e["url"], parse_date(e["date"], AT)) for e in data]
    if column.browser == "iframe":
        return list_entries(pages.frame_page(column), AT)
    return list_entries(pages.column_page(column, 0).replace(BAD_BYTES_MARK, ""), AT)


def test_chinese_numeral_dates_round_trip() -> None:
    for day in range(1, 32):
        assert _cn_int(chinese_number(day)) == day
    date = dt.date(2024, 3, 5)
    assert format_date("cnnum", date, dt.time(9)) == "二〇二四年三月五日"
    assert format_date("table", date, dt.time(9)) == "2024年3月5日"
    assert format_date("monthday", date, dt.time(9)) == "[03-05]"
    assert format_date("monthday", date, dt.time(9), paren=True) == "(03-05)"
    assert format_date("datetime", date, dt.time(9, 7, 3)) == "2024-03-05 09:07:03"


def test_column_pages_show_the_manifest_newest_date_blank_form_or_no_dates(province) -> None:
    sites = _sample(province)
    assert {s.family for s in sites} == set(FAMILIES)
    seen = set()
    for site in sites:
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        for column in site.columns:
            html = pages.column_page(column, 0)
            entries = shown_entries(pages, column)
            where = f"{site.site_id} {site.family} {column.key}"
            if column.browser:  # nothing to read without running the page
                seen.add(column.browser)
                shell = 'src="frame.html"' if column.browser == "iframe" else '<ul id="list"></ul>'
                assert list_entries(html, AT) == [] and shell in html, where
            if column.blank_form:
                assert entries == [], where
                if column.blank_form != "empty list":
                    assert column.blank_form in html, where
            elif column.undated:
                assert entries and all(date is None for _, date in entries), where
            else:
                dates = [date for _, date in entries]
                assert dates[0] == column.newest, where
                assert dates == sorted(dates, reverse=True), where
                assert len(entries) == min(column.items, site.page_size), where
    assert seen == set(BROWSER_HOWS)


def test_home_page_newest_block_date_matches_the_oracle(province) -> None:
    for site in _sample(province):
        html = SitePages(site, province.seed, province.at, ORIGIN).home()
        tree = LexborHTMLParser(html)
        assert tree.css_first("div.nav a[href='/'], body > table a[href='/']") is not None
        assert tree.css_first("meta[name=SiteIDCode]").attributes["content"] == site.site_id
        assert "今天是:2024年3月20日" in html  # the header's date widget
        dates = [
            date for block in tree.css("div.block") for _, date in list_entries(block.html, AT)
        ]
        if site.nav_only:
            assert dates == [] and tree.css("div.block") == []
            nav = {a.attributes["href"] for a in tree.css("div.portal a")}
            assert nav == {f"/{c.key}/" for c in site.columns if c.level == 1}
        else:
            assert max((d for d in dates if d), default=None) == home_newest(site)


def test_pagination_article_and_sitemap(province) -> None:
    site = next(s for s in province if s.family == "trs" and any(c.items > 40 for c in s.columns))
    column = next(c for c in site.columns if c.items > 40)
    pages = SitePages(site, province.seed, province.at, ORIGIN)
    total = page_count(site, column)
    first = pages.column_page(column, 0)
    assert f'createPageHTML({total}, 0, "index", "html")' in first
    second = list_entries(pages.column_page(column, 1), AT)
    assert second[0][1] <= list_entries(first, AT)[-1][1]
    assert pages.column_page(column, total) is None
    article = LexborHTMLParser(pages.article(column, 0))
    pub = article.css_first("meta[name=PubDate]").attributes["content"]
    assert pub.startswith(column.newest.isoformat())
    assert "发布时间:" + pub in article.text()
    sitemap = LexborHTMLParser(pages.sitemap())
    listed = {a.attributes["href"] for a in sitemap.css("div.sitemap a")}
    assert listed == {f"/{c.key}/" for c in site.columns}
    children = {a.attributes["href"] for a in sitemap.css("div.sitemap dd a")}
    assert children == {f"/{c.key}/" for c in site.columns if c.level == 2}


def test_footer_shows_identity_elements_and_planted_code_faults(province) -> None:
    kinds = set()
    for site in province:
        html = SitePages(site, province.seed, province.at, ORIGIN).home()
        footer = LexborHTMLParser(html).css_first("div.footer")
        text = footer.text()
        assert "主办单位" in text and site.icp in text and site.police in text
        assert footer.css_first("#_ideConac") is not None
        assert footer.css_first("a[href='/sitemap.html']") is not None
        if site.footer_code is None:
            kinds.add("missing")
            assert "网站标识码" not in text
        elif site.footer_code != site.site_id:
            kinds.add("wrong")
            assert f"网站标识码:{site.footer_code}" in text
        jiucuo = footer.css_first("a.jiucuo")
        assert (jiucuo is not None) == site.jiucuo
        if jiucuo:
            assert f"site_code={site.site_id}" in jiucuo.attributes["href"]
    assert kinds == {"missing", "wrong"}


def test_pages_never_link_outside_loopback(province) -> None:
    host = re.compile(r"(?:https?:)?//([^/\"'\s?<>]+)")
    relative = ("/", "./", "?", "index", "list_", "page_", "frame.html")
    for site in _sample(province):
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        bodies = [pages.home(), pages.sitemap()]
        for column in site.columns:
            bodies.append(pages.column_page(column, 0))
            if column.items:
                bodies.append(pages.article(column, 0))
            if column.browser == "iframe":
                bodies.append(pages.frame_page(column))
        for html in bodies:
            hosts = {m.group(1) for m in host.finditer(html)}
            assert all(h.startswith("127.") for h in hosts), hosts
            for node in LexborHTMLParser(html).css("[href], [src]"):
                target = node.attributes.get("href") or node.attributes.get("src") or ""
                assert target.startswith(relative) or target.startswith("http://127."), target


def test_block_lists_and_table_navigation_read_back_whole(province) -> None:
    # The real structures the farm reproduces: TRS lists in <div><ul> blocks of five and the
    # table-row navigation of older portals; govsweep's extractor must read them whole.
    from crawler.discover import discover_columns
    from crawler.extract import extract_page
    from farm.content import column_items
    from farm.render import BLOCK_SIZE

    block_sites = [s for s in province if s.family == "trs" and s.index % 2 == 1][:3]
    assert block_sites
    for site in block_sites:
        pages = SitePages(site, province.seed, province.at, ORIGIN)
        column = next(
            c
            for c in site.columns
            if c.browser is None
            and c.desk is None
            and c.blank_form is None
            and c.fault is None
            and len(column_items(site, c, province.seed, province.at)) > BLOCK_SIZE
        )
        html = pages.column_page(column, 0)
        assert html is not None and html.count('class="list_con"') > 1
        items = column_items(site, column, province.seed, province.at)[: site.page_size]
        facts = extract_page(html, f"{ORIGIN}/{column.key}/", AT, kind_hint="list")
        assert len(facts.items) == len(items)
        newest = max((it.date for it in items if it.date), default=None)
        assert facts.latest == (newest.isoformat() if newest else None)
    table_sites = [s for s in province if s.family == "table"][:3]
    assert table_sites
    for site in table_sites:
        html = SitePages(site, province.seed, province.at, ORIGIN).home()
        assert '<div class="nav">' not in html
        columns = discover_columns(LexborHTMLParser(html), ORIGIN + "/")
        nav = [c.name for c in columns if c.source == "nav" and c.level == 1]
        assert nav == [c.name for c in site.columns if c.level == 1]
