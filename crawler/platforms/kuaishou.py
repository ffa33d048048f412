"""快手: the web profile page www.kuaishou.com/profile/<id> (HTML with the Apollo state inline).

The page carries `window.__APOLLO_STATE__ = {"defaultClient": {"VisionVideoDetailPhoto:<id>":
{"caption": …, "timestamp": 1700000000000, …}, "VisionVideoDetailAuthor:<id>": {"name": …}, …}};`. A page without that state (a 滑块验证 page,
a login wall) is 未能检测.

M-V3: a video with comments (`commentCount` > 0) shows them open; the page carries no comment
switch, so closed comments never show: otherwise `interaction` stays None (a person checks).
"""

from __future__ import annotations

import re

import msgspec

from crawler.platforms.base import AccountFacts, Post, is_url, unmeasured
from crawler.platforms.timefmt import epoch_day

_STATE = re.compile(
    rb"window\.__APOLLO_STATE__\s*=\s*(\{.*?\})\s*;\s*(?:\(function|</script>)", re.S
)
PHOTO_KEY = "VisionVideoDetailPhoto:"
AUTHOR_KEY = "VisionVideoDetailAuthor:"


class Kuaishou:
    platform = "kuaishou"
    rate = 0.5
    concurrency = 1

    def feed_url(self, address: str) -> str:
        return address if is_url(address) else f"https://www.kuaishou.com/profile/{address}"

    def parse(self, body: bytes, url: str) -> AccountFacts:
        found = _STATE.search(body)
        if not found:
            return unmeasured(url, "快手拒绝访问: 页面无作品数据（验证或登录页）")
        try:
            state = msgspec.json.decode(found.group(1))["defaultClient"]
            posts = [
                Post(
                    date=epoch_day(value["timestamp"]),
                    title=value.get("caption", ""),
                    text=value.get("caption", ""),
                    url=f"https://www.kuaishou.com/short-video/{key[len(PHOTO_KEY) :]}",
                )
                for key, value in state.items()
                if key.startswith(PHOTO_KEY)
            ]
            authors = [v for k, v in state.items() if k.startswith(AUTHOR_KEY)]
            name = next((a["name"] for a in authors if a.get("name")), "")
        except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            return unmeasured(url, f"快手页面结构无法识别 ({type(exc).__name__})")
        facts = AccountFacts(url=url, measured=True, posts=posts, name=name)
        photos = [v for k, v in state.items() if k.startswith(PHOTO_KEY)]
        commented = [v for v in photos if (v.get("commentCount") or 0) > 0]
        if commented:
            facts.interaction = True
            facts.interaction_detail = f"评论开放：{len(commented)}/{len(photos)}条作品有评论"
        else:
            facts.interaction_detail = "快手主页不显示评论是否开放，作品均无评论"
        return facts
