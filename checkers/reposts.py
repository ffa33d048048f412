"""重要信息转载: find each item the province asked to repost among what a unit published, by title.

Titles of reposts drift from the original: a "转载：" or "【转】" prefix, a source suffix
("——来源：中国政府网"), brackets, punctuation and spaces changed, a word added. So a title matches when,
after normalising, one contains the other (and the shorter is long enough to mean something) or their
similarity (difflib ratio) reaches `threshold` and their numbers (years, batch numbers) agree. Outcome per (unit, item): 按时转载 (first match dated on
or before the deadline), 逾期转载 (after it), 未转载, or 未能检测 when the unit could not be read.
"""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher

import msgspec

from crawler.model import Published

ON_TIME = "按时转载"
LATE = "逾期转载"
MISSING = "未转载"
UNMEASURED = "未能检测"
THRESHOLD = 0.8
MIN_CONTAINED_CHARS = 8  # a contained title shorter than this is too generic to count

_PREFIX = re.compile(
    r"^(?:转载|转发|转|【转载】|【转发】|【转】|\[转\]|重磅|权威发布|速看)[:：\s]*"
)
_SOURCE = re.compile(r"[-—–_|｜]+\s*(?:来源|转自|中国政府网|新华社|人民日报).*$")
_NOISE = re.compile(r"[\s\"'“”‘’《》〈〉「」『』【】\[\]()（）,，.。:：;；!！?？、·…—\-_|｜]+")


class ImportantItem(msgspec.Struct, frozen=True):
    """One item of the province's repost list."""

    title: str
    source_url: str
    published: str  # YYYY-MM-DD
    deadline: str  # YYYY-MM-DD: reposted on or before this day is 按时


class RepostOutcome(msgspec.Struct, frozen=True):
    item: str  # the important item's title
    outcome: str  # ON_TIME, LATE, MISSING, UNMEASURED
    date: str | None = None  # the repost's date
    title: str = ""  # the repost's title as published
    url: str = ""
    score: float = 0.0


def normalise(title: str) -> str:
    title = _PREFIX.sub("", title.strip())
    title = _SOURCE.sub("", title)
    return _NOISE.sub("", title).lower()


def similarity(a: str, b: str) -> float:
    """1.0 when one normalised title contains the other (long enough), else the difflib ratio."""
    x, y = normalise(a), normalise(b)
    if not x or not y:
        return 0.0
    short, long_ = sorted((x, y), key=len)
    if len(short) >= MIN_CONTAINED_CHARS and short in long_:
        return 1.0
    if re.findall(r"\d+", x) != re.findall(r"\d+", y):
        return 0.0  # 2023 vs 2024, 第一批 vs 第二批 in digits: another document
    return SequenceMatcher(None, x, y).ratio()


def find_repost(
    item: ImportantItem, published: list[Published], threshold: float = THRESHOLD
) -> RepostOutcome:
    """The earliest dated match on or after the item's own date; undated matches count as late
    only when nothing dated matches (their timeliness cannot be shown)."""
    start = date.fromisoformat(item.published)
    matches = []
    for entry in published:
        score = similarity(item.title, entry.title)
        if score < threshold:
            continue
        if entry.date is not None and date.fromisoformat(entry.date) < start:
            continue  # dated before the original: a different, older text
        matches.append((entry.date or "9999-12-31", -score, entry))
    if not matches:
        return RepostOutcome(item.title, MISSING)
    day, negative, entry = min(matches, key=lambda m: (m[0], m[1]))
    on_time = entry.date is not None and entry.date <= item.deadline
    return RepostOutcome(
        item.title, ON_TIME if on_time else LATE, entry.date, entry.title, entry.url, -negative
    )


def check_unit(
    items: list[ImportantItem],
    published: list[Published] | None,
    reason: str = "",
    threshold: float = THRESHOLD,
    complete_from: str | None = None,
    unread: dict[str, str] | None = None,
) -> list[RepostOutcome]:
    """Every item's outcome for one unit; `published` None means the unit could not be read.

    `complete_from` is the day from which what was read is complete (a feed or list cut off after
    its first pages shows nothing older); None means complete. An item not found that was published
    before that day may sit in the part not read: 未能检测, never 未转载. `unread` names items a
    place that may hold them could not be read for (a failed site search), with why: not found
    elsewhere, they are 未能检测 too.
    """
    if published is None:
        return [RepostOutcome(i.title, UNMEASURED, title=reason) for i in items]
    outcomes = []
    for item in items:
        outcome = find_repost(item, published, threshold)
        if outcome.outcome == MISSING and complete_from and item.published < complete_from:
            why = f"只读取到{complete_from}以后的信息，未覆盖发布日期{item.published}"
            outcome = RepostOutcome(item.title, UNMEASURED, title=why)
        elif outcome.outcome == MISSING and unread and item.title in unread:
            outcome = RepostOutcome(item.title, UNMEASURED, title=unread[item.title])
        outcomes.append(outcome)
    return outcomes
