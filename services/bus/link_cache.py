"""Link checks deduplicated per sweep across every crawler process, in a NATS KV bucket.

The key is the sweep plus a hash of the URL. The first worker to create it checks the link and
writes its final status. Each process watches the sweep's keys (one ordered consumer), so it
learns every claim and final status as it is written: a link someone already settled costs no
KV operation, a link someone else is checking is awaited on that watch (with a sparse, bounded
re-read in case an update was missed), and a URL asked for again in the same process is answered
from memory. So a process makes at most one create per unique link, and the worker that checks
it one put. A claim older than `lease_s` belonged to a worker that died: the next caller takes it
over (compare-and-set). Only final statuses are written: crawler.links re-checks a failing link
before it settles.

Hosts that refuse HEAD are shared the same way (KvHeadRefusals): one key per host, watched by
every process, so that each goes straight to GET for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time

import msgspec
import nats.errors
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from crawler.links import not_ready
from crawler.model import LinkStatus
from services.bus.jetstream import LINKS_BUCKET

BUCKET = LINKS_BUCKET  # declared by the bus (TTL: a sweep's link statuses are kept a week)
REREAD_S = 10.0  # while waiting on the watch for another worker's status, re-read it this often
LOAD_WAIT_S = 10.0  # for a watch's initial values, at most (then the bucket is asked key by key)
KV_IN_FLIGHT = 32  # KV operations of one cache at a time (a page's claims are pipelined)
# Keys and URLs a process remembers per sweep (oldest forgotten first): a forgotten one costs a
# KV read, not a wrong answer. About 20 MB each at the limit.
MIRROR_MAX = 40_000
LOCAL_MAX = 40_000
HEAD_PREFIX = "nohead"  # keys nohead.<hash of the origin>: hosts that refuse HEAD


class LinkEntry(msgspec.Struct, omit_defaults=True):
    """A claim (status None, claimed at a wall-clock time) or a final status."""

    claimed_at: float
    status: LinkStatus | None = None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class _Mirror:
    """The keys under one prefix of the bucket, kept current in memory by a KV watch."""

    def __init__(self, kv: KeyValue, prefix: str) -> None:
        self.kv = kv
        self.prefix = prefix
        self.entries: dict[str, tuple[bytes, int]] = {}  # key → (value, revision)
        self._changed: dict[str, asyncio.Event] = {}
        self._watcher: KeyValue.KeyWatcher | None = None
        self._reader: asyncio.Task[None] | None = None
        self._loaded = asyncio.Event()

    async def start(self) -> None:
        """Start watching (once) and wait, bounded, until the keys already there are known."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())
        if not self._loaded.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._loaded.wait(), LOAD_WAIT_S)

    async def _read(self) -> None:
        try:
            self._watcher = await self.kv.watch(f"{self.prefix}.*")
            async for entry in self._watcher:
                if entry is None:  # the initial values have all arrived
                    self._loaded.set()
                else:
                    self.note(entry.key, entry.value, entry.revision, entry.operation)
        finally:
            self._loaded.set()  # a failed watch: callers ask the bucket instead of waiting

    def note(self, key: str, value: bytes | None, revision: int | None, op: str | None) -> None:
        """Record a key's new value (the watch's, or one this process wrote or read)."""
        known = self.entries.get(key)
        if known is not None and revision is not None and known[1] > revision:
            return  # an older change arriving late (the watch behind our own write or read)
        if op in (KV_DEL, KV_PURGE) or value is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = (value, revision or 0)
            if len(self.entries) > MIRROR_MAX:
                del self.entries[next(iter(self.entries))]
        event = self._changed.pop(key, None)
        if event is not None:
            event.set()

    async def changed(self, key: str, timeout: float) -> None:
        """Wait, at most `timeout`, for the key to change."""
        event = self._changed.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._watcher is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await self._watcher.stop()


