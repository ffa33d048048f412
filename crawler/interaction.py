"""Public 留言 lists (W-V5): each message's 留言时间, 答复时间 and status.

Three layouts are read, in this order: a table whose header row names the columns (留言时间 |
答复时间 | 状态), items that label their dates (留言时间：2024-01-05 回复时间：…), and lists that show only
a status word per message (已回复 / 办理中). What a list does not show (no date is ever guessed) is
read from the letter's own page, where the dates are labelled (`needs_letter`, `read_letter`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

import msgspec
from dateutil.relativedelta import relativedelta
from selectolax.lexbor import LexborHTMLParser, LexborNode

from crawler.dates import find_date_spans, parse_date
from crawler.listpage import absolute_url, clean_text, page_base
from crawler.model import Message

ASKED = (
    "留言时间",
    "留言日期",
    "提问时间",
    "来信时间",
    "来信日期",
    "写信时间",
    "咨询时间",
    "提交时间",
)
ANSWERED = ("答复时间", "答复日期", "回复时间", "回复日期", "办结时间", "反馈时间")
STATUS = (
    "办理状态",
    "处理状态",
    "答复状态",
    "回复状态",
    "办理情况",
    "回复情况",
    "答复情况",
    "状态",
)
TITLE = ("留言标题", "信件标题", "来信标题", "留言主题", "标题", "主题")
# 已受理 means taken in, not answered.
PENDING: tuple[str, ...] = (
    "未回复",
    "未答复",
    "待回复",
    "待答复",
    "未办结",
    "未处理",
    "待处理",
    "办理中",
    "处理中",
)
PENDING += ("正在办理", "受理中", "已受理")
REPLIED = ("已回复", "已答复", "已办结", "已处理", "已反馈", "已完成")

_ASKED_RE = re.compile("|".join(ASKED))
_ANSWERED_RE = re.compile("|".join(ANSWERED))
_STATUS_LABEL_RE = re.compile(f"(?:{'|'.join(STATUS)})\\s*[:：]?")  # a <th> label has no colon
_STATUS_WORD_RE = re.compile("|".join(PENDING + REPLIED))
_LIST_BOUNDARY = {"ul", "ol", "table", "tbody", "body", "html"}
_DATE_REACH = 30  # how far after its label a date may start
_MIN_STATUS_ITEMS = 2  # status words on fewer items are titles, not a list's status column
# 留言 are read back to a year before T (W-V5's window); the checker judges coverage itself.
LOOKBACK = relativedelta(years=1)


class MessageList(NamedTuple):
    found: bool  # the page shows a 留言 list (even one whose messages cannot be dated)
    messages: list[Message]


def read_messages(tree: LexborHTMLParser, url: str, at: dt.date) -> MessageList:
    """The 留言 list of a page, if it shows one."""
    body = tree.body
    if body is None:
        return MessageList(False, [])
    base = page_base(tree, url)
    for reader in (_from_table, _from_labels, _from_status_words):
        messages = reader(body, base, at)
        if messages is not None:
            return MessageList(True, messages)
    return MessageList(False, [])


def needs_letter(message: Message, at: dt.date) -> bool:
    """The list leaves the 留言时间 unknown, or the reply unknown for a message of the past year."""
    if message.url is None:
        return False
    if message.asked is None:
        return True
    if message.answered is not None or message.replied is False:
        return False
    return dt.date.fromisoformat(message.asked) >= at - LOOKBACK


def read_letter(tree: LexborHTMLParser, message: Message, at: dt.date) -> Message:
    """The message completed from its own page: what the list did not show, by label."""
    text = clean_text(tree.body.text(separator=" ")) if tree.body is not None else ""
    asked = _date_after(text, _ASKED_RE, at)
    answered = _date_after(text, _ANSWERED_RE, at)
    replied, status = _status(text)
    return msgspec.structs.replace(
        message,
        asked=message.asked or (asked.isoformat() if asked else None),
        answered=message.answered or (answered.isoformat() if answered else None),
        replied=True
        if (message.answered or answered)
        else (message.replied if replied is None else replied),
        status=message.status or status,
    )


# --- a table with a header row -----------------------------------------------------------------


def _from_table(body: LexborNode, base: str, at: dt.date) -> list[Message] | None:
    for table in body.css("table"):
        rows = table.css("tr")
        for index, row in enumerate(rows[:3]):  # the header is one of the first rows
            roles = _header_roles(row)
            if {"asked", "answered", "status"} & set(roles.values()):
                found = (_table_message(r, roles, base, at) for r in rows[index + 1 :])
                return [message for message in found if message is not None]
    return None


def _header_roles(row: LexborNode) -> dict[int, str]:
    roles = {}
    for index, cell in enumerate(row.css("th, td")):
        text = "".join(cell.text().split()).rstrip(":：")
        for role, labels in (
            ("asked", ASKED),
            ("answered", ANSWERED),
            ("status", STATUS),
            ("title", TITLE),
        ):
            if text in labels:
                roles[index] = role
    return roles


def _table_message(
    row: LexborNode, roles: dict[int, str], base: str, at: dt.date
) -> Message | None:
    cells = row.css("th, td")
    if len(cells) <= max(roles):
        return None  # a "暂无数据" row spanning the table, or a pager row
    text = {role: clean_text(cells[index].text()) for index, role in roles.items()}
    anchor = _title_anchor(row)
    title = text.get("title") or (clean_text(anchor.text()) if anchor else "")
    asked, answered = _date(text.get("asked"), at), _date(text.get("answered"), at)
    if not title and asked is None:
        return None
    # Without a status column, a reply cell without a date may show the status word instead.
    replied, status = _status(text.get("status") or text.get("answered") or "")
    return _message(title, anchor, base, asked, answered, replied, status)


def _date(text: str | None, at: dt.date) -> dt.date | None:
    parsed = parse_date(text, at) if text else None
    return parsed.date if parsed else None


# --- items that label their dates --------------------------------------------------------------


def _from_labels(body: LexborNode, base: str, at: dt.date) -> list[Message] | None:
    items: dict[int, LexborNode] = {}
    for node in body.traverse(include_text=True):
        if node.tag != "-text" or node.parent is None:
            continue
        text = node.text_content or ""
        if _ASKED_RE.search(text) or _ANSWERED_RE.search(text):
            item = _item_of(node.parent)
            items.setdefault(item.mem_id, item)
    if not items:
        return None
    return [_labelled_message(item, base, at) for item in items.values()]


def _item_of(node: LexborNode) -> LexborNode:
    """The smallest element around a date label that holds the message's title link; without a
    link, the largest that holds no second message."""
    current = node
    while _title_anchor(current) is None and current.parent is not None:
        parent = current.parent
        text = parent.text()
        if parent.tag in _LIST_BOUNDARY or len(_ASKED_RE.findall(text)) > 1:
            break
        if len(_ANSWERED_RE.findall(text)) > 1:
            break
        current = parent
    return current


def _labelled_message(item: LexborNode, base: str, at: dt.date) -> Message:
    text = clean_text(item.text(separator=" "))
    anchor = _title_anchor(item)
    title = clean_text(anchor.text()) if anchor else text[:40]
    replied, status = _status(text)
    asked = _date_after(text, _ASKED_RE, at)
    answered = _date_after(text, _ANSWERED_RE, at)
    return _message(title, anchor, base, asked, answered, replied, status)


def _date_after(text: str, label: re.Pattern[str], at: dt.date) -> dt.date | None:
    match = label.search(text)
    if match is None:
        return None
    spans = find_date_spans(text[match.end() : match.end() + _DATE_REACH], at)
    return spans[0].parsed.date if spans and spans[0].start <= 3 else None


# --- only a status word per message ------------------------------------------------------------


def _from_status_words(body: LexborNode, base: str, at: dt.date) -> list[Message] | None:
    messages: dict[int, Message] = {}
    for anchor in body.css("a[href]"):
        holder = anchor.parent
        if holder is None or holder.mem_id in messages:
            continue
        replied, status = _status(holder.text())
        if status:
            title = clean_text(anchor.text())
            messages[holder.mem_id] = _message(title, anchor, base, None, None, replied, status)
    return list(messages.values()) if len(messages) >= _MIN_STATUS_ITEMS else None


# --- shared ------------------------------------------------------------------------------------


def _status(text: str) -> tuple[bool | None, str | None]:
    """(answered?, the word shown): the word after a 状态： label, else the first one in the text."""
    label = _STATUS_LABEL_RE.search(text)
    word = _STATUS_WORD_RE.search(text, label.end() if label else 0)
    if word is None:
        return None, None
    return word.group() in REPLIED, word.group()


def _title_anchor(node: LexborNode) -> LexborNode | None:
    for anchor in node.css("a[href]"):
        if len(clean_text(anchor.text())) >= 2:
            return anchor
    return None


def _message(
    title: str,
    anchor: LexborNode | None,
    base: str,
    asked: dt.date | None,
    answered: dt.date | None,
    replied: bool | None,
    status: str | None,
) -> Message:
    return Message(
        title=title,
        url=absolute_url(anchor.attributes.get("href"), base) if anchor else None,
        asked=asked.isoformat() if asked else None,
        answered=answered.isoformat() if answered else None,
        replied=True if answered else replied,
        status=status,
    )
