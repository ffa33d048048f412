"""Read one account through its platform's adapter, politely.

Every platform gets its own admission (`PlatformPoliteness`): a platform is a handful of hosts that
throttle visitors across all accounts, so its rate is the adapter's (e.g. 0.5 request/s), not the
per-site crawl rate. A fetch that fails (refused, timeout, 403/412 WAF, 418/432 anti-crawl) is
未能检测 with the reason, never a verdict.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.fetch import Fetcher
from crawler.platforms.app import App
from crawler.platforms.baijiahao import Baijiahao
from crawler.platforms.base import PLATFORM_NAMES, AccountFacts, Adapter, unmeasured
from crawler.platforms.douyin import Douyin
from crawler.platforms.kuaishou import Kuaishou
from crawler.platforms.toutiao import Toutiao
from crawler.platforms.wechat import WeChat
from crawler.platforms.weibo import Weibo
from crawler.politeness import HostGate, Politeness

ADAPTERS: dict[str, Adapter] = {
    a.platform: a for a in (WeChat(), Weibo(), Douyin(), Toutiao(), Kuaishou(), Baijiahao(), App())
}
BLOCK_STATUSES = {403, 412, 418, 429, 432, 521}  # what platforms answer a visitor they refuse


class PlatformPoliteness(Politeness):
    """Per-host gates whose limits are the platform's, found by the host the adapter reads."""

    def __init__(self, scale: float = 1.0, concurrency: int = 2, rate: float = 4.0) -> None:
        super().__init__(concurrency, rate)  # for hosts that are not a platform (sites)
        self.scale = scale  # the loopback farm may go faster; real platforms get 1.0
        self._platform_of: dict[str, str] = {}

    def assign(self, url: str, platform: str) -> None:
        parts = urlsplit(url)
        self._platform_of[f"{parts.scheme}://{parts.netloc}"] = platform

    def gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            adapter = ADAPTERS.get(self._platform_of.get(host, ""))
            concurrency = adapter.concurrency if adapter else self.concurrency
            rate = adapter.rate if adapter else self.rate
            gate = self._gates[host] = HostGate(concurrency, rate * self.scale)
        return gate


async def read_account(fetcher: Fetcher, platform: str, address: str) -> AccountFacts:
    """The account's recent public posts, or why they could not be read."""
    adapter = ADAPTERS.get(platform)
    if adapter is None:
        return unmeasured(address, f"不支持的平台: {platform}")
    url = adapter.feed_url(address)
    assign = getattr(fetcher.politeness, "assign", None)  # a gate that knows platforms
    if assign is not None:
        assign(url, platform)
    page = await fetcher.get(url)
    name = PLATFORM_NAMES[platform]
    if page.body is None:
        status = page.result.status
        if status in BLOCK_STATUSES or page.result.error == "waf_challenge":
            return unmeasured(url, f"{name}拒绝访问 (HTTP {status})")
        return unmeasured(url, f"{name}无法访问 ({page.result.error or f'HTTP {status}'})")
    return adapter.parse(page.body, url)
