"""新浪微博: the mobile web view's profile feed, m.weibo.cn/api/container/getIndex (JSON).

`{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"created_at": "Sat Dec 02 10:00:00 +0800
2023", "text": "…", "isTop": 1, "user": {"screen_name": …}, "retweeted_status": {…}}}]}}`; a post with `retweeted_status` is a
转发. Weibo answers visitors it does not trust with `ok: 0` ("请先登录") or HTTP 418/432: 未能检测.

M-V3: a post anyone may comment on (`comment_manage_info.comment_permission_type` -1) or that has
comments (`comments_count` > 0) shows the channel open. The feed does not tell comments closed from
comments restricted (followers only, approval) and does not carry the profile's 私信 button, so it
never shows the channel missing: otherwise `interaction` stays None (a person checks).
"""

from __future__ import annotations

from crawler.platforms.base import JsonFeed, Post, Refused, plain_text
from crawler.platforms.timefmt import weibo_day

TITLE_CHARS = 60
ANYONE_MAY_COMMENT = -1  # comment_manage_info.comment_permission_type


class Weibo(JsonFeed):
    platform = "weibo"
    label = "微博"
    feed = "https://m.weibo.cn/api/container/getIndex?type=uid&value={id}&containerid=107603{id}"

    def read(self, data: dict) -> tuple[list[Post], str]:
        if data.get("ok") != 1:
            raise Refused(data.get("msg") or "未返回内容")
        blogs = _blogs(data)
        posts = [_post(mblog) for mblog in blogs]
        return posts, next((b["user"]["screen_name"] for b in blogs if b.get("user")), "")

    def channel(self, data: dict) -> tuple[bool | None, str]:
        """(True, detail) when a post is open to comments, else (None, why it is not known)."""
        blogs = _blogs(data)
        open_ = [
            b
            for b in blogs
            if (b.get("comment_manage_info") or {}).get("comment_permission_type")
            == ANYONE_MAY_COMMENT
            or (b.get("comments_count") or 0) > 0
        ]
        if open_:
            return True, f"评论开放：{len(open_)}/{len(blogs)}条微博可评论或有评论"
        return None, "微博公开页面未显示评论开放（关闭或仅限粉丝无法区分）"


def _blogs(data: dict) -> list[dict]:
    """The posts' cards (other cards are follow blocks and the like)."""
    return [card["mblog"] for card in data["data"]["cards"] if "mblog" in card]


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
