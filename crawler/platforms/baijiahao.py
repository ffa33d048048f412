"""百家号: the author's feed, mbd.baidu.com/webpage?tab=main&…&format=jsonp (JSONP).

`callback({"errno": 0, "data": {"list": [{"itemData": {"title": …, "abstract": …, "ctime":
1700000000, "url": …, "is_origin": 1}}]}})`. A non-zero `errno` (anti-crawl, 验证) is 未能检测.

M-V3: the author feed carries no comment switch nor counts: `interaction` stays None, with why.
"""

from __future__ import annotations

import re

import msgspec

from crawler.platforms.base import AccountFacts, Post, is_url, unmeasured
from crawler.platforms.timefmt import epoch_day

_JSONP = re.compile(rb"^\s*[\w.$]*\s*\((.*)\)\s*;?\s*$", re.S)


class Baijiahao:
    platform = "baijiahao"
    rate = 0.5
    concurrency = 1

    def feed_url(self, address: str) -> str:
        if is_url(address):
            return address
        return (
            "https://mbd.baidu.com/webpage"
            f"?tab=main&num=10&uk={address}&type=newhome&action=dynamic&format=jsonp"
        )

    def parse(self, body: bytes, url: str) -> AccountFacts:
        found = _JSONP.match(body)
        try:
            data = msgspec.json.decode(found.group(1) if found else body)
            if data.get("errno") != 0:
                return unmeasured(url, f"百家号拒绝访问: errno={data.get('errno')}")
            posts = [_post(entry["itemData"]) for entry in data["data"]["list"]]
        except (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
            return unmeasured(url, f"百家号页面结构无法识别 ({type(exc).__name__})")
        return AccountFacts(
            url=url,
            measured=True,
            posts=posts,
            interaction_detail="百家号作者主页不显示评论是否开放",
        )


def _post(item: dict) -> Post:
    return Post(
        date=epoch_day(item["ctime"]),
        title=item.get("title", ""),
        original=bool(item.get("is_origin", 1)),
        text=item.get("abstract", ""),
        url=item.get("url", ""),
    )
