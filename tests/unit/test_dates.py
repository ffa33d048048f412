"""Every date form Chinese government pages use, the year-inference boundary and rejections."""

from __future__ import annotations

import datetime as dt

import pytest

from crawler import dates
from crawler.dates import date_from_url, find_dates, parse_date

T = dt.date(2024, 3, 10)
D = dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/03/05",
        "2024.03.05",
        "2024-3-5",
        "2024/3/5",
        "2024年3月5日",
        "2024年03月05日",
        "2024 年 3 月 5 日",
        "二〇二四年三月五日",
        "二○二四年三月五日",  # ○ (U+25CB) stands in for 〇 in many documents
        "2024-03-05 10:32:11",
        "2024-03-05 10:32",
        "2024年3月5日 10:32",
        "２０２４－０３－０５",  # full-width digits
        "发布时间：2024-03-05",
        "发布日期:2024-03-05",
        "成文日期：2024年3月5日",
        "日期：2024.03.05",
        "发布日期：20240305",
        "发布时间:20240305",
        "./202403/t20240305_1234.html",
        "http://www.example.gov.cn/zwgk/tzgg/202403/t20240305_1234.shtml",
    ],
)
def test_full_date_forms(text: str) -> None:
    parsed = parse_date(text, T)
    assert parsed is not None, text
    assert parsed.date == D
    assert parsed.year_inferred is False
    assert parsed.text in text


@pytest.mark.parametrize("text", ["[03-05]", "(03-05)", "（03-05）", "【03-05】", "03-05", "03/05"])
def test_month_day_forms_take_the_year_of_t(text: str) -> None:
    parsed = parse_date(text, T)
    assert parsed is not None
    assert (parsed.date, parsed.year_inferred) == (D, True)


def test_chinese_month_day() -> None:
    parsed = parse_date("3月5日", T)
    assert parsed is not None and (parsed.date, parsed.year_inferred) == (D, True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("二〇二三年十月一日", dt.date(2023, 10, 1)),
        ("二〇二三年十一月十日", dt.date(2023, 11, 10)),
        ("二〇二三年十二月二十日", dt.date(2023, 12, 20)),
        ("二〇二三年十二月二十一日", dt.date(2023, 12, 21)),
        ("二〇二三年一月三十一日", dt.date(2023, 1, 31)),
        ("二零二零年二月二十九日", dt.date(2020, 2, 29)),
        ("二O二四年三月五日", D),
    ],
)
def test_chinese_numeral_dates(text: str, expected: dt.date) -> None:
    parsed = parse_date(text, T)
    assert parsed is not None and parsed.date == expected


def test_written_full_date_after_t_in_the_same_year_is_kept() -> None:
    # Only inference is bounded by T; a date the page prints in full is evidence as it stands.
    parsed = parse_date("2024-03-15", T)
    assert parsed is not None and parsed.date == dt.date(2024, 3, 15)


def test_year_inference_rolls_back_across_new_year() -> None:
    at = dt.date(2024, 1, 5)
    december = parse_date("[12-30]", at)
    january = parse_date("[01-05]", at)
    assert december is not None and january is not None
    assert (december.date, december.year_inferred) == (dt.date(2023, 12, 30), True)
    assert (january.date, january.year_inferred) == (dt.date(2024, 1, 5), True)  # T itself


def test_inferred_date_is_never_after_t() -> None:
    at = dt.date(2024, 1, 5)
    tomorrow = parse_date("01-06", at)
    assert tomorrow is not None and tomorrow.date == dt.date(2023, 1, 6)


def test_february_29_is_inferred_only_into_a_leap_year() -> None:
    assert parse_date("02-29", dt.date(2025, 3, 1)).date == dt.date(2024, 2, 29)
    assert parse_date("02-29", dt.date(2024, 2, 10)) is None  # 2024-02-29 is after T, 2023 has none


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "二〇二四年二月三十日",
        "1989-12-31",  # before 1990
        "2025-01-01",  # a year after T's
        "20240305",  # compact digits without a label or URL
        "2024-03/05",  # mixed separators
        "13-05",
        "[02-30]",
        "索引号：11010200-4/2024-00012",
        "电话：0851-86892345",
        "第2024号",
    ],
)
def test_rejected(text: str) -> None:
    assert parse_date(text, T) is None


def test_find_dates_returns_every_date_in_order() -> None:
    text = "成文日期：2024年3月1日 发布日期：2024-03-05 10:00 浏览次数：12 [02-28]"
    found = find_dates(text, T)
    assert [p.date for p in found] == [dt.date(2024, 3, 1), D, dt.date(2024, 2, 28)]
    assert [p.text for p in found] == ["2024年3月1日", "2024-03-05 10:00", "[02-28]"]
    assert [p.year_inferred for p in found] == [False, False, True]


def test_default_reference_is_today() -> None:
    parsed = parse_date("2020-01-02")
    assert parsed is not None and parsed.date == dt.date(2020, 1, 2)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x.gov.cn/zwgk/202403/t20240305_1234.html", D),
        ("https://www.gov.cn/zhengce/content/2019-04/18/content_5384134.htm", dt.date(2019, 4, 18)),
        ("http://x.gov.cn/art/2024/3/5/art_1229_456.html", D),
        ("http://x.gov.cn/zwgk/content_1234.html", None),
        ("http://x.gov.cn/zwgk/202402/t20240230_1.html", None),
    ],
)
def test_date_from_url(url: str, expected: dt.date | None) -> None:
    parsed = date_from_url(url, T)
    assert (parsed.date if parsed else None) == expected


@pytest.mark.parametrize(
    "text",
    [
        "编号12024-03-05 2024-03-05",  # a year glued to a number is no date, the next one is
        "第120〇二四年三月五日",  # a hanzi year whose 0 follows a digit
        "02O24年3月5日 20〇二四年三月五日",
        "123/04/05 [3.5] (03-05) 发布日期：20240305 ./202403/t20240305_1.html",
        "tt20240305_1.html 时间：2024年3月5日 10:30 03-05-06 3月5日3月6日",
        "２０２４－０３－０５　［03-05］",
        "11520400MB7750276/2024-07000 2024-03-05 O3-05 1203-05 (3.5)",  # no 年: fewer starts
    ],
)
def test_date_scan_tries_every_place_a_date_can_begin(text: str) -> None:
    """The alternation is only tried where a date can begin: the matches are those of a scan
    trying it at every position."""
    normalized = text.translate(dates._NORMALIZE)
    every_position = [m.span() for m in dates._DATE_RE.finditer(normalized)]
    assert [m.span() for m in dates._date_matches(normalized)] == every_position
    assert every_position  # each text holds dates
