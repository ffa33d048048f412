"""govsweep's extractor vs htmldate vs GNE on the labelled real pages of ../shared/realpages/.

Each page is read as a bare `govsweep extract` would (no --kind), and scored against truth.json:
list pages on kind, newest date, item count, needs_browser and blank; articles on their
publication date; home pages on the main-navigation names found. htmldate and GNE only give a
date, so they are scored on dates alone. Prints one row per page and the totals.

    .venv/bin/python bench/bench_realpages.py [--dir ../shared/realpages]

htmldate and GNE are optional (pip install -e '.[bench]'); missing ones are reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.model import PageFacts

AT = date(2026, 6, 30)  # after every labelled date; year inference needs a time point
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def default_dir() -> Path:
    """shared/realpages beside the repo clone (or beside a folder of worktrees holding it)."""
    repo = Path(__file__).resolve().parent.parent
    for folder in repo.parents:
        if (folder / "shared" / "realpages" / "truth.json").is_file():
            return folder / "shared" / "realpages"
    return repo.parent / "shared" / "realpages"


def read_page(root: Path, entry: dict) -> tuple[str, str]:
    """The page's text and the URL it is read under (its own, or the file's)."""
    path = root / entry["file"]
    text, _ = decode_html(path.read_bytes())
    return text, entry.get("url") or path.resolve().as_uri()


def govsweep_facts(html: str, url: str) -> PageFacts:
    return extract_page(html, url, AT)


def htmldate_date(html: str, newest: bool) -> str | None:
    from htmldate import find_date

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = find_date(
            html, original_date=not newest, outputformat="%Y-%m-%d", max_date=AT.isoformat()
        )
    return str(found) if found else None


def gne_date(html: str, newest: bool) -> str | None:
    from gne import GeneralNewsExtractor

    try:
        found = ISO.search(GeneralNewsExtractor().extract(html).get("publish_time") or "")
    except Exception:  # GNE raises on pages without a body it can read
        return None
    return f"{int(found[1]):04d}-{int(found[2]):02d}-{int(found[3]):02d}" if found else None


def available(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        print(f"{name} not installed: skipped (pip install -e '.[bench]')")
        return False
    return True


def list_checks(facts: PageFacts, truth: dict) -> dict[str, bool]:
    """The list labels govsweep meets: kind, newest date, item count, needs_browser, blank."""
    return {
        "kind": facts.kind == "list" or (truth["needs_browser"] and facts.needs_browser),
        "latest": facts.latest == truth["latest"],
        "items": len(facts.items) == truth["items"],
        "needs_browser": facts.needs_browser == truth["needs_browser"],
        "blank": facts.blank == truth["blank"],
    }


def nav_names(facts: PageFacts) -> list[str]:
    return [column.name for column in facts.columns if column.level == 1 and column.source == "nav"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="folder with truth.json")
    args = parser.parse_args()
    args.dir = args.dir or default_dir()
    truth_file = args.dir / "truth.json"
    if not truth_file.is_file():
        print(f"{truth_file}: not found (give --dir, the folder holding truth.json)")
        return 2
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    others: dict[str, Callable[[str, bool], str | None]] = {}
    if available("htmldate"):
        others["htmldate"] = htmldate_date
    if available("gne"):
        others["gne"] = gne_date

    met = total = 0
    date_right = {"govsweep": 0, **dict.fromkeys(others, 0)}
    dated_pages = 0
    elapsed = 0.0
    header = f"{'page':44} {'govsweep':34} " + " ".join(f"{name:10}" for name in others)
    print(header)
    for entry in truth["lists"]:
        html, url = read_page(args.dir, entry)
        started = time.perf_counter()
        facts = govsweep_facts(html, url)
        elapsed += time.perf_counter() - started
        checks = list_checks(facts, entry)
        met += sum(checks.values())
        total += len(checks)
        wrong = [name for name, ok in checks.items() if not ok]
        shown = f"{facts.kind} {facts.latest} n={len(facts.items)}" + (
            " browser" if facts.needs_browser else ""
        )
        dated_pages += 1  # a page without dates counts too: no date is the right answer there
        date_right["govsweep"] += facts.latest == entry["latest"]
        cells = []
        for name, read in others.items():
            found = read(html, True)
            date_right[name] += found == entry["latest"]
            cells.append(f"{found or '-':10}")
        mark = "ok" if not wrong else "WRONG " + ",".join(wrong)
        print(f"{entry['file'][:44]:44} {shown[:34]:34} " + " ".join(cells) + f"  {mark}")
        print(f"{'':44} truth: {entry['latest']} n={entry['items']}")
    for entry in truth["articles"]:
        html, url = read_page(args.dir, entry)
        started = time.perf_counter()
        facts = govsweep_facts(html, url)
        elapsed += time.perf_counter() - started
        ok_dates = {entry["published"], *entry.get("also_ok", [])}
        kind_ok, date_ok = facts.kind == "article", facts.published in ok_dates
        met += kind_ok + date_ok
        total += 2
        dated_pages += 1
        date_right["govsweep"] += date_ok
        cells = []
        for name, read in others.items():
            found = read(html, False)
            date_right[name] += found in ok_dates
            cells.append(f"{found or '-':10}")
        wrong = [name for name, ok in (("kind", kind_ok), ("published", date_ok)) if not ok]
        mark = "ok" if not wrong else "WRONG " + ",".join(wrong)
        shown = f"{facts.kind} {facts.published}"
        print(f"{entry['file'][:44]:44} {shown:34} " + " ".join(cells) + f"  {mark}")
        print(f"{'':44} truth: {entry['published']}")
    for entry in truth["homes"]:
        html, url = read_page(args.dir, entry)
        started = time.perf_counter()
        facts = govsweep_facts(html, url)
        elapsed += time.perf_counter() - started
        nav = nav_names(facts)
        # 首页 leads back to the home page itself, which is not a column.
        wanted = [name for name in entry["nav"] if name != "首页"]
        hits = sum(name in nav for name in wanted)
        extra = [name for name in nav if name not in wanted]
        met += hits + (not extra)
        total += len(wanted) + 1
        mark = "ok" if hits == len(wanted) and not extra else f"WRONG nav extra={extra}"
        print(f"{entry['file'][:44]:44} nav {hits}/{len(wanted)} found={len(nav):<15}  {mark}")
    pages = len(truth["lists"]) + len(truth["articles"]) + len(truth["homes"])
    print()
    print(f"govsweep labels met: {met}/{total}  ({1000 * elapsed / pages:.1f} ms/page)")
    print(
        f"newest/publication date right (none where none is shown) on {dated_pages} pages: "
        + ", ".join(f"{name} {right}/{dated_pages}" for name, right in date_right.items())
    )
    return 0 if met == total else 1


if __name__ == "__main__":
    sys.exit(main())
