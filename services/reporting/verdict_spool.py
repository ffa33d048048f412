"""The verdicts of one sweep on disk as they arrive, so a national sweep (50,000 sites) does not
hold them all in memory: the raw messages are appended to a file, and only an index (site id →
offset of its latest verdict) stays in memory. Reports read them back one at a time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
from nats.aio.msg import Msg

from checkers.model import UNMEASURED
from services.bus.jetstream import SUBJECT_VERDICT, Bus
from services.bus.schema import SiteVerdict


class _SiteOnly(msgspec.Struct):
    site_id: str


class _Head(msgspec.Struct):
    """What the index needs of a verdict message; the rest is not decoded."""

    site: _SiteOnly


class VerdictSpool:
    """Append-only file of one sweep's verdict messages; a redelivered verdict replaces the
    earlier one (the index points to the latest)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w+b")
        self._index: dict[str, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, site_id: object) -> bool:
        return site_id in self._index

    def add(self, data: bytes) -> str:
        """Store one verdict message (JSON of a SiteVerdict); returns its site id."""
        site_id = msgspec.json.decode(data, type=_Head).site.site_id
        offset = self._file.seek(0, 2)
        self._file.write(data + b"\n")
        self._index[site_id] = (offset, len(data))
        return site_id

    def add_verdict(self, verdict: SiteVerdict) -> None:
        self.add(msgspec.json.encode(verdict))

    def __iter__(self) -> Iterator[SiteVerdict]:
        """The latest verdict of each site, in site id order, decoded one at a time."""
        self._file.flush()
        for site_id in sorted(self._index):
            offset, size = self._index[site_id]
            self._file.seek(offset)
            yield msgspec.json.decode(self._file.read(size), type=SiteVerdict)

    def close(self) -> None:
        self._file.close()


def for_report(verdict: SiteVerdict) -> SiteVerdict:
    """The verdict cut to what the 通报 reads (region, outcome, holding vetoes, the reason a site
    went unchecked): about a tenth of the full verdict, so 50,000 of them fit in memory."""
    full = verdict.verdict
    keep_reasons = full.verdict == UNMEASURED and not full.blocked_by
    findings = [
        msgspec.structs.replace(f, evidence=[])
        for f in full.findings
        if (f.level == "veto" and f.holds) or (keep_reasons and f.level == "unmeasured")
    ]
    unmeasured = list(full.unmeasured) if keep_reasons else []
    slim = msgspec.structs.replace(full, findings=findings, unmeasured=unmeasured)
    return msgspec.structs.replace(verdict, verdict=slim, links=None)


async def spool_verdicts(
    bus: Bus,
    sweep_id: str,
    expected: int,
    timeout_s: float,
    spool: VerdictSpool,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Append the sweep's verdicts to `spool` until one per site is in or the time is up."""
    done = asyncio.Event()

    async def on_msg(msg: Msg) -> None:
        spool.add(msg.data)
        if progress:
            progress(len(spool), expected)
        if len(spool) >= expected:
            done.set()

    subject = SUBJECT_VERDICT.format(sweep_id=sweep_id, site_id="*")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while expected and not done.is_set():
        left = deadline - loop.time()
        if left <= 0 or not await bus.wait_ready(left):
            break
        # The ordered consumer lives in the server's memory: after a reconnect (a restarted
        # server may have lost it) subscribe again; verdicts already seen just replace themselves.
        generation = bus.generation
        sub = await bus.js.subscribe(subject, ordered_consumer=True, cb=on_msg)
        try:
            while not done.is_set() and bus.generation == generation:
                left = deadline - loop.time()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), min(left, 1.0))
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
