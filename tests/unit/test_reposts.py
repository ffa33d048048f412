"""重要信息转载: fuzzy title matching, on time / late / missing, and the province's item list."""

from __future__ import annotations

from pathlib import Path

from checkers.reposts import (
    LATE,
    MISSING,
    ON_TIME,
    UNMEASURED,
    ImportantItem,
    check_unit,
    find_repost,
    similarity,
)
from crawler.model import Published
from services.repost_items import check_items

ITEM = ImportantItem(
    "国务院办公厅关于进一步优化政务服务提升行政效能的意见",
    "https://www.gov.cn/zhengce/1.htm",
    "2024-03-01",
    "2024-03-04",
)


def test_drifted_titles_match_other_documents_do_not() -> None:
    title = ITEM.title
    assert similarity(title, f"转载：{title}——来源：中国政府网") == 1.0
    assert similarity(title, f"【转】{title}") == 1.0
    assert similarity(title, "国务院办公厅印发《关于进一步优化政务服务提升行政效能的意见》") >= 0.8
    assert similarity(title, "市政府常务会议研究部署近期重点工作") < 0.5
    # Same words, another year: another document.
    assert (
        similarity(
            "关于做好2024年春节期间安全生产工作的通知", "关于做好2023年春节期间安全生产工作的通知"
        )
        == 0.0
    )
    # A short generic title inside a long one is not a repost.
    assert similarity("通知", "关于开展全省安全生产大检查的通知") < 0.8


def test_on_time_late_missing_by_the_deadline() -> None:
    on_deadline = [Published(f"转载：{ITEM.title}", "2024-03-04")]
    assert find_repost(ITEM, on_deadline).outcome == ON_TIME
    late = [Published(ITEM.title, "2024-03-05", "http://x/1")]
    outcome = find_repost(ITEM, late)
    assert (outcome.outcome, outcome.date, outcome.url) == (LATE, "2024-03-05", "http://x/1")
    assert find_repost(ITEM, [Published("无关信息", "2024-03-02")]).outcome == MISSING
    # The earliest repost decides; one dated before the original is some older text.
    both = [Published(ITEM.title, "2024-03-08"), Published(ITEM.title, "2024-03-02")]
    assert find_repost(ITEM, both).date == "2024-03-02"
    assert find_repost(ITEM, [Published(ITEM.title, "2024-02-01")]).outcome == MISSING
    # Undated: found, but its timeliness cannot be shown.
    assert find_repost(ITEM, [Published(ITEM.title, None)]).outcome == LATE


def test_an_unreadable_unit_is_unmeasured_not_missing() -> None:
    [outcome] = check_unit([ITEM], None, "首页无法访问 (refused)")
    assert (outcome.outcome, outcome.title) == (UNMEASURED, "首页无法访问 (refused)")


def test_item_list_reads_chinese_dates_and_names_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text(
        "2024年第一季度重要信息转载清单\n"
        "标题,来源地址,发布日期,转载时限\n"
        f"{ITEM.title},{ITEM.source_url},2024年3月1日,2024/3/4\n"
        "某通知,https://a.test/1,2024-03-05,2024-03-01\n"
        "某意见,not a url,2024-02-30,2024-03-09\n",
        encoding="utf-8",
    )
    items, errors = check_items(path)
    assert items == [ITEM]
    messages = [str(e) for e in errors]
    assert messages[0] == f"{path}:4: field 转载时限: 2024-03-01 is before the 发布日期 2024-03-05"
    assert any(
        m.startswith(f"{path}:5: field 发布日期: '2024-02-30' is not a date") for m in messages
    )
    assert any(m.startswith(f"{path}:5: field 来源地址: 'not a url'") for m in messages)


def test_an_item_older_than_what_was_read_is_unmeasured_not_missing() -> None:
    recent = [Published("无关信息", "2024-03-10")]
    [cut] = check_unit([ITEM], recent, complete_from="2024-03-10")
    assert cut.outcome == UNMEASURED and cut.title.startswith("只读取到2024-03-10以后的信息")
    [covered] = check_unit([ITEM], recent, complete_from="2024-02-20")
    assert covered.outcome == MISSING
    # Found is found, however far back the reading went.
    [found] = check_unit([ITEM], [Published(ITEM.title, "2024-03-02")], complete_from="2024-03-02")
    assert found.outcome == ON_TIME
