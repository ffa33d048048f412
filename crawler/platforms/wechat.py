"""微信公众号: the account's message history, mp.weixin.qq.com/mp/profile_ext?action=getmsg (JSON).

`{"ret": 0, "general_msg_list": "{\"list\": [{\"comm_msg_info\": {\"datetime\": 1700000000},
\"app_msg_ext_info\": {\"title\": …, \"digest\": …, \"content_url\": …, \"copyright_stat\": 11,
\"multi_app_msg_item_list\": [...]}}]}"}` — the list is a JSON string inside the JSON; copyright_stat
11 is 原创. Outside the WeChat client the platform answers `ret` -3 or "请在微信客户端打开": 未能检测.

The custom menu (`menu`: item names) is what the bulletins inspect for 互动 (贵州 2020Q1: 菜单失效);
a menu item named 留言/咨询/互动/问政/信箱 counts as an interaction channel. Without `menu` the
channel is not shown (None).
"""

from __future__ import annotations

import msgspec

from crawler.platforms.base import JsonFeed, Post, Refused
from crawler.platforms.timefmt import epoch_day

ORIGINAL = 11  # copyright_stat of a 原创 article
CHANNEL_WORDS = ("留言", "咨询", "互动", "问政", "信箱", "建言")


class WeChat(JsonFeed):
    platform = "wechat"
    label = "微信"
    feed = (
        "https://mp.weixin.qq.com/mp/profile_ext?action=getmsg&__biz={id}&f=json&offset=0&count=10"
    )

    def read(self, data: dict) -> tuple[list[Post], str]:
        if data.get("ret") != 0:
            raise Refused(data.get("errmsg") or f"ret={data.get('ret')}")
        messages = msgspec.json.decode(data["general_msg_list"])["list"]
        return [post for message in messages for post in _posts(message)], ""

    def channel(self, data: dict) -> tuple[bool | None, str]:
        menu = data.get("menu")
        if not isinstance(menu, list):
            return None, ""
        hits = [m for m in menu if any(w in str(m) for w in CHANNEL_WORDS)]
        return bool(hits), f"菜单: {'、'.join(map(str, menu)) or '无'}"


def _posts(message: dict) -> list[Post]:
    """A push (one date) carries a lead article and up to seven more."""
    info = message.get("app_msg_ext_info")
    if not info:
        return []  # a text or image push without an article
    day = epoch_day(message["comm_msg_info"]["datetime"])
    articles = [info, *info.get("multi_app_msg_item_list", [])]
    return [
        Post(
            date=day,
            title=article["title"],
            original=article.get("copyright_stat") == ORIGINAL,
            text=article.get("digest", ""),
            url=article.get("content_url", ""),
        )
        for article in articles
    ]
