"""Newest-date accuracy and time per page: govsweep's extractor vs htmldate vs GNE, side by side.

Serves the simulated province on loopback, fetches every list column page once, and runs the three
extractors on the same HTML against the manifest's ground truth (the newest item date of the column).
Also prints how many columns the manifest says need a browser (the share the browser role renders).

    .venv/bin/python bench/bench_extract.py [--sites 60] [--seed 7]

htmldate and GNE are optional (pip install htmldate gne); missing ones are reported and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Callable
from datetime import date

import aiohttp

from crawler.encoding import decode_html
from crawler.extract import extract_page
from farm.province import generate_province
from farm.server import FarmServer

AT = date(2024, 3, 20)
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def govsweep_latest(html: str, url: str) -> str | None:
    return extract_page(html, url, AT, kind_hint="list").latest


def htmldate_latest(html: str, url: str) -> str | None:
    from htmldate import find_date

    # original_date=False: htmldate's "newest date on the page" mode, the fair one for a list.
    return find_date(html, original_date=False, outputformat="%Y-%m-%d", max_date=AT.isoformat())


def gne_latest(html: str, url: str) -> str | None:
    from gne import GeneralNewsExtractor

    found = ISO.search(GeneralNewsExtractor().extract(html).get("publish_time") or "")
    return f"{int(found[1]):04d}-{int(found[2]):02d}-{int(found[3]):02d}" if found else None


EXTRACTORS: dict[str, Callable[[str, str], str | None]] = {
    "govsweep": govsweep_latest,
    "htmldate": htmldate_latest,
    "gne": gne_latest,
}


async def fetch_pages(sites: int, seed: int) -> tuple[list[tuple[str, str, str]], int, int]:
    """(url, html, newest) for every dated static list column; plus browser / all column counts."""
    province = generate_province(sites, seed, AT)
    pages: list[tuple[str, str, str]] = []
    needs_browser = total = 0
    async with FarmServer(province), aiohttp.ClientSession() as session:
        for site in province.manifest()["sites"]:
            if site["hostile"] or site["availability"]["home"] != "up":
                continue
            for column in site["columns"]:
                total += 1
                needs_browser += column["needs_browser"]
                if column["needs_browser"] or not column["newest"] or not column["measured"]:
                    continue
                async with session.get(column["url"], timeout=aiohttp.ClientTimeout(10)) as resp:
                    body = await resp.read()
                    text, _ = decode_html(body, resp.headers.get("Content-Type"))
                pages.append((column["url"], text, column["newest"]))
    return pages, needs_browser, total


def run(name: str, extractor: Callable, pages: list[tuple[str, str, str]]) -> None:
    try:
        extractor(pages[0][1], pages[0][0])
    except ImportError:
        print(f"{name:<10} not installed (pip install {name}); skipped")
        return
    right = 0
    started = time.perf_counter()
    for url, html, newest in pages:
        try:
            right += extractor(html, url) == newest
        except Exception:  # an extractor that fails on a page gets it wrong, the run goes on
            pass
    ms = (time.perf_counter() - started) * 1000 / len(pages)
    print(
        f"{name:<10} newest date right: {right}/{len(pages)} = {right / len(pages):6.1%}   {ms:6.2f} ms/page"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pages, needs_browser, total = asyncio.run(fetch_pages(args.sites, args.seed))
    print(
        f"{len(pages)} static list pages from {args.sites} simulated sites (seed {args.seed}, T={AT})"
    )
    print(
        f"columns needing a browser: {needs_browser}/{total} = {needs_browser / max(total, 1):.1%}"
    )
    for name, extractor in EXTRACTORS.items():
        run(name, extractor, pages)


if __name__ == "__main__":
    main()
