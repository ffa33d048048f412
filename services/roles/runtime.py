"""Bring a process up: the bus (configured or embedded), /metrics, and the roles it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from services import metrics
from services.bus.jetstream import CONSUMERS, Bus, EmbeddedServer, redact
from services.config import Config
from services.log import log
from services.roles import aggregator, browser_worker, check_worker, crawl_worker

RoleMain = Callable[[Bus, Config, asyncio.Event], Coroutine[Any, Any, None]]

ROLES: dict[str, RoleMain] = {
    "crawler": crawl_worker.run,
    "browser": browser_worker.run,
    "checker": check_worker.run,
    "aggregator": aggregator.run,
}

# The durable consumers each role pulls from: their backlog is exported by the processes running it.
ROLE_CONSUMERS: dict[str, list[str]] = {
    "crawler": ["crawl-site", "crawl-column", "crawl-priority"],
    "browser": ["browser"],
    "checker": ["checker"],
    "aggregator": ["aggregator"],
}

STOP_GRACE_S = 20.0


class Runtime:
    """`async with Runtime(config) as rt:` — embedded nats-server when no URL is configured."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.server: EmbeddedServer | None = None
        self.bus: Bus | None = None
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.metrics_port: int | None = None
        self.watched: list[tuple[str, str]] = []  # (stream, consumer) whose backlog is exported
        self.watcher: asyncio.Task | None = None

    @property
    def embedded(self) -> bool:
        return not self.config.nats_url

    async def __aenter__(self) -> Runtime:
        url = self.config.nats_url
        if self.embedded:
            self.server = EmbeddedServer(Path(self.config.state_dir))
            await self.server.start()
            url = self.server.url
        # The embedded server has no accounts and one node: default login, one replica.
        self.bus = await Bus.connect(url, None if self.embedded else self.config.nats)
        nc = self.bus.nc
        self.metrics_port = metrics.serve(
            self.config.metrics_port, self.config.metrics_addr, ready=self.bus.is_ready
        )
        self.watcher = asyncio.create_task(
            metrics.watch_bus(lambda: nc.is_connected, self.bus.js, self.watched)
        )
        log(
            "runtime up",
            {"nats": redact(url), "embedded": self.embedded, "metrics": self.metrics_port},
        )
        return self

    def embedded_roles(self) -> list[str]:
        """Every role, in one process; the browser role only when rendering is enabled."""
        return [r for r in ROLES if r != "browser" or self.config.browser.enabled]

    def start_roles(self, roles: list[str]) -> None:
        assert self.bus is not None
        for role in roles:
            self.watched += [(CONSUMERS[c][0], c) for c in ROLE_CONSUMERS[role]]
            self.tasks.append(asyncio.create_task(ROLES[role](self.bus, self.config, self.stop)))

    async def wait(self) -> None:
        """Run the roles until one of them fails or the process is told to stop."""
        if self.tasks:
            await asyncio.gather(*self.tasks)

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.watcher:
            self.watcher.cancel()
            await asyncio.gather(self.watcher, return_exceptions=True)
        if self.bus:
            await self.bus.close()
        if self.server:
            await self.server.stop()
