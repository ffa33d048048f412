"""Account sweep throughput on the simulated platforms, and the per-platform politeness at work.

    .venv/bin/python bench/bench_accounts.py                   # 700 accounts, loopback rates
    .venv/bin/python bench/bench_accounts.py --polite 12       # + 12 accounts at the real rates

Part 1 runs a full account sweep (embedded nats-server, the account role, judging) with the loopback
farm settings and prints accounts/s. Part 2 reads N accounts of one platform through the adapters'
real politeness (0.5 request/s per platform) and prints the request rate the platform saw, which must
not exceed the adapter's rate; then the same with two processes' gates sharing one nats-server. Everything stays on 127.0.0.0/8; bounded by the counts given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from crawler.fetch import Fetcher
from crawler.netguard import NetPolicy
from crawler.platforms.read import ADAPTERS, PlatformPoliteness, read_account
from farm.accounts import generate_accounts
from farm.platforms import PlatformFarm
from services.bus.jetstream import Bus, EmbeddedServer
from services.bus.platform_limits import PlatformLimits
from services.config import LOOPBACK, Config, for_loopback_farm
from services.media_registry import load_accounts
from services.roles.media_sweep import run_account_sweep
from services.roles.scheduler import quarter_of

AT = date(2024, 3, 20)


async def sweep(n: int) -> None:
    specs = generate_accounts(n, 1, AT)
    with tempfile.TemporaryDirectory() as tmp:
        config = for_loopback_farm(Config(state_dir=f"{tmp}/state", metrics_port=-1))
        async with PlatformFarm(specs) as farm:
            farm.write_registry_csv(Path(tmp) / "accounts.csv")
            accounts = load_accounts(Path(tmp) / "accounts.csv")
            started = time.monotonic()
            _, verdicts = await run_account_sweep(config, accounts, AT, quarter_of(AT), [], 600)
            seconds = time.monotonic() - started
    late = sum("sweep timeout" in " ".join(v.verdict.unmeasured) for v in verdicts)
    rate = n / seconds
    print(
        f"account sweep: {n} accounts in {seconds:.1f} s = {rate:.1f} accounts/s, {late} timed out"
    )


async def polite_shared(n: int, platform: str = "weibo") -> None:
    """Two account processes' gates (two PlatformLimits on one nats-server) reading one platform."""
    specs = [s for s in generate_accounts(n * 7, 3, AT) if s.platform == platform][:n]
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedServer(Path(tmp))
        await server.start()
        buses = [await Bus.connect(server.url) for _ in range(2)]
        try:
            gates = [await PlatformLimits.open(b.js, 1.0, 2, 4.0) for b in buses]
            async with PlatformFarm(specs) as farm:
                fetchers = [Fetcher(g, policy=NetPolicy([LOOPBACK])) for g in gates]  # type: ignore[arg-type]
                for f in fetchers:
                    await f.__aenter__()
                started = time.monotonic()
                await asyncio.gather(
                    *(
                        read_account(fetchers[i % 2], platform, farm.url(s))
                        for i, s in enumerate(specs)
                    )
                )
                seconds = time.monotonic() - started
                for f in fetchers:
                    await f.__aexit__()
        finally:
            for b in buses:
                await b.close()
            await server.stop()
    rate = (farm.requests - 1) / seconds if farm.requests > 1 else 0.0
    print(
        f"shared politeness (2 processes): {farm.requests} requests to {platform} in "
        f"{seconds:.1f} s = {rate:.2f}/s (adapter rate {ADAPTERS[platform].rate}/s for all)"
    )


async def polite(n: int, platform: str = "weibo") -> None:
    specs = [s for s in generate_accounts(n * 7, 2, AT) if s.platform == platform][:n]
    async with (
        PlatformFarm(specs) as farm,
        Fetcher(PlatformPoliteness(scale=1.0), policy=NetPolicy([LOOPBACK])) as fetcher,
    ):
        started = time.monotonic()
        await asyncio.gather(*(read_account(fetcher, platform, farm.url(s)) for s in specs))
        seconds = time.monotonic() - started
    rate = (farm.requests - 1) / seconds if farm.requests > 1 else 0.0
    print(
        f"politeness: {farm.requests} requests to {platform} in {seconds:.1f} s = {rate:.2f}/s "
        f"(adapter rate {ADAPTERS[platform].rate}/s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=700)
    parser.add_argument("--polite", type=int, default=0, help="accounts read at the real rates")
    args = parser.parse_args()
    asyncio.run(sweep(args.accounts))
    if args.polite:
        asyncio.run(polite(args.polite))
        asyncio.run(polite_shared(args.polite))
    return 0


if __name__ == "__main__":
    sys.exit(main())
