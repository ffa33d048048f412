"""抖音: the web profile's video list, www.douyin.com/aweme/v1/web/aweme/post/ (JSON).

`{"status_code": 0, "aweme_list": [{"aweme_id": …, "desc": …, "create_time": 1700000000,
"is_top": 1, "author": {"nickname": …}}]}`. Without the platform's signed parameters it answers an empty body or a non-zero
`status_code`: 未能检测. A video is the account's own post (抖音 has no 转发 in the list).

M-V3: each video's `aweme_control.can_comment` says whether comments are open; the channel is
missing only when every video listed has comments closed (None when the list does not say).
"""

from __future__ import annotations

from typing import Any

from crawler.platforms.base import JsonFeed, Post, Refused, comment_switches
from crawler.platforms.timefmt import epoch_day


class Douyin(JsonFeed):
    platform = "douyin"
    label = "抖音"
    feed = "https://www.douyin.com/aweme/v1/web/aweme/post/?sec_user_id={id}&count=18&max_cursor=0"

    def decode(self, body: bytes) -> Any:
        if not body.strip():
            raise Refused("返回空内容（需要签名参数）")
        return super().decode(body)

    def read(self, data: dict) -> tuple[list[Post], str]:
        if data.get("status_code") != 0:
            raise Refused(f"status_code={data.get('status_code')}")
        posts = [
            Post(
                date=epoch_day(item["create_time"]),
                title=item.get("desc", ""),
                pinned=bool(item.get("is_top")),
                text=item.get("desc", ""),
                url=f"https://www.douyin.com/video/{item.get('aweme_id', '')}",
            )
            for item in data.get("aweme_list") or []
        ]
        authors = [item.get("author") or {} for item in data.get("aweme_list") or []]
        return posts, next((a["nickname"] for a in authors if a.get("nickname")), "")

    def channel(self, data: dict) -> tuple[bool | None, str]:
        controls = [item.get("aweme_control") for item in data.get("aweme_list") or []]
        return comment_switches(
            [c.get("can_comment") if isinstance(c, dict) else None for c in controls],
            "抖音作品",
        )
