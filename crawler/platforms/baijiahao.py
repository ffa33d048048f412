"""百家号: the author's feed, mbd.baidu.com/webpage?tab=main&…&format=jsonp (JSONP).

`callback({"errno": 0, "data": {"list": [{"itemData": {"title": …, "abstract": …, "ctime":
1700000000, "url": …, "is_origin": 1}}]}})`. A non-zero `errno` (anti-crawl, 验证) is 未能检测.

M-V3: the author feed carries no comment switch nor counts: `interaction` stays None, with why.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.platforms.base import JsonFeed, Post, Refused
from crawler.platforms.timefmt import epoch_day

_JSONP = re.compile(rb"^\s*[\w.$]*\s*\((.*)\)\s*;?\s*$", re.S)


class Baijiahao(JsonFeed):
    platform = "baijiahao"
    label = "百家号"
    feed = (
        "https://mbd.baidu.com/webpage"
        "?tab=main&num=10&uk={id}&type=newhome&action=dynamic&format=jsonp"
    )

    def decode(self, body: bytes) -> Any:
        found = _JSONP.match(body)
        return super().decode(found.group(1) if found else body)

    def read(self, data: dict) -> tuple[list[Post], str]:
        if data.get("errno") != 0:
            raise Refused(f"errno={data.get('errno')}")
        return [_post(entry["itemData"]) for entry in data["data"]["list"]], ""

    def channel(self, data: dict) -> tuple[bool | None, str]:
        return None, "百家号作者主页不显示评论是否开放"


def _post(item: dict) -> Post:
    return Post(
        date=epoch_day(item["ctime"]),
        title=item.get("title", ""),
        original=bool(item.get("is_origin", 1)),
        text=item.get("abstract", ""),
        url=item.get("url", ""),
    )
