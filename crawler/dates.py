"""Every date form Chinese government pages use, read into `datetime.date`.

Month-day dates ("[03-05]", "3月5日") take the year of the monitoring time point T and roll back one
year when that would put them after T: inference never produces a date after T.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import NamedTuple

MIN_YEAR = 1990


class ParsedDate(NamedTuple):
    date: dt.date
    text: str  # the text the date was read from, as evidence
    year_inferred: bool = False


class DateSpan(NamedTuple):
    """A date found in a text, with where it sits (used to judge its context)."""

    parsed: ParsedDate
    start: int
    end: int


# Full-width digits and separators are mapped one character to one character, so match positions
# in the normalized text are positions in the original.
_NORMALIZE = str.maketrans(
    "０１２３４５６７８９－／．—–\u3000\xa0［］（）", "0123456789-/.--  []()"
)
# str.translate looks every character up in a dict (~0.2 µs each): skipped when nothing maps.
_TO_NORMALIZE = re.compile("[０-９－／．—–\u3000\xa0［］（）]")
# Every date form holds 年, 月, a 日期/时间 label or a - / . separator (once normalized: the
# characters normalized to one are looked for too). Most texts of a page (titles, numbers, blanks)
# hold none and are dismissed by one scan in C, before normalizing them.
_MAYBE_DATE = re.compile(r"[年月\-/.－／．—–]|日期|时间")

_TIME = r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?)?"
_YEAR = r"(?:19|20)\d{2}"
_HANZI_ZEROS = "〇零○ＯOo0"  # 二〇二四 is also written 二○二四, 二O二四
_HANZI_DIGITS = "一二三四五六七八九"
_HANZI_DIGIT = _HANZI_ZEROS + _HANZI_DIGITS
_HANZI_NUMBER = _HANZI_DIGITS + "十"
_LABEL = r"(?:发布|成文|发文|印发|更新|公开)?(?:时间|日期)"

_DATE_RE = re.compile(
    "|".join(
        (
            # 发布日期：20240305 — compact digits only count when labelled …
            rf"(?P<label>{_LABEL})\s*[:：]\s*(?P<ly>{_YEAR})(?P<lm>\d{{2}})(?P<ld>\d{{2}})(?!\d)",
            # … or in a TRS article URL: ./202403/t20240305_1234.html
            rf"(?:^|(?<=[/=]))t(?P<ty>{_YEAR})(?P<tm>\d{{2}})(?P<td>\d{{2}})_\d+\.s?html?",
            # 二〇二四年三月五日
            rf"(?P<hy>[{_HANZI_DIGIT}]{{4}})\s*年\s*(?P<hm>[{_HANZI_NUMBER}]{{1,2}})\s*月"
            rf"\s*(?P<hd>[{_HANZI_NUMBER}]{{1,3}})\s*[日号]",
            # 2024年3月5日 10:32
            rf"(?<!\d)(?P<cy>{_YEAR})\s*年\s*(?P<cm>\d{{1,2}})\s*月\s*(?P<cd>\d{{1,2}})\s*[日号]{_TIME}",
            # 2024-03-05, 2024/3/5, 2024.03.05 (one separator throughout), with an optional time
            rf"(?<!\d)(?P<fy>{_YEAR})(?P<sep>[-/.])(?P<fm>\d{{1,2}})(?P=sep)(?P<fd>\d{{1,2}})(?!\d){_TIME}",
            # 3月5日
            r"(?<![\d年])(?P<mm>\d{1,2})\s*月\s*(?P<md>\d{1,2})\s*[日号]",
            # [03-05], (3-5), (03.05)
            r"[\[(【〔](?P<bm>\d{1,2})[-/.](?P<bd>\d{1,2})[\])】〕]",
            # bare 03-05 / 03/05: two digits each, not part of a longer number, time or path
            r"(?<![\d\-/.:])(?P<xm>\d{2})[-/](?P<xd>\d{2})(?![\d\-/:])",
        )
    )
)

# Every character a match of _DATE_RE can begin with (a 时间/日期 label, the t of a TRS URL name, a
# hanzi or Arabic digit, a bracket). Trying the long alternation at every position of a text costs
# ~0.3 µs a character; a character class is scanned in C, so the alternation runs only here.
# A digit right after another begins no date (each alternative starting with a digit wants none
# before it), except a 0, which may begin a hanzi year (〇 is also typed 0): those are skipped.
_DATE_START = re.compile(rf"[\d{_HANZI_DIGIT}发成印更公时日t\[(【〔](?<!\d[^\D0])")
# Without 年 no hanzi-digit or year-month-day form is possible: no hanzi digit (nor O, o, 0 typed
# for 〇) begins a date, and a digit right after another never does.
_DATE_START_PLAIN = re.compile(r"[\d发成印更公时日t\[(【〔](?<!\d\d)")

# Article URLs of the common CMSs carry the publication date in their path.
_URL_DATE_RES = (
    re.compile(rf"/t(?P<y>{_YEAR})(?P<m>\d{{2}})(?P<d>\d{{2}})_\d+\.\w+"),  # TRS WCM
    re.compile(rf"/(?P<y>{_YEAR})-(?P<m>\d{{2}})/(?P<d>\d{{2}})/content_\d+"),  # gov.cn
    re.compile(rf"/art/(?P<y>{_YEAR})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/art_"),  # Hanweb
)


def find_date_spans(text: str, at: dt.date | None = None) -> list[DateSpan]:
    """All dates in `text`, in order, with their positions."""
    if not _MAYBE_DATE.search(text):
        return []
    at = at or dt.date.today()
    found = []
    normalized = text.translate(_NORMALIZE) if _TO_NORMALIZE.search(text) else text
    for match in _date_matches(normalized):
        parsed = _to_date(match, at)
        if parsed is not None:
            date, inferred = parsed
            evidence = text[match.start() : match.end()].strip()
            found.append(DateSpan(ParsedDate(date, evidence, inferred), match.start(), match.end()))
    return found


def _date_matches(text: str) -> Iterator[re.Match[str]]:
    """`_DATE_RE.finditer(text)`: leftmost matches, each search resuming where the last match ended
    (lookbehinds and ^ still see the whole text)."""
    # search() from where the last match ended: no match object for the starts inside a date.
    search = (_DATE_START if "年" in text else _DATE_START_PLAIN).search
    match_at = _DATE_RE.match
    start = search(text)
    while start is not None:
        match = match_at(text, start.start())
        if match:
            yield match
            start = search(text, match.end())
        else:
            start = search(text, start.start() + 1)


def find_dates(text: str, at: dt.date | None = None) -> list[ParsedDate]:
    """All dates in `text`, in order of appearance."""
    return [span.parsed for span in find_date_spans(text, at)]


def parse_date(text: str, at: dt.date | None = None) -> ParsedDate | None:
    """The first date in `text`, or None."""
    spans = find_date_spans(text, at)
    return spans[0].parsed if spans else None


def date_from_url(url: str, at: dt.date | None = None) -> ParsedDate | None:
    """The publication date encoded in an article URL path (TRS, gov.cn, Hanweb), or None."""
    at = at or dt.date.today()
    for pattern in _URL_DATE_RES:
        match = pattern.search(url)
        if match:
            date = _full_date(int(match["y"]), int(match["m"]), int(match["d"]), at)
            if date is not None:
                return ParsedDate(date, match.group(0), False)
    return None


# Which alternative of _DATE_RE matched, told by its last group (cheaper than groupdict()).
_FULL_GROUPS = {
    "ld": ("ly", "lm", "ld"),
    "td": ("ty", "tm", "td"),
    "cd": ("cy", "cm", "cd"),
    "fd": ("fy", "fm", "fd"),
}
_MONTH_DAY_GROUPS = {"md": ("mm", "md"), "bd": ("bm", "bd"), "xd": ("xm", "xd")}


def _to_date(match: re.Match[str], at: dt.date) -> tuple[dt.date, bool] | None:
    last = match.lastgroup or ""
    if last in _FULL_GROUPS:
        year, month, day = match.group(*_FULL_GROUPS[last])
        date = _full_date(int(year), int(month), int(day), at)
        return (date, False) if date else None
    if last == "hd":
        year_text, month_text, day_text = match.group("hy", "hm", "hd")
        year = int("".join(str(_HANZI_DIGITS.find(c) + 1) for c in year_text))
        date = _full_date(year, _hanzi_number(month_text), _hanzi_number(day_text), at)
        return (date, False) if date else None
    if last in _MONTH_DAY_GROUPS:
        month, day = match.group(*_MONTH_DAY_GROUPS[last])
        date = _month_day(int(month), int(day), at)
        return (date, True) if date else None
    return None


def _full_date(year: int, month: int, day: int, at: dt.date) -> dt.date | None:
    if not MIN_YEAR <= year <= at.year:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_day(month: int, day: int, at: dt.date) -> dt.date | None:
    """The latest valid date with this month and day that is not after `at` (within a year)."""
    for year in (at.year, at.year - 1):
        try:
            date = dt.date(year, month, day)
        except ValueError:
            continue
        if date <= at:
            return date
    return None


def _hanzi_number(text: str) -> int:
    """一 … 三十一 as an int (十 = 10, 十一 = 11, 二十 = 20, 二十一 = 21); 0 when malformed."""
    tens_text, ten, ones_text = text.partition("十")
    if not ten:
        tens_text, ones_text = "", tens_text
    if len(tens_text) > 1 or len(ones_text) > 1 or "十" in ones_text:
        return 0
    tens = _HANZI_DIGITS.find(tens_text) + 1 if tens_text else int(bool(ten))
    ones = _HANZI_DIGITS.find(ones_text) + 1 if ones_text else 0
    return tens * 10 + ones
