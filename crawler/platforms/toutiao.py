"""今日头条: the profile feed, www.toutiao.com/api/pc/list/user/feed?category=profile_all (JSON).

`{"message": "success", "data": [{"title": …, "abstract": …, "publish_time": 1700000000,
"article_url": …, "is_original": true, "user_info": {"name": …}}]}`; a 微头条 without a title has only `content`. Anything but
`"message": "success"` (e.g. "error", a captcha) is 未能检测.

M-V3: an item's `ban_comment` (0 comments open, 1 closed); the channel is missing only when every
item listed has comments banned (None when the feed does not say).
"""

from __future__ import annotations

import msgspec

from crawler.platforms.base import (
    AccountFacts,
    Post,
    comment_switches,
    is_url,
    plain_text,
    unmeasured,
)
from crawler.platforms.timefmt import epoch_day

TITLE_CHARS = 60


class Toutiao:
    platform = "toutiao"
    rate = 0.5
    concurrency = 1

    def feed_url(self, address: str) -> str:
        if is_url(address):
            return address
        return (
            "https://www.toutiao.com/api/pc/list/user/feed"
            f"?category=profile_all&token={address}&max_behot_time=0"
        )

    def parse(self, body: bytes, url: str) -> AccountFacts:
        try:
            data = msgspec.json.decode(body)
            if data.get("message") != "success":
                return unmeasured(url, f"今日头条拒绝访问: {data.get('message') or '未返回内容'}")
            posts = [_post(item) for item in data["data"]]
            users = [item.get("user_info") or {} for item in data["data"]]
            name = next((u["name"] for u in users if u.get("name")), "")
        except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            return unmeasured(url, f"今日头条页面结构无法识别 ({type(exc).__name__})")
        facts = AccountFacts(url=url, measured=True, posts=posts, name=name)
        bans = [item.get("ban_comment") for item in data["data"]]
        facts.interaction, facts.interaction_detail = comment_switches(
            [None if b is None else not b for b in bans], "头条信息"
        )
        return facts


def _post(item: dict) -> Post:
    text = plain_text(item.get("abstract") or item.get("content") or "")
    return Post(
        date=epoch_day(item.get("publish_time") or item["behot_time"]),
        title=item.get("title") or text[:TITLE_CHARS],
        original=bool(item.get("is_original", True)),
        text=text,
        url=item.get("article_url", ""),
    )
