"""抖音: the web profile's video list, www.douyin.com/aweme/v1/web/aweme/post/ (JSON).

`{"status_code": 0, "aweme_list": [{"aweme_id": …, "desc": …, "create_time": 1700000000,
"is_top": 1, "author": {"nickname": …}}]}`. Without the platform's signed parameters it answers an empty body or a non-zero
`status_code`: 未能检测. A video is the account's own post (抖音 has no 转发 in the list).

M-V3: each video's `aweme_control.can_comment` says whether comments are open; the channel is
missing only when every video listed has comments closed (None when the list does not say).
"""

from __future__ import annotations

import msgspec

from crawler.platforms.base import AccountFacts, Post, comment_switches, is_url, unmeasured
from crawler.platforms.timefmt import epoch_day


class Douyin:
    platform = "douyin"
    rate = 0.5
    concurrency = 1

    def feed_url(self, address: str) -> str:
        if is_url(address):
            return address
        return (
            "https://www.douyin.com/aweme/v1/web/aweme/post/"
            f"?sec_user_id={address}&count=18&max_cursor=0"
        )

    def parse(self, body: bytes, url: str) -> AccountFacts:
        if not body.strip():
            return unmeasured(url, "抖音拒绝访问: 返回空内容（需要签名参数）")
        try:
            data = msgspec.json.decode(body)
            if data.get("status_code") != 0:
                return unmeasured(url, f"抖音拒绝访问: status_code={data.get('status_code')}")
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
            name = next((a["nickname"] for a in authors if a.get("nickname")), "")
        except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            return unmeasured(url, f"抖音页面结构无法识别 ({type(exc).__name__})")
        facts = AccountFacts(url=url, measured=True, posts=posts, name=name)
        controls = [item.get("aweme_control") for item in data.get("aweme_list") or []]
        facts.interaction, facts.interaction_detail = comment_switches(
            [c.get("can_comment") if isinstance(c, dict) else None for c in controls],
            "抖音作品",
        )
        return facts
