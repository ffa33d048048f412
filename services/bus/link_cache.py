"""Link checks deduplicated per sweep across every crawler process, in a NATS KV bucket.

A process checks a link it has not heard of, and writes the final statuses it settles in batches:
`flush` (crawler.links.LinkChecker calls it when a page's links are done, so before the page's
facts and the jobs that follow them are published) puts every status settled since the last one
under one key `<sweep>.<writer>-<n>` (services.bus.schema.LinkBatch). Each process watches its
sweep's keys (one ordered consumer) and keeps the statuses by URL in memory (the least recently
used forgotten first, bounded): a link someone already settled costs no KV operation and no
request, and a sweep costs one KV put per page that found new links, not a claim and a put per
link. The price: two processes meeting a new link at the same moment both check it.

A link whose first outcome needs a re-check (broken, timeout, 429) is held: the claim is written
at once (with whatever else is pending), so that other processes wait for its final status on
the watch (bounded) instead of probing it during the pause; a hold older than `lease_s` belonged
to a worker that died, and the next caller checks the link itself. Only final statuses are
written: crawler.links re-checks a failing link before it settles.

Hosts that refuse HEAD are shared too (KvHeadRefusals): one key per host, watched by every
process, so that each goes straight to GET for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
from collections.abc import Callable
from itertools import count

import msgspec
import nats.errors
from nats.js import JetStreamContext
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from crawler.links import not_ready
from crawler.model import LinkStatus
from services.bus.jetstream import LINKS_BUCKET
from services.bus.schema import LinkBatch

BUCKET = LINKS_BUCKET  # declared by the bus (TTL: a sweep's link statuses are kept a week)
LOAD_WAIT_S = 10.0  # for a watch's initial values, at most (then callers check for themselves)
# A settled status waits at most this long to be shared (a page waiting on a re-check ends late).
FLUSH_AFTER_S = 1.0
# Statuses a process remembers per sweep (least recently used forgotten first): a forgotten one
# costs a request again, not a wrong answer. About 15 MB at the limit.
KNOWN_MAX = 50_000
BATCH_MAX = 2_000  # statuses per KV value (about 250 KB at most, under the 1 MB message limit)
HEAD_PREFIX = "nohead"  # keys nohead.<hash of the origin>: hosts that refuse HEAD

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(LinkBatch).decode


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class _Watch:
    """A KV watch on the keys under one prefix of the bucket, each value handed to `note` (the
    values already there first); deletions are ignored (nothing here deletes, TTL only expires)."""

    def __init__(self, kv: KeyValue, prefix: str, note: Callable[[str, bytes], None]) -> None:
        self.kv = kv
        self.prefix = prefix
        self.note = note
        self._watcher: KeyValue.KeyWatcher | None = None
        self._reader: asyncio.Task[None] | None = None
        self.loaded = asyncio.Event()

    async def start(self) -> None:
        """Start watching (once) and wait, bounded, until the keys already there are known."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())
        if not self.loaded.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.loaded.wait(), LOAD_WAIT_S)

    async def _read(self) -> None:
        try:
            self._watcher = await self.kv.watch(f"{self.prefix}.*")
            async for entry in self._watcher:
                if entry is None:  # the initial values have all arrived
                    self.loaded.set()
                elif entry.value and entry.operation not in (KV_DEL, KV_PURGE):
                    self.note(entry.key, entry.value)
        finally:
            self.loaded.set()  # a failed watch: callers check for themselves instead of waiting

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
    process (the statuses heard and the watch live in it); `close` it when the sweep is done."""

    def __init__(self, kv: KeyValue, sweep_id: str, wait_s: float = 120.0, lease_s: float = 150.0):
        if not sweep_id or any(c in sweep_id for c in " .*>") or sweep_id == HEAD_PREFIX:
            raise ValueError(f"KvLinkCache: sweep id {sweep_id!r} must be one subject token")
        self.kv = kv
        self.sweep_id = sweep_id
        self.wait_s = wait_s
        self.lease_s = lease_s
        self._watch = _Watch(kv, sweep_id, self._note)
        self._writer = secrets.token_hex(6)  # this cache's batch keys: <sweep>.<writer>-<n>
        self._batches = count()
        self._known: dict[str, LinkStatus] = {}  # URL → final status, least recently used first
        self._held: dict[str, float] = {}  # URL → when a worker held it for a re-check
        self._mine: set[str] = set()  # the URLs of _held that this cache holds
        self._checking: dict[str, asyncio.Future[LinkStatus]] = {}  # URL → its check here
        self._changed: dict[str, asyncio.Event] = {}  # URL → set when a status or hold is heard
        self._settled: list[LinkStatus] = []  # the next batch: statuses, holds, released holds
        self._holds: dict[str, float] = {}
        self._released: list[str] = []
        self._flushing = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None  # the timed flush, while one is due
        self._flushes: set[asyncio.Task[None]] = set()  # timed flushes running

    @staticmethod
    async def bucket(js: JetStreamContext) -> KeyValue:
        """Bind the shared bucket (declared by services.bus.jetstream, again after every reconnect)."""
        return await js.key_value(BUCKET)

    async def claim(self, url: str) -> LinkStatus | None:
        await self._watch.start()
        deadline: float | None = None
        while True:
            known = self._recall(url)
            if known is not None:
                return known
            checking = self._checking.get(url)
            if checking is not None:  # this process checks it already: its answer
                try:
                    return await asyncio.wait_for(asyncio.shield(checking), self.wait_s)
                except TimeoutError:
                    return not_ready(url, self.wait_s)
            held_at = self._held.get(url)
            lease_left = held_at + self.lease_s - time.time() if held_at is not None else 0.0
            if lease_left <= 0:  # new to every process, or its holder died: ours to check
                self._checking[url] = asyncio.get_running_loop().create_future()
                return None
            # Another process re-checks it: the watch tells when it settles.
            now = time.monotonic()
            deadline = deadline or now + self.wait_s
            if now >= deadline:
                return not_ready(url, self.wait_s)
            event = self._changed.setdefault(url, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(deadline - now, lease_left))

    def known(self, url: str) -> LinkStatus | None:
        return self._recall(url)

    async def hold(self, url: str) -> None:
        """The link needs a re-check: tell the other processes to wait for its final status."""
        self._held[url] = self._holds[url] = time.time()
        self._mine.add(url)
        await self.flush()

    async def settle(self, url: str, status: LinkStatus) -> None:
        self._remember(url, status)
        self._settled.append(status)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_AFTER_S, self._flush_due)
        self._mine.discard(url)
        self._holds.pop(url, None)  # not written yet: the status says it all
        self._done(url, status)

    async def abandon(self, url: str) -> None:
        """Give the check up: waiters here get not_ready, other processes stop waiting on a hold."""
        self._done(url, not_ready(url, 0))
        if url in self._mine:
            self._mine.discard(url)
            self._held.pop(url, None)
            self._holds.pop(url, None)
            self._released.append(url)
            await self.flush()

    async def flush(self) -> None:
        """Write what was settled, held or released since the last flush, in one batch (more
        when over BATCH_MAX statuses)."""
        if not (self._settled or self._holds or self._released):
            return
        async with self._flushing:  # holds arriving meanwhile go out together in the next batch
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            while self._settled or self._holds or self._released:
                settled, self._settled = self._settled[:BATCH_MAX], self._settled[BATCH_MAX:]
                batch = LinkBatch.of(settled, self._holds, self._released)
                self._holds, self._released = {}, []
                key = f"{self.sweep_id}.{self._writer}-{next(self._batches)}"
                try:
                    await self.kv.put(key, _encode(batch))
                except BaseException:
                    # Kept for the next flush (the job fails and is delivered again meanwhile).
                    self._settled[:0] = settled
                    self._holds = batch.held | self._holds
                    self._released[:0] = batch.released
                    raise

    async def close(self) -> None:
        await self._flush_quietly()
        await self._watch.close()

    def _flush_due(self) -> None:
        self._timer = None
        task = asyncio.create_task(self._flush_quietly())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush_quietly(self) -> None:
        with contextlib.suppress(nats.errors.Error, OSError, TimeoutError):
            await self.flush()  # what failed is kept: the next page's flush raises it

    def _recall(self, url: str) -> LinkStatus | None:
        status = self._known.pop(url, None)
        if status is not None:
            self._known[url] = status  # now the most recently used
        return status

    def _remember(self, url: str, status: LinkStatus) -> None:
        self._known.pop(url, None)
        self._known[url] = status
        self._held.pop(url, None)
        if len(self._known) > KNOWN_MAX:
            del self._known[next(iter(self._known))]

    def _done(self, url: str, status: LinkStatus) -> None:
        future = self._checking.pop(url, None)
        if future is not None and not future.done():
            future.set_result(status)

    def _note(self, key: str, value: bytes) -> None:
        """A batch heard on the watch (another process's, or one of ours coming back)."""
        batch = _decode(value)
        for status in batch.final():
            if status.url not in self._known:  # ours coming back: known, and where it was used
                self._remember(status.url, status)
            self._wake(status.url)
        for url, held_at in batch.held.items():
            if url not in self._known and url not in self._mine:
                self._held[url] = held_at
                self._wake(url)
        for url in batch.released:
            if url not in self._mine:
                self._held.pop(url, None)
                self._wake(url)

    def _wake(self, url: str) -> None:
        event = self._changed.pop(url, None)
        if event is not None:
            event.set()


class KvHeadRefusals:
    """crawler.links.HeadRefusals shared by every process: the hosts that refuse HEAD."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv
        self._hosts: set[str] = set()  # recorded here or heard (a key's value is its host)
        self._watch = _Watch(kv, HEAD_PREFIX, lambda _, host: self._hosts.add(host.decode()))

    async def start(self) -> None:
        await self._watch.start()

    def refuses(self, host: str) -> bool:
        return host in self._hosts

    async def refused(self, host: str) -> None:
        if host in self._hosts:
            return
        self._hosts.add(host)
        try:
            await self.kv.create(f"{HEAD_PREFIX}.{_digest(host)}", host.encode())
        except nats.errors.Error:
            pass  # recorded by another process first, or the bus is away: this process knows

    async def close(self) -> None:
        await self._watch.close()
