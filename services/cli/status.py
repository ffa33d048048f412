"""`govsweep status [SWEEP]`: where a sweep stands, read from NATS alone (no role's memory).

Sites done (a verdict is on the results stream), in flight (home page read, no verdict yet),
pending (no home result yet); per durable consumer its backlog, unacknowledged and redelivered
jobs; dead letters per consumer.
"""

from __future__ import annotations

import sys

import msgspec
from nats.js.errors import NotFoundError

from services.bus.jetstream import (
    CONSUMERS,
    RESULTS_STREAM,
    SUBJECT_HOME,
    SUBJECT_SWEEP,
    SUBJECT_VERDICT,
    Bus,
)
from services.bus.schema import SweepStarted
from services.cli.common import UsageError, print_json
from services.config import Config
from services.roles.runtime import Runtime


class ConsumerLag(msgspec.Struct):
    consumer: str
    pending: int  # not yet delivered
    ack_pending: int  # delivered, not yet acknowledged (being worked on)
    redelivered: int


class SweepStatus(msgspec.Struct):
    sweep_id: str
    at: str
    quarter: str
    sites: int
    done: int
    in_flight: int
    pending: int
    consumers: list[ConsumerLag]
    dead_letters: dict[str, int]  # consumer → jobs parked on the dead-letter subject


async def _subjects(bus: Bus, pattern: str) -> dict[str, int]:
    info = await bus.js.stream_info(RESULTS_STREAM, subjects_filter=pattern)
    return info.state.subjects or {}


async def sweep_status(bus: Bus, sweep_id: str | None = None) -> SweepStatus:
    """The status of `sweep_id` (default: the latest sweep started); LookupError if none."""
    subject = SUBJECT_SWEEP.format(sweep_id=sweep_id or "*")
    try:
        raw = await bus.js.get_last_msg(RESULTS_STREAM, subject)
    except NotFoundError:
        raise LookupError(
            f"no sweep {sweep_id!r} on the results stream"
            if sweep_id
            else "no sweep on the results stream yet"
        ) from None
    started = msgspec.json.decode(raw.data or b"", type=SweepStarted)
    sweep = started.sweep_id
    done = len(await _subjects(bus, SUBJECT_VERDICT.format(sweep_id=sweep, site_id="*")))
    homes = len(await _subjects(bus, SUBJECT_HOME.format(sweep_id=sweep, site_id="*")))
    consumers = []
    for durable, (stream, _) in CONSUMERS.items():
        info = await bus.js.consumer_info(stream, durable)
        consumers.append(
            ConsumerLag(
                durable, info.num_pending or 0, info.num_ack_pending or 0, info.num_redelivered or 0
            )
        )
    dead = await _subjects(bus, "govsweep.results.deadletter.*")
    return SweepStatus(
        sweep_id=sweep,
        at=started.at,
        quarter=started.quarter,
        sites=started.sites,
        done=done,
        in_flight=max(homes - done, 0),
        pending=max(started.sites - max(homes, done), 0),
        consumers=consumers,
        dead_letters={subject.rsplit(".", 1)[1]: n for subject, n in dead.items()},
    )


def format_status(status: SweepStatus) -> str:
    lines = [
        f"检测批次 {status.sweep_id}  (T={status.at}, {status.quarter})",
        f"网站 {status.sites}: 已完成 {status.done}  进行中 {status.in_flight}  待处理 {status.pending}",
        "",
        f"{'consumer':<16}{'pending':>10}{'ack_pending':>13}{'redelivered':>13}",
    ]
    for lag in status.consumers:
        lines.append(
            f"{lag.consumer:<16}{lag.pending:>10}{lag.ack_pending:>13}{lag.redelivered:>13}"
        )
    dead = ", ".join(f"{c} {n}" for c, n in sorted(status.dead_letters.items())) or "无"
    lines += ["", f"死信 (dead letters): {dead}"]
    return "\n".join(lines) + "\n"


async def status_command(config: Config, sweep_id: str | None, as_json: bool) -> int:
    """`govsweep status`: print the sweep's status (JSON with --json)."""
    config = msgspec.structs.replace(config, metrics_port=-1)
    async with Runtime(config) as rt:
        assert rt.bus is not None
        try:
            status = await sweep_status(rt.bus, sweep_id)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    if as_json:
        print_json(status)
    else:
        sys.stdout.write(format_status(status))
    return 0
