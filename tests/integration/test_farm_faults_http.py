"""The farm's planted faults over real HTTP on loopback: down and walled sites, flaky and slow home
pages, broken links, hostile lists, and script-built lists rendered by Chromium."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from selectolax.lexbor import LexborHTMLParser

from farm import FarmServer, generate_province
from farm.misbehave import BOMB_BYTES, HUGE_BYTES
from farm.province import Province
from farm.render import format_date
from farm.spec import FAMILIES

pytestmark = pytest.mark.integration
AT = dt.date(2024, 3, 20)
CAP = 5_000_000  # the careful crawler's page cap
QUICK = aiohttp.ClientTimeout(total=10)


@pytest.fixture
async def farm() -> AsyncIterator[tuple[Province, dict]]:
    province = generate_province(200, 1, AT)
    async with FarmServer(province):
        yield province, province.manifest()


def _sites(manifest: dict, key: str, value: str) -> list[dict]:
    return [s for s in manifest["sites"] if s["availability"][key] == value]


def _column(manifest: dict, fault: str) -> dict:
    return next(c for s in manifest["sites"] for c in s["columns"] if c["fault"] == fault)


def _date_forms(iso: str) -> set[str]:
    """The ways a list may print a date (one per template family)."""
    date = dt.date.fromisoformat(iso)
    return {format_date(family, date, dt.time(0)) for family in FAMILIES} | {
        format_date("monthday", date, dt.time(0), paren=True)
    }


def _codec(manifest: dict, url: str) -> str:
    site = next(s for s in manifest["sites"] if url.startswith(s["url"]))
    return "utf-8" if site["charset"] == "utf-8" else "gb18030"


async def _read_capped(response: aiohttp.ClientResponse) -> tuple[bytes, bool]:
    """At most CAP bytes of the body, and whether there was more."""
    data = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        data += chunk
        if len(data) > CAP:
            return bytes(data), True
    return bytes(data), False


async def test_down_and_walled_sites_cannot_be_read(farm) -> None:
    province, manifest = farm
    async with aiohttp.ClientSession(timeout=QUICK) as session:
        (refused,) = _sites(manifest, "home", "refused")
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(refused["url"])
        (broken,) = _sites(manifest, "home", "http_500")
        for path in ("", "sitemap.html", broken["columns"][0]["url"].removeprefix(broken["url"])):
            async with session.get(broken["url"] + path) as response:
                assert response.status == 500
        for status in (412, 521):
            (walled,) = _sites(manifest, "home", f"waf_{status}")
            async with session.get(walled["url"]) as response:
                body = await response.text()
                marker = "$_ts=window" if status == 412 else "__jsl_clearance"  # 瑞数, 加速乐
                assert response.status == status and marker in body
                cookie = response.cookies.get("__jsluid_h")
                assert (cookie is not None) == (status == 521)
            # the challenge's cookie (sent back now) never lets anyone through
            async with session.get(walled["url"]) as response:
                assert response.status == status
        healthy = next(s for s in manifest["sites"] if s["availability"]["home"] == "up")
        async with session.get(healthy["url"]) as response:
            assert response.status == 200


async def test_flaky_home_fails_on_every_nth_request_only(farm) -> None:
    province, manifest = farm
    site = next(s for s in manifest["sites"] if s["availability"]["flaky"])
    every = site["availability"]["flaky"]["fails_every"]
    async with aiohttp.ClientSession(timeout=QUICK) as session:
        statuses = []
        for _ in range(2 * every):
            async with session.get(site["url"]) as response:
                statuses.append(response.status)
        async with session.get(site["url"] + "sitemap.html") as response:
            assert response.status == 200  # only the home page is flaky
    assert statuses == ([200] * (every - 1) + [502]) * 2
    assert statuses.count(502) / len(statuses) == site["availability"]["flaky"]["failure_ratio"]


async def test_slow_site_answers_late_but_within_the_timeout(farm) -> None:
    province, manifest = farm
    site = next(s for s in manifest["sites"] if s["availability"]["slow_ms"])
    delays = site["availability"]["slow_ms"]
    async with aiohttp.ClientSession(timeout=QUICK) as session:
        for url, delay in (
            (site["url"], delays["home"]),
            (site["url"] + "sitemap.html", delays["other"]),
        ):
            started = time.monotonic()
            async with session.get(url) as response:
                assert response.status == 200
            assert delay / 1000 <= time.monotonic() - started < 15


async def test_broken_links_fail_as_the_manifest_says(farm) -> None:
    province, manifest = farm
    links = {link["kind"]: link for s in manifest["sites"] for link in s["links"]}
    outcomes = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as session:
        for kind, link in links.items():
            try:
                async with session.get(link["url"]) as response:
                    body = await response.text()
                    waf = response.status in (412, 521) or "WAF" in body
                    outcomes[kind] = "waf_challenge" if waf else f"http_{response.status}"
            except aiohttp.ClientConnectorError:
                outcomes[kind] = "refused"
            except TimeoutError:
                outcomes[kind] = "timeout"
    assert outcomes == {kind: link["expect"] for kind, link in links.items()}
    assert len(outcomes) == 8


async def test_unreadable_lists_fail_fast_for_a_careful_client(farm) -> None:
    province, manifest = farm
    async with aiohttp.ClientSession(timeout=QUICK) as session:
        for status in (403, 412, 521):
            async with session.get(_column(manifest, f"waf_{status}")["url"]) as response:
                assert response.status == status
        with pytest.raises(aiohttp.TooManyRedirects):
            await session.get(_column(manifest, "redirect_loop")["url"], max_redirects=5)
        async with session.get(_column(manifest, "huge_page")["url"]) as response:
            assert response.content_length == HUGE_BYTES
            body, more = await _read_capped(response)
            assert more and body.startswith(b"<!DOCTYPE html>")
        async with session.get(_column(manifest, "gzip_bomb")["url"]) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body, more = await _read_capped(response)  # inflated as it arrives
            assert more and body.startswith(b"<!DOCTYPE html>")
        async with (
            aiohttp.ClientSession(timeout=QUICK, auto_decompress=False) as raw,
            raw.get(_column(manifest, "gzip_bomb")["url"]) as response,
        ):
            packed = await response.read()
            assert len(packed) < 300_000 < CAP < BOMB_BYTES
        # slow answers: a short client timeout stands in for the crawler's 15 s
        received = bytearray()
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                async with session.get(_column(manifest, "slow_drip")["url"]) as response:
                    async for chunk in response.content.iter_any():
                        received += chunk
        assert 0 < len(received) < 1024 and time.monotonic() - started < 3
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):
                await session.get(_column(manifest, "column_timeout")["url"])
        # none of it stalls the farm for others
        started = time.monotonic()
        async with session.get(manifest["sites"][0]["url"]) as response:
            assert response.status == 200
        assert time.monotonic() - started < 2


async def test_hostile_lists_a_careful_crawler_still_reads(farm) -> None:
    province, manifest = farm
    async with aiohttp.ClientSession(timeout=QUICK) as session:
        for fault in ("deep_html", "wrong_content_type", "bad_charset_bytes", "endless_pages"):
            column = _column(manifest, fault)
            async with session.get(column["url"]) as response:
                assert response.status == 200, fault
                body = await response.read()
                content_type = response.headers["Content-Type"]
            codec = _codec(manifest, column["url"])
            if fault == "wrong_content_type":
                assert content_type == "text/plain" and body.startswith(b"<!DOCTYPE html>")
            if fault == "bad_charset_bytes":
                with pytest.raises(UnicodeDecodeError):
                    body.decode(codec)
            text = body.decode(codec, errors="replace")
            if fault == "bad_charset_bytes":
                assert "\ufffd" in text
            first = LexborHTMLParser(text).css_first("a[target=_blank]").parent
            if first.tag == "td":
                first = first.parent
            assert any(form in first.text() for form in _date_forms(column["newest"])), fault
        async with session.get(
            _column(manifest, "endless_pages")["url"] + "?pageIndex=5000"
        ) as response:
            assert response.status == 200
            assert '<a href="?pageIndex=5001">' in await response.text(errors="replace")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
async def test_script_built_lists_render_in_chromium(farm) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    province, manifest = farm
    columns: dict = {}
    for site in manifest["sites"]:
        for column in site["columns"]:
            if column["how"]:
                columns.setdefault((column["how"], column["fault"]), column)
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=shutil.which("chromium"))
        try:
            for (how, fault), column in sorted(columns.items(), key=str):
                page = await browser.new_page()
                if fault == "endless_script":
                    with pytest.raises(playwright_api.TimeoutError):
                        await page.goto(column["url"], timeout=1500)
                    continue  # the page stays busy; the browser is closed below
                await page.goto(column["url"], timeout=5000)  # frames load before `load`
                frame = page.frames[-1] if how == "iframe" else page.main_frame
                if how == "ajax":
                    await page.wait_for_selector("#list li", timeout=5000)
                text = await frame.inner_text("body")
                assert any(form in text for form in _date_forms(column["newest"])), column["url"]
                await page.close()
        finally:
            await browser.close()
    assert {how for how, _ in columns} == {"inline_json", "ajax", "iframe"}
