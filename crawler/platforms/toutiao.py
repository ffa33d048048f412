"""今日头条: the profile feed, www.toutiao.com/api/pc/list/user/feed?category=profile_all (JSON).

`{"message": "success", "data": [{"title": …, "abstract": …, "publish_time": 1700000000,
"article_url": …, "is_original": true, "user_info": {"name": …}}]}`; a 微头条 without a title has only `content`. Anything but
`"message": "success"` (e.g. "error", a captcha) is 未能检测.

M-V3: an item's `ban_comment` (0 comments open, 1 closed); the channel is missing only when every
item listed has comments banned (None when the feed does not say).
"""

from __future__ import annotations

from crawler.platforms.base import JsonFeed, Post, Refused, comment_switches, plain_text
from crawler.platforms.timefmt import epoch_day

TITLE_CHARS = 60


class Toutiao(JsonFeed):
    platform = "toutiao"
    label = "今日头条"
    feed = (
        "https://www.toutiao.com/api/pc/list/user/feed"
        "?category=profile_all&token={id}&max_behot_time=0"
    )

    def read(self, data: dict) -> tuple[list[Post], str]:
        if data.get("message") != "success":
            raise Refused(data.get("message") or "未返回内容")
        posts = [_post(item) for item in data["data"]]
        users = [item.get("user_info") or {} for item in data["data"]]
        return posts, next((u["name"] for u in users if u.get("name")), "")

    def channel(self, data: dict) -> tuple[bool | None, str]:
        bans = [item.get("ban_comment") for item in data["data"]]
        return comment_switches([None if b is None else not b for b in bans], "头条信息")


def _post(item: dict) -> Post:
    text = plain_text(item.get("abstract") or item.get("content") or "")
    return Post(
        date=epoch_day(item.get("publish_time") or item["behot_time"]),
        title=item.get("title") or text[:TITLE_CHARS],
        original=bool(item.get("is_original", True)),
        text=text,
        url=item.get("article_url", ""),
    )
