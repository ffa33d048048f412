"""Per-platform politeness summed over every account process: one `HostLimits` per platform on the
shared KV bucket, each with the platform's rate and concurrency (scaled like
`crawler.platforms.read.PlatformPoliteness`), and the per-host crawl limits for anything else
(sites read for 转载). Same interface as `crawler.politeness.Politeness`, plus `assign`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from nats.js import JetStreamContext

from crawler.platforms.read import ADAPTERS
from services.bus.host_limits import HostLimits


class PlatformLimits:
    def __init__(self, platforms: dict[str, HostLimits], default: HostLimits) -> None:
        self.platforms = platforms
        self.default = default
        self._platform_of: dict[str, str] = {}

    @classmethod
    async def open(
        cls, js: JetStreamContext, scale: float, concurrency: int, rate: float
    ) -> PlatformLimits:
        platforms = {
            name: await HostLimits.open(js, adapter.concurrency, adapter.rate * scale)
            for name, adapter in ADAPTERS.items()
        }
        return cls(platforms, await HostLimits.open(js, concurrency, rate))

    def assign(self, url: str, platform: str) -> None:
        parts = urlsplit(url)
        self._platform_of[f"{parts.scheme}://{parts.netloc}"] = platform

    def _limits(self, host: str) -> HostLimits:
        return self.platforms.get(self._platform_of.get(host, ""), self.default)

    def slot(self, host: str) -> AbstractAsyncContextManager[None]:
        return self._limits(host).slot(host)

    def slow_down(self, host: str, retry_after_s: float | None) -> float:
        return self._limits(host).slow_down(host, retry_after_s)

    def succeeded(self, host: str) -> None:
        self._limits(host).succeeded(host)

    async def close(self) -> None:
        for limits in [*self.platforms.values(), self.default]:
            await limits.close()
