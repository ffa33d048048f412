"""Link checks deduplicated per sweep across every crawler process, in a NATS KV bucket.

The key is the sweep plus a hash of the URL. The first worker to create it checks the link and
writes its final status; the others poll the key (bounded) and read that status. A claim older
than `lease_s` belonged to a worker that died: the next caller takes it over (compare-and-set).
Only final statuses are written: crawler.links re-checks a failing link before it settles.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import msgspec
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from crawler.links import not_ready
from crawler.model import LinkStatus
from services.bus.jetstream import LINKS_BUCKET

BUCKET = LINKS_BUCKET  # declared by the bus (TTL: a sweep's link statuses are kept a week)
POLL_MIN_S = 0.05
POLL_MAX_S = 2.0


class LinkEntry(msgspec.Struct, omit_defaults=True):
    """A claim (status None, claimed at a wall-clock time) or a final status."""

    claimed_at: float
    status: LinkStatus | None = None


class KvLinkCache:
    """A crawler.links.LinkCache shared by every worker of a sweep."""

    def __init__(self, kv: KeyValue, sweep_id: str, wait_s: float = 120.0, lease_s: float = 150.0):
        if not sweep_id or any(c in sweep_id for c in " .*>"):
            raise ValueError(f"KvLinkCache: sweep id {sweep_id!r} must be one subject token")
        self.kv = kv
        self.sweep_id = sweep_id
        self.wait_s = wait_s
        self.lease_s = lease_s

    @staticmethod
    async def bucket(js: JetStreamContext) -> KeyValue:
        """Bind the shared bucket (declared by services.bus.jetstream, again after every reconnect)."""
        return await js.key_value(BUCKET)

    def key(self, url: str) -> str:
        return f"{self.sweep_id}.{hashlib.sha256(url.encode()).hexdigest()[:40]}"

    async def claim(self, url: str) -> LinkStatus | None:
        key = self.key(url)
        deadline = time.monotonic() + self.wait_s
        pause = POLL_MIN_S
        while time.monotonic() < deadline:
            if await self._write(key, None, LinkEntry(time.time())):
                return None  # ours to check
            try:
                entry = await self.kv.get(key)
            except KeyNotFoundError:
                continue  # given up between our create and get: try to create it again
            value = msgspec.json.decode(entry.value or b"", type=LinkEntry)
            if value.status is not None:
                return value.status
            stale = time.time() - value.claimed_at > self.lease_s
            if stale and await self._write(key, entry.revision, LinkEntry(time.time())):
                return None  # the claimant died: ours now
            await asyncio.sleep(pause)
            pause = min(pause * 2, POLL_MAX_S)
        return not_ready(url, self.wait_s)

    async def settle(self, url: str, status: LinkStatus) -> None:
        await self.kv.put(self.key(url), msgspec.json.encode(LinkEntry(time.time(), status)))

    async def abandon(self, url: str) -> None:
        """Give the claim up, so that another worker checks the link at once."""
        try:
            await self.kv.delete(self.key(url))
        except KeyNotFoundError:
            pass

    async def _write(self, key: str, revision: int | None, entry: LinkEntry) -> bool:
        """Create the key (revision None) or replace that revision; False if someone was first."""
        value = msgspec.json.encode(entry)
        try:
            if revision is None:
                await self.kv.create(key, value)
            else:
                await self.kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            return False
        return True
