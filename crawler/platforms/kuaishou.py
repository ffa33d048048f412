"""快手: the web profile page www.kuaishou.com/profile/<id> (HTML with the Apollo state inline).

The page carries `window.__APOLLO_STATE__ = {"defaultClient": {"VisionVideoDetailPhoto:<id>":
{"caption": …, "timestamp": 1700000000000, …}, "VisionVideoDetailAuthor:<id>": {"name": …}, …}};`. A page without that state (a 滑块验证 page,
a login wall) is 未能检测.

M-V3: a video with comments (`commentCount` > 0) shows them open; the page carries no comment
switch, so closed comments never show: otherwise `interaction` stays None (a person checks).
"""

from __future__ import annotations

import re
from typing import Any

from crawler.platforms.base import JsonFeed, Post, Refused
from crawler.platforms.timefmt import epoch_day

_STATE = re.compile(
    rb"window\.__APOLLO_STATE__\s*=\s*(\{.*?\})\s*;\s*(?:\(function|</script>)", re.S
)
PHOTO_KEY = "VisionVideoDetailPhoto:"
AUTHOR_KEY = "VisionVideoDetailAuthor:"


class Kuaishou(JsonFeed):
    platform = "kuaishou"
    label = "快手"
    feed = "https://www.kuaishou.com/profile/{id}"

    def decode(self, body: bytes) -> Any:
        """The Apollo state's cache (`defaultClient`), out of the page's inline script."""
        found = _STATE.search(body)
        if not found:
            raise Refused("页面无作品数据（验证或登录页）")
        return super().decode(found.group(1))["defaultClient"]

    def read(self, data: dict) -> tuple[list[Post], str]:
        posts = [
            Post(
                date=epoch_day(value["timestamp"]),
                title=value.get("caption", ""),
                text=value.get("caption", ""),
                url=f"https://www.kuaishou.com/short-video/{key[len(PHOTO_KEY) :]}",
            )
            for key, value in data.items()
            if key.startswith(PHOTO_KEY)
        ]
        authors = [v for k, v in data.items() if k.startswith(AUTHOR_KEY)]
        return posts, next((a["name"] for a in authors if a.get("name")), "")

    def channel(self, data: dict) -> tuple[bool | None, str]:
        photos = [v for k, v in data.items() if k.startswith(PHOTO_KEY)]
        commented = [v for v in photos if (v.get("commentCount") or 0) > 0]
        if commented:
            return True, f"评论开放：{len(commented)}/{len(photos)}条作品有评论"
        return None, "快手主页不显示评论是否开放，作品均无评论"
