"""Reading public 留言 lists: tables with a header row, labelled items, status-only lists."""

from __future__ import annotations

from datetime import date

from selectolax.lexbor import LexborHTMLParser

from crawler.interaction import needs_letter, read_letter, read_messages
from crawler.model import Message

T = date(2024, 3, 31)
URL = "http://127.0.0.1:8101/hdjl/zxzx/"


def read(body: str) -> tuple[bool, list[Message]]:
    found, messages = read_messages(LexborHTMLParser(f"<html><body>{body}</body></html>"), URL, T)
    return found, messages


def test_table_with_header_row_gives_dates_status_and_links() -> None:
    found, messages = read(
        '<div class="nav"><a href="/">首页</a></div><table>'
        "<tr><th>序号</th><th>留言标题</th><th>留言时间</th><th>答复时间</th><th>状态</th></tr>"
        '<tr><td>1</td><td><a href="1.html">关于小区停车的咨询</a></td><td>2024-03-01</td>'
        "<td>2024-03-05</td><td>已回复</td></tr>"
        '<tr><td>2</td><td><a href="2.html">学校招生问题</a></td><td>2023年10月1日</td>'
        "<td></td><td>办理中</td></tr>"
        '<tr><td colspan="5">共2条 第1/1页</td></tr></table>'
    )

    assert found is True
    assert messages == [
        Message(
            title="关于小区停车的咨询",
            url=f"{URL}1.html",
            asked="2024-03-01",
            answered="2024-03-05",
            replied=True,
            status="已回复",
        ),
        Message(
            title="学校招生问题",
            url=f"{URL}2.html",
            asked="2023-10-01",
            replied=False,
            status="办理中",
        ),
    ]


def test_header_may_sit_in_the_second_row_and_use_other_names() -> None:
    _, messages = read(
        '<table><tr><td colspan="3">咨询列表</td></tr>'
        "<tr><td>主题</td><td>来信时间</td><td>回复时间</td></tr>"
        '<tr><td><a href="9.html">供水问题</a></td><td>[03-02]</td><td>[03-04]</td></tr></table>'
    )

    # Month-day dates take T's year (and never land after T).
    assert [(m.title, m.asked, m.answered, m.replied) for m in messages] == [
        ("供水问题", "2024-03-02", "2024-03-04", True)
    ]


def test_items_that_label_their_dates() -> None:
    found, messages = read(
        '<ul class="msg">'
        '<li><a href="/m/1.html">路灯不亮</a><span>留言时间：2024-01-02</span>'
        "<span>回复时间：2024-01-05</span><span>状态：已回复</span></li>"
        '<li><a href="/m/2.html">噪音扰民</a><span>留言时间：2023-11-02</span>'
        "<span>状态：未回复</span></li></ul>"
    )

    assert found is True
    assert [(m.title, m.asked, m.answered, m.replied, m.status) for m in messages] == [
        ("路灯不亮", "2024-01-02", "2024-01-05", True, "已回复"),
        ("噪音扰民", "2023-11-02", None, False, "未回复"),
    ]
    assert messages[1].url == "http://127.0.0.1:8101/m/2.html"


def test_block_items_with_the_reply_in_a_nested_element() -> None:
    _, messages = read(
        '<div class="list">'
        '<div class="item"><h4><a href="/m/1.html">路灯不亮</a></h4>'
        "<p>留言人：张** 留言时间：2024年1月2日</p>"
        '<div class="reply"><p>答复单位：住建局 答复时间：2024年1月5日</p></div></div>'
        '<div class="item"><h4><a href="/m/2.html">噪音</a></h4>'
        "<p>留言时间：2023-11-02</p><p>办理中</p></div></div>"
    )

    assert [(m.title, m.asked, m.answered, m.replied) for m in messages] == [
        ("路灯不亮", "2024-01-02", "2024-01-05", True),
        ("噪音", "2023-11-02", None, False),
    ]


def test_accepted_is_not_answered() -> None:
    _, messages = read(
        '<ul><li><a href="1.html">道路破损</a> 留言时间：2024-01-02 状态：已受理</li>'
        '<li><a href="2.html">路灯问题</a> 留言时间：2024-01-03 状态：已办结</li></ul>'
    )

    assert [(m.replied, m.status) for m in messages] == [(False, "已受理"), (True, "已办结")]


