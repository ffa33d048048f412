"""What every platform adapter returns, and the interface it implements.

An adapter turns the public web view of one account (a JSON feed or an HTML page, as the platform
serves it to any browser) into `AccountFacts`: the recent posts (date, title, original or repost) and
whether the account shows an interaction channel. It never guesses: a page it cannot read gives
`measured=False` with the reason, which the checkers turn into 未能检测.

`PublicView` and `JsonFeed` hold what the adapters share (politeness, the view's URL, the reading of a
JSON feed), so that a platform's module says only its URL shape and how its real answer maps.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Protocol

import msgspec

# Platform keys, and the names the bulletins print (问题栏目 / 政务新媒体类型).
PLATFORM_NAMES: dict[str, str] = {
    "wechat": "微信公众号",
    "weibo": "新浪微博",
    "douyin": "抖音",
    "toutiao": "今日头条",
    "kuaishou": "快手",
    "baijiahao": "百家号",
    "app": "移动客户端",
}
# Registry spellings of each platform (平台 / 政务新媒体类型 column).
PLATFORM_ALIASES: dict[str, str] = {
    "微信": "wechat",
    "微信公众号": "wechat",
    "公众号": "wechat",
    "微博": "weibo",
    "新浪微博": "weibo",
    "抖音": "douyin",
    "抖音号": "douyin",
    "今日头条": "toutiao",
    "头条": "toutiao",
    "头条号": "toutiao",
    "快手": "kuaishou",
    "快手号": "kuaishou",
    "百家号": "baijiahao",
    "客户端": "app",
    "移动客户端": "app",
    "app": "app",
    "APP": "app",
    "App": "app",
}


class Post(msgspec.Struct, frozen=True, omit_defaults=True):
    date: str  # YYYY-MM-DD (platform time zone, Asia/Shanghai)
    title: str  # title, or the first words of a post without one
    original: bool = True  # False: a repost (转发/转载)
    pinned: bool = False  # 置顶: shown first whatever its date
    text: str = ""  # body text as far as the list shows it (M-V1 candidates)
    url: str = ""


class AccountFacts(msgspec.Struct, omit_defaults=True):
    url: str  # what was read
    measured: bool
    reason: str = ""  # why not measured, in Chinese
    posts: list[Post] = []
    # An interaction channel (comments open, a 留言/咨询 menu): True/False as the view shows it,
    # None when the public view does not show it.
    interaction: bool | None = None
    interaction_detail: str = ""
    name: str = ""  # the account's display name as the view shows it ("" when it does not)
    notes: list[str] = []  # what else the view showed worth reporting (e.g. an app's download link)


class Adapter(Protocol):
    """One platform. `feed_url` maps a registry address (URL or bare ID) to the public view to read;
    `parse` reads that view's body. Reading is shared (`crawler.platforms.read`)."""

    platform: str
    rate: float  # requests per second to the platform, all accounts together (politeness)
    concurrency: int

    def feed_url(self, address: str) -> str: ...

    def parse(self, body: bytes, url: str) -> AccountFacts: ...


# What reading a feed of another shape than the adapter knows raises: 未能检测, never a crash.
UNREADABLE = (msgspec.DecodeError, AttributeError, KeyError, TypeError, ValueError)


class Refused(Exception):
    """The platform answered with a refusal instead of the posts (a login wall, an anti-crawl code,
    an empty answer); the argument says which, in the platform's words where it gives them."""


class PublicView:
    """Politeness and the account's public view. `feed` is the view's URL for a bare account ID,
    `{id}` where the ID goes; a registry address that is already a URL is read as it is."""

    platform: str
    feed: str
    rate = 0.5  # real platforms throttle hard: one request every 2 s, one at a time
    concurrency = 1

    def feed_url(self, address: str) -> str:
        return address if is_url(address) else self.feed.format(id=address)


class JsonFeed(PublicView, ABC):
    """An adapter reading a JSON feed: a refusal or an answer of an unknown shape is 未能检测 with
    why (`label` names the platform in the reason); else the posts, the name and M-V3."""

    label: str

    def decode(self, body: bytes) -> Any:
        return msgspec.json.decode(body)

    @abstractmethod
    def read(self, data: Any) -> tuple[list[Post], str]:
        """The posts and the account's display name ("" when not shown); raises `Refused`."""

    def channel(self, data: Any) -> tuple[bool | None, str]:
        """M-V3 (interaction, detail), from `data` once `read` has accepted it."""
        return None, ""

    def parse(self, body: bytes, url: str) -> AccountFacts:
        try:
            data = self.decode(body)
            posts, name = self.read(data)
        except Refused as why:
            return unmeasured(url, f"{self.label}拒绝访问: {why}")
        except UNREADABLE as exc:
            return unmeasured(url, f"{self.label}页面结构无法识别 ({type(exc).__name__})")
        try:
            interaction, detail = self.channel(data)
        except UNREADABLE as exc:
            # The posts were read (M-V2 stands); only M-V3 is not known from this answer.
            interaction, detail = None, f"{self.label}评论信息无法识别 ({type(exc).__name__})"
        return AccountFacts(
            url=url,
            measured=True,
            posts=posts,
            interaction=interaction,
            interaction_detail=detail,
            name=name,
        )


def unmeasured(url: str, reason: str) -> AccountFacts:
    return AccountFacts(url=url, measured=False, reason=reason)


def plain_text(html: str) -> str:
    """Post text without the markup platforms put in it (links, emoji images)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def is_url(address: str) -> bool:
    return address.startswith(("http://", "https://"))


def comment_switches(switches: list[bool | None], what: str) -> tuple[bool | None, str]:
    """M-V3 from per-post comment switches (True open, False closed, None not shown): open when one
    post is open, missing only when every post says closed, else not known."""
    if any(s is True for s in switches):
        return True, f"评论开放：{switches.count(True)}/{len(switches)}条{what}可评论"
    if switches and all(s is False for s in switches):
        return False, f"全部{len(switches)}条{what}已关闭评论"
    return None, f"{what}列表未显示评论是否开放"
