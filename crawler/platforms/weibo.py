"""新浪微博: the mobile web view's profile feed, m.weibo.cn/api/container/getIndex (JSON).

`{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"created_at": "Sat Dec 02 10:00:00 +0800
2023", "text": "…", "isTop": 1, "user": {"screen_name": …}, "retweeted_status": {…}}}]}}`; a post with `retweeted_status` is a
转发. Weibo answers visitors it does not trust with `ok: 0` ("请先登录") or HTTP 418/432: 未能检测.
"""

from __future__ import annotations

import msgspec

from crawler.platforms.base import AccountFacts, Post, is_url, plain_text, unmeasured
from crawler.platforms.timefmt import weibo_day

TITLE_CHARS = 60


class Weibo:
    platform = "weibo"
    rate = 0.5
    concurrency = 1

    def feed_url(self, address: str) -> str:
        if is_url(address):
            return address
        return (
            "https://m.weibo.cn/api/container/getIndex"
            f"?type=uid&value={address}&containerid=107603{address}"
        )

    def parse(self, body: bytes, url: str) -> AccountFacts:
        try:
            data = msgspec.json.decode(body)
            if data.get("ok") != 1:
                return unmeasured(url, f"微博拒绝访问: {data.get('msg') or '未返回内容'}")
            blogs = [card["mblog"] for card in data["data"]["cards"] if "mblog" in card]
            posts = [_post(mblog) for mblog in blogs]
            name = next((b["user"]["screen_name"] for b in blogs if b.get("user")), "")
        except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            return unmeasured(url, f"微博页面结构无法识别 ({type(exc).__name__})")
        return AccountFacts(url=url, measured=True, posts=posts, name=name)


def _post(mblog: dict) -> Post:
    text = plain_text(mblog.get("text", ""))
    return Post(
        date=weibo_day(mblog["created_at"]),
        title=text[:TITLE_CHARS],
        original="retweeted_status" not in mblog,
        pinned=bool(mblog.get("isTop")),
        text=text,
        url=f"https://m.weibo.cn/detail/{mblog.get('id', '')}",
    )
