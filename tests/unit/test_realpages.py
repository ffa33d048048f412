"""Every hand-checked label of the real government pages in shared/realpages/ is met by a bare
`extract` (no --kind): list kind, newest date, item count, needs_browser and blank; article dates;
the home page's main navigation. The pages sit beside the repo clone (shared/ next to it)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawler.encoding import decode_html
from crawler.extract import extract_page
from crawler.model import PageFacts

AT = dt.date(2026, 6, 30)  # after every labelled date


def _realpages() -> Path | None:
    repo = Path(__file__).resolve().parents[2]
    for folder in repo.parents:
        if (folder / "shared" / "realpages" / "truth.json").is_file():
            return folder / "shared" / "realpages"
    return None


ROOT = _realpages()
TRUTH = json.loads((ROOT / "truth.json").read_text(encoding="utf-8")) if ROOT else {}
pytestmark = pytest.mark.skipif(
    ROOT is None, reason="shared/realpages/truth.json not found beside the repo clone"
)


def _facts(entry: dict) -> PageFacts:
    assert ROOT is not None
    path = ROOT / entry["file"]
    text, _ = decode_html(path.read_bytes())
    return extract_page(text, entry.get("url") or path.resolve().as_uri(), AT)


@pytest.mark.parametrize("entry", TRUTH.get("lists", []), ids=lambda e: e["file"])
def test_list_labels(entry: dict) -> None:
    facts = _facts(entry)
    assert facts.needs_browser == entry["needs_browser"]
    assert facts.blank == entry["blank"]
    if not entry["needs_browser"]:
        assert facts.kind == "list"
    assert len(facts.items) == entry["items"]
    assert not any("\ufffd" in item.title for item in facts.items)  # decoded right, no mojibake
    assert facts.latest == entry["latest"]
    dates = [item.date for item in facts.items if item.date]
    assert (min(dates) if dates else None) == entry["earliest"]


@pytest.mark.parametrize("entry", TRUTH.get("articles", []), ids=lambda e: e["file"])
def test_article_dates(entry: dict) -> None:
    facts = _facts(entry)
    assert facts.kind == "article"
    assert facts.published in {entry["published"], *entry.get("also_ok", [])}


@pytest.mark.parametrize("entry", TRUTH.get("homes", []), ids=lambda e: e["file"])
def test_home_navigation(entry: dict) -> None:
    facts = _facts(entry)
    nav = [c.name for c in facts.columns if c.level == 1 and c.source == "nav"]
    # The label lists the nav as shown; 首页 leads back to the home page, which is not a column.
    assert nav == [name for name in entry["nav"] if name != "首页"]
