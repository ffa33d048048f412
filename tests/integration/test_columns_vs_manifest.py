"""Column discovery and newest dates against the simulated province's ground truth.

Every column of the manifest is found with its class and level; every column the manifest says is
readable gets exactly its newest date (static pages through aiohttp, script-built ones through
Chromium); no column is called blank that is not, and no column is called blank that needs a browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.politeness import Politeness
from crawler.render import BrowserPool, render_column
from crawler.site import read_column, read_home
from farm.province import generate_province
from farm.server import FarmServer
from services.config import LOOPBACK
from tests.conftest import AT

FARM = NetPolicy([LOOPBACK])  # the farm is on loopback, which the SSRF guard refuses by default

pytestmark = pytest.mark.integration

SITES = 80
SEED = 7
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make setup)")
async def test_every_column_found_and_dated_as_the_manifest_says() -> None:
    province = generate_province(SITES, SEED, AT)
    checked = rendered = 0
    async with FarmServer(province):
        manifest = province.manifest()
        async with (
            Fetcher(Politeness(4, 50), timeout_s=15, policy=FARM) as fetcher,
            BrowserPool(
                executable=str(CHROMIUM), contexts=2, page_timeout_s=20, policy=FARM
            ) as pool,
        ):
            for site in manifest["sites"]:
                if site["availability"]["home"] != "up" or site["hostile"]:
                    continue
                home = await read_home(fetcher, site["url"], AT)
                assert home.measured, site["name"]
                found = {c.url.rstrip("/"): c for c in home.columns}
                for want in site["columns"]:
                    column = found.get(want["url"].rstrip("/"))
                    assert column is not None, (site["name"], want["name"])
                    assert (column.category, column.level) == (want["category"], want["level"]), (
                        site["name"],
                        want["name"],
                    )
                    if want["fault"]:
                        continue  # WAF-walled or timed-out columns: counted in the e2e tests
                    facts = await read_column(fetcher, column, AT)
                    if facts.needs_browser:
                        assert want["needs_browser"], (site["name"], want["name"])
                        facts = await render_column(pool, column, AT)
                        rendered += 1
                    assert facts.measured == want["measured"], (site["name"], want["name"])
                    if not facts.measured:
                        continue
                    assert facts.blank == want["blank"], (site["name"], want["name"])
                    assert facts.latest == want["newest"], (site["name"], want["name"])
                    checked += 1
    assert checked > 500 and rendered >= 3
