"""Part D of the farm over real HTTP: the 留言 lists, letters and 办事指南 a crawler fetches carry the
dates and element types the manifest says, and the sites planted without a channel or a service
entry show none."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest
from selectolax.lexbor import LexborHTMLParser

from farm import FarmServer, generate_province
from farm.province import Province
from farm.spec import DESK_LAYOUTS, GUIDE_ELEMENTS

pytestmark = pytest.mark.integration
AT = dt.date(2024, 3, 20)
TIMEOUT = aiohttp.ClientTimeout(total=10)
PART_D = {
    "no_channel",
    "reply_late",
    "reply_boundary",
    "messages_undated",
    "excluded_desk",
    "no_service",
    "guides_incomplete",
}
_DATE = r"(\d{4})(?:-|年)(\d{1,2})(?:-|月)(\d{1,2})日?"
_ANY_DATE = r"\d{4}(?:-|年)\d{1,2}(?:-|月)\d{1,2}日?"
_SYNONYMS = {"法定依据": "设定依据", "受理条件": "申请条件", "申报材料": "办理材料",
             "受理地点": "办理地点", "实施主体": "办理机构", "受理时间": "办理时间",
             "咨询电话": "联系电话", "办理程序": "办理流程"}  # fmt: skip
_LABEL = re.compile(r"^(?:[一二三四五六七八九十]+、)?(\w{4})[:：]?$")


@pytest.fixture
async def farm() -> AsyncIterator[tuple[Province, dict, aiohttp.ClientSession]]:
    province = generate_province(200, 1, AT)
    async with FarmServer(province), aiohttp.ClientSession(timeout=TIMEOUT) as session:
        yield province, province.manifest(), session


def _dates(text: str) -> list[str]:
    return [dt.date(int(y), int(m), int(d)).isoformat() for y, m, d in re.findall(_DATE, text)]


def _after(label: str, text: str) -> list[str]:
    """The dates printed right after a label (留言时间：2024-03-05, <th>答复时间</th><td>…)."""
    return _dates(" ".join(re.findall(label + r"\s*[:：]?\s*" + _ANY_DATE, text)))


async def _get(session: aiohttp.ClientSession, site: dict, url: str) -> LexborHTMLParser:
    async with session.get(url) as response:
        assert response.status == 200, url
        body = await response.read()
    tree = LexborHTMLParser(body.decode("utf-8" if site["charset"] == "utf-8" else "gb18030"))
    for node in tree.css("[href], [src]"):  # never a real outside host
        target = node.attributes.get("href") or node.attributes.get("src") or ""
        assert not re.match(r"(?:https?:)?//", target) or target.startswith("http://127."), target
    return tree


def _picked(manifest: dict) -> list[dict]:
    """Every site with a part-D case, and one site per look of its 留言 lists."""
    picked: dict[object, dict] = {}
    for site in manifest["sites"]:
        if site["availability"]["home"] != "up" or site["hostile"]:
            continue
        if any(d["kind"] in PART_D for d in site["defects"]):
            picked[site["site_id"]] = site
        for entry in site["interaction"]["lists"]:
            picked.setdefault((entry["layout"], site["template"]), site)
    return list(picked.values())


async def test_lists_and_letters_over_http_carry_the_manifest_dates(farm) -> None:
    province, manifest, session = farm
    checked: Counter[str] = Counter()
    for site in _picked(manifest):
        columns = {c["name"]: c for c in site["columns"]}
        interaction = site["interaction"]
        layouts = {
            e["column"]: e["layout"] for e in interaction["lists"] + interaction["excluded_lists"]
        }
        by_column: dict[str, list[dict]] = {}
        for letter in interaction["messages"] + interaction["excluded_messages"]:
            by_column.setdefault(letter["column"], []).append(letter)
        for name, letters in by_column.items():
            column = columns[name]
            if not column["measured_without_browser"] or column["blank"]:
                continue
            spec = province.by_id[site["site_id"]]
            pages = -(-len(letters) // spec.page_size)
            rows = []
            for page in range(1, pages + 1):
                tree = await _get(session, site, f"{column['url']}?page={page}")
                rows += [
                    a.parent.parent if a.parent.tag == "td" else a.parent
                    for a in tree.css(".xj-list a[target=_blank]")
                ]
            assert len(rows) == len(letters), (site["site_id"], name)
            for row, letter in zip(rows, letters, strict=True):
                href = row.css_first("a").attributes["href"]
                assert letter["url"].endswith(href.lstrip(".")), (letter["url"], href)
                shown = _dates(row.text(separator=" "))
                if letter["dates_on"] != "list":
                    assert shown == [], (site["site_id"], name, row.text())
                    continue
                assert shown[0] == letter["asked"]
                if layouts[name] == "table":  # the 答复时间 column, empty while unanswered
                    assert shown[1:] == ([letter["replied"]] if letter["replied"] else [])
                else:
                    assert len(shown) == 1
                checked[f"list:{layouts[name]}"] += 1
            wanted = [m for m in letters if m["planted"]] + letters[:3]
            for letter in wanted:
                text = (await _get(session, site, letter["url"])).body.text(separator=" ")
                assert _after("留言时间", text) == ([letter["asked"]] if letter["dated"] else [])
                assert _after("答复时间", text) == (
                    [letter["replied"]] if letter["replied"] else []
                )
                checked["planted letter" if letter["planted"] else "letter"] += 1
    assert {f"list:{layout}" for layout in DESK_LAYOUTS} - {"list:detail"} <= set(checked)
    assert checked["planted letter"] >= 10


async def test_table_lists_show_both_dates_and_detail_lists_none(farm) -> None:
    province, manifest, session = farm
    seen = set()
    for site in _picked(manifest):
        for entry in site["interaction"]["lists"]:
            column = next(c for c in site["columns"] if c["name"] == entry["column"])
            if column["blank"] or not column["measured_without_browser"] or entry["layout"] in seen:
                continue
            letters = [m for m in site["interaction"]["messages"] if m["column"] == column["name"]]
            if not letters or not letters[0]["dated"]:
                continue
            tree = await _get(session, site, column["url"])
            listing = tree.css_first(".xj-list")
            text = listing.text(separator=" ")
            heads = [th.text() for th in listing.css("th")]
            if entry["layout"] == "table":
                asked_head = next(h for h in heads if "留言" in h or "来信" in h)
                assert any("答复" in h or "回复" in h for h in heads) and asked_head
                answered = [m for m in letters[: len(listing.css("tr")) - 1] if m["replied"]]
                assert all(m["replied"] in _dates(text) for m in answered)
            elif entry["layout"] == "status":
                assert (
                    site_words(province, site)[0] in text or site_words(province, site)[1] in text
                )
            else:
                assert _dates(text) == [] and heads == []
            seen.add(entry["layout"])
    assert seen == set(DESK_LAYOUTS)


def site_words(province: Province, site: dict) -> tuple[str, str]:
    functions = province.by_id[site["site_id"]].functions
    assert functions is not None
    return functions.words


async def test_guides_over_http_show_the_elements_not_missing(farm) -> None:
    province, manifest, session = farm
    seen: Counter[str] = Counter()
    for site in _picked(manifest):
        service = site["service"]
        planted = any(d["kind"] == "guides_incomplete" for d in site["defects"])
        guides = service["guides"] if planted else service["guides"][:2]
        for guide in guides:
            tree = await _get(session, site, guide["url"])
            shown = set()
            for node in tree.css("th, h4, dt"):
                if match := _LABEL.match(node.text().strip()):
                    shown.add(_SYNONYMS.get(match[1], match[1]))
            assert shown == set(GUIDE_ELEMENTS) - set(guide["missing"]), guide["url"]
            seen["missing 5+" if len(guide["missing"]) >= 5 else "guide"] += 1
        if planted:
            failing = sum(len(g["missing"]) >= 5 for g in service["guides"])
            assert failing == service["missing_5_or_more"]
    assert seen["missing 5+"] >= 1 and seen["guide"] >= 20


async def test_sites_without_a_channel_or_a_service_entry_show_none(farm) -> None:
    province, manifest, session = farm
    found = set()
    for site in manifest["sites"]:
        kinds = {d["kind"] for d in site["defects"]}
        if not kinds & {"no_channel", "no_service"}:
            continue
        names = []
        for path in ("", "sitemap.html"):
            tree = await _get(session, site, site["url"] + path)
            names += [
                a.text().strip() for a in tree.css("div.nav a, body > table a, div.sitemap a")
            ]
        if "no_channel" in kinds:
            assert not any(re.search("互动|留言|信箱|咨询|访谈|征集", n) for n in names), names
            assert "网上信访" in names and "纪检举报" in names
            found.add("no_channel")
        if "no_service" in kinds:
            assert not any(re.search("办事|政务服务|服务", n) for n in names), names
            found.add("no_service")
    assert found == {"no_channel", "no_service"}