class KvLinkCache:
    """A crawler.links.LinkCache shared by every worker of a sweep. Keep one per sweep and
    process (the in-process answers and the watch live in it); `close` it when the sweep is done."""

    def __init__(self, kv: KeyValue, sweep_id: str, wait_s: float = 120.0, lease_s: float = 150.0):
        if not sweep_id or any(c in sweep_id for c in " .*>") or sweep_id == HEAD_PREFIX:
            raise ValueError(f"KvLinkCache: sweep id {sweep_id!r} must be one subject token")
        self.kv = kv
        self.sweep_id = sweep_id
        self.wait_s = wait_s
        self.lease_s = lease_s
        self._mirror = _Mirror(kv, sweep_id)
        self._local: dict[str, asyncio.Future[LinkStatus]] = {}  # URL → its final status here
        self._ops = asyncio.Semaphore(KV_IN_FLIGHT)

    @staticmethod
    async def bucket(js: JetStreamContext) -> KeyValue:
        """Bind the shared bucket (declared by services.bus.jetstream, again after every reconnect)."""
        return await js.key_value(BUCKET)

    def key(self, url: str) -> str:
        return f"{self.sweep_id}.{_digest(url)}"

    async def claim(self, url: str) -> LinkStatus | None:
        known = self._local.get(url)
        if known is not None:  # asked before in this process: its answer, without KV
            if known.done():
                return known.result()
            try:
                return await asyncio.wait_for(asyncio.shield(known), self.wait_s)
            except TimeoutError:
                return not_ready(url, self.wait_s)
        future = self._local[url] = asyncio.get_running_loop().create_future()
        self._trim()
        try:
            status = await self._claim(url)
        except BaseException:
            self._forget(url, not_ready(url, 0))
            raise
        if status is None:
            return None  # ours to check: settle or abandon resolves the future
        if status.error and status.error.startswith("not_ready"):
            self._forget(url, status)  # not final: the next caller asks the bucket again
        elif not future.done():
            future.set_result(status)
        return status

    async def settle(self, url: str, status: LinkStatus) -> None:
        key = self.key(url)
        value = msgspec.json.encode(LinkEntry(time.time(), status))
        async with self._ops:
            revision = await self.kv.put(key, value)
        self._mirror.note(key, value, revision, None)
        future = self._local.get(url)
        if future is not None and not future.done():
            future.set_result(status)

    async def abandon(self, url: str) -> None:
        """Give the claim up, so that another worker checks the link at once."""
        self._forget(url, not_ready(url, 0))
        try:
            async with self._ops:
                await self.kv.delete(self.key(url))
        except KeyNotFoundError:
            pass

    async def close(self) -> None:
        await self._mirror.close()

    def _trim(self) -> None:
        """Forget the oldest answers beyond LOCAL_MAX (a pending one moves to the back)."""
        for _ in range(len(self._local) - LOCAL_MAX):
            url, future = next(iter(self._local.items()))
            del self._local[url]
            if not future.done():
                self._local[url] = future

    def _forget(self, url: str, status: LinkStatus) -> None:
        future = self._local.pop(url, None)
        if future is not None and not future.done():
            future.set_result(status)

    async def _claim(self, url: str) -> LinkStatus | None:
        """The bucket's answer: None when the link is ours to check, else its final status (or
        not_ready once `wait_s` has passed while another worker held it)."""
        await self._mirror.start()
        key = self.key(url)
        deadline = time.monotonic() + self.wait_s
        reread = False
        while (left := deadline - time.monotonic()) > 0:
            if reread:
                await self._read(key)
            seen = self._mirror.entries.get(key)
            if seen is None:
                if await self._write(key, None):
                    return None
                await self._read(key)  # someone was first: what did they write?
                continue
            value, revision = seen
            entry = msgspec.json.decode(value, type=LinkEntry)
            if entry.status is not None:
                return entry.status
            lease_left = entry.claimed_at + self.lease_s - time.time()
            if lease_left <= 0:
                if await self._write(key, revision):
                    return None  # the claimant died: ours now
                await self._read(key)
                continue
            # Another worker is checking it: the watch tells when it settles.
            pause = min(left, lease_left, REREAD_S)
            await self._mirror.changed(key, pause)
            reread = self._mirror.entries.get(key) == seen  # no news: read it ourselves
        return not_ready(url, self.wait_s)

    async def _read(self, key: str) -> None:
        async with self._ops:
            try:
                entry = await self.kv.get(key)
            except KeyNotFoundError:
                self._mirror.note(key, None, None, KV_DEL)
                return
        self._mirror.note(key, entry.value, entry.revision, entry.operation)

    async def _write(self, key: str, revision: int | None) -> bool:
        """Claim the key: create it (revision None) or replace that revision (a stale claim);
        False if someone was first."""
        value = msgspec.json.encode(LinkEntry(time.time()))
        try:
            async with self._ops:
                if revision is None:
                    written = await self.kv.create(key, value)
                else:
                    written = await self.kv.update(key, value, last=revision)
        except KeyWrongLastSequenceError:
            return False
        self._mirror.note(key, value, written, None)
        return True


class KvHeadRefusals:
    """crawler.links.HeadRefusals shared by every process: the hosts that refuse HEAD."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self._mirror = _Mirror(kv, HEAD_PREFIX)
        self._recorded: set[str] = set()

    async def start(self) -> None:
        await self._mirror.start()

    def refuses(self, host: str) -> bool:
        return host in self._recorded or self._key(host) in self._mirror.entries

    async def refused(self, host: str) -> None:
        if self.refuses(host):
            return
        self._recorded.add(host)
        try:
            await self.kv.create(self._key(host), host.encode())
        except nats.errors.Error:
            pass  # recorded by another process first, or the bus is away: this process knows

    async def close(self) -> None:
        await self._mirror.close()

    @staticmethod
    def _key(host: str) -> str:
        return f"{HEAD_PREFIX}.{_digest(host)}"