def test_status_words_without_labelled_dates_give_undated_messages() -> None:
    # Which of an unlabelled date is the 留言时间 cannot be told: no date is guessed.
    found, messages = read(
        '<ul><li><a href="1.html">路灯不亮的问题</a><span>已回复</span><span>2024-01-02</span></li>'
        '<li><a href="2.html">噪音扰民问题</a><span>办理中</span><span>2024-01-03</span></li></ul>'
    )

    assert found is True
    assert [(m.title, m.asked, m.answered, m.replied) for m in messages] == [
        ("路灯不亮的问题", None, None, True),
        ("噪音扰民问题", None, None, False),
    ]


def test_a_news_list_is_not_a_message_list() -> None:
    found, messages = read(
        '<ul><li><a href="1.html">我市召开工作会议</a><span>2024-01-02</span></li>'
        '<li><a href="2.html">关于已办结事项的公示</a><span>2024-01-03</span></li></ul>'
    )

    assert (found, messages) == (False, [])


def test_an_empty_message_table_is_a_list_without_messages() -> None:
    found, messages = read(
        "<table><tr><th>标题</th><th>留言时间</th><th>状态</th></tr>"
        '<tr><td colspan="3">暂无留言</td></tr></table>'
    )

    assert (found, messages) == (True, [])


def test_which_messages_need_their_letter_page() -> None:
    def needs(**fields: object) -> bool:
        return needs_letter(Message(title="问", url=f"{URL}1.html", **fields), T)  # type: ignore[arg-type]

    assert needs() is True  # nothing dated on the list
    assert needs(asked="2024-01-02", replied=True) is True  # answered, but when?
    assert needs(asked="2024-01-02") is True  # no status either
    assert needs(asked="2024-01-02", answered="2024-01-05") is False
    assert needs(asked="2024-01-02", replied=False) is False  # not answered: the list says so
    assert needs(asked="2023-03-30", replied=True) is False  # before the year of T
    assert needs_letter(Message(title="问"), T) is False  # no page to read


def test_a_letter_page_fills_in_what_the_list_did_not_show() -> None:
    listed = Message(
        title="路灯", url=f"{URL}1.html", asked="2024-01-02", replied=True, status="已办结"
    )
    page = LexborHTMLParser(
        "<html><body><div class='nav'>网站首页</div><table>"
        "<tr><th>留言时间</th><td>2024-01-03 10:20</td></tr>"
        "<tr><th>回复时间</th><td>2024年4月8日</td></tr><tr><th>状态</th><td>办理中</td></tr>"
        "</table></body></html>"
    )

    letter = read_letter(page, listed, T)

    # The list's own facts stand; the page adds the reply date (and with it, answered).
    assert (letter.asked, letter.answered, letter.replied, letter.status) == (
        "2024-01-02",
        "2024-04-08",
        True,
        "已办结",
    )


def test_a_letter_page_without_a_reply_says_whether_it_is_pending() -> None:
    listed = Message(title="噪音", url=f"{URL}2.html")
    page = LexborHTMLParser(
        "<html><body><p>来信时间：2024-02-05</p><p>状态：未回复</p></body></html>"
    )

    letter = read_letter(page, listed, T)

    assert (letter.asked, letter.answered, letter.replied, letter.status) == (
        "2024-02-05",
        None,
        False,
        "未回复",
    )


def test_a_reply_cell_without_a_date_may_carry_the_status() -> None:
    _, messages = read(
        "<table><tr><th>标题</th><th>留言日期</th><th>答复日期</th></tr>"
        '<tr><td><a href="1.html">供水问题</a></td><td>2024-03-02</td><td>2024-03-04</td></tr>'
        '<tr><td><a href="2.html">停车问题</a></td><td>2024-03-05</td><td>未回复</td></tr></table>'
    )

    assert [(m.asked, m.answered, m.replied) for m in messages] == [
        ("2024-03-02", "2024-03-04", True),
        ("2024-03-05", None, False),
    ]


def test_a_single_message_page_does_not_take_the_menu_for_its_title() -> None:
    _, messages = read(
        '<div class="main"><div class="left-nav"><ul><li><a href="/hdjl/ldxx/">领导信箱</a></li>'
        '</ul></div><div class="right"><div class="xj-list"><div class="xj-item">'
        '<a href="/hdjl/ldxx/9.html">噪音扰民问题反映</a><p class="xj-info"><span>留言人：王*</span>'
        "<span>留言时间：2023年11月1日</span><span>办理状态：已答复</span></p></div></div></div></div>"
    )

    assert [(m.title, m.url, m.asked, m.replied) for m in messages] == [
        ("噪音扰民问题反映", "http://127.0.0.1:8101/hdjl/ldxx/9.html", "2023-11-01", True)
    ]
