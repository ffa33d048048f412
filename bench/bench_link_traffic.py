"""What link checking costs the bus in a farm sweep: KV operations and result bytes per site.

    .venv/bin/python bench/bench_link_traffic.py              # 30 farm sites, seed 7
    .venv/bin/python bench/bench_link_traffic.py --sites 60

An embedded sweep (every role in this process, a real nats-server) reads a simulated province
served on loopback. Counted while it runs: the operations on the links KV bucket (create, get,
put, update, delete, watch) and the bytes of the link parts of the home and column results
(what the crawler publishes about links, JSON as on the stream). Printed per site.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
from nats.js.kv import KeyValue

from farm.province import generate_province
from farm.server import FarmServer
from services.bus.jetstream import LINKS_BUCKET, Bus
from services.bus.schema import ColumnResult, HomeResult
from services.cli.commands import run_sweep
from services.config import Config, for_loopback_farm
from services.registry import load_registry
from services.roles.scheduler import quarter_of

AT = date(2024, 3, 20)  # the monitoring time point the farm is generated for
KV_OPS = ("create", "put", "update", "get", "delete", "watch")


def count_kv_ops(ops: Counter[str]) -> None:
    """Wrap the KV client's operations so that those on the links bucket are counted."""
    for name in KV_OPS:
        original = getattr(KeyValue, name)

        def counted(
            self: KeyValue, *args: Any, _original: Any = original, _name: str = name, **kw: Any
        ):
            if self._name == LINKS_BUCKET:
                ops[_name] += 1
            return _original(self, *args, **kw)

        setattr(KeyValue, name, counted)


def link_bytes(facts: msgspec.Struct) -> int:
    """Bytes of the facts' link fields in the published JSON (every field named link*)."""
    empty = {
        field: type(getattr(facts, field))()
        for field in facts.__struct_fields__
        if field.startswith("link") and getattr(facts, field) is not None
    }
    bare = msgspec.structs.replace(facts, **empty)
    return len(msgspec.json.encode(facts)) - len(msgspec.json.encode(bare))


def count_link_bytes(sizes: Counter[str]) -> None:
    """Wrap Bus.publish to measure the link parts of home and column results."""
    original = Bus.publish

    async def publish(self: Bus, subject: str, message: msgspec.Struct, msg_id: str | None = None):
        if isinstance(message, HomeResult | ColumnResult):
            facts = message.home if isinstance(message, HomeResult) else message.facts
            sizes["link"] += link_bytes(facts)
            sizes["all"] += len(msgspec.json.encode(message))
        await original(self, subject, message, msg_id)

    Bus.publish = publish  # type: ignore[method-assign]


async def sweep(sites: int, seed: int) -> None:
    ops: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    count_kv_ops(ops)
    count_link_bytes(sizes)
    province = generate_province(sites, seed, AT)
    with tempfile.TemporaryDirectory(prefix="bench-link-traffic-") as tmp:
        root = Path(tmp)
        async with FarmServer(province):
            province.write_registry_csv(root / "registry.csv")
            config = for_loopback_farm(Config(state_dir=str(root / "state"), metrics_port=-1))
            registry = load_registry(root / "registry.csv")
            wall, cpu = time.perf_counter(), time.process_time()
            _, verdicts = await run_sweep(config, registry, AT, quarter_of(AT), timeout=600)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    checked = sum(v.links.checked for v in verdicts if v.links)
    total = sum(ops.values())
    print(f"{sites} farm sites (seed {seed}), embedded sweep: {wall:.0f} s wall, {cpu:.0f} s CPU")
    print(f"distinct links per site (summed over sites): {checked / sites:.0f}")
    print(f"links KV ops per site: {total / sites:.1f}  ({dict(sorted(ops.items()))})")
    print(f"links KV ops per distinct link: {total / checked if checked else 0:.2f}")
    print(f"link-result bytes per site: {sizes['link'] / sites:.0f}")
    print(f"home + column result bytes per site: {sizes['all'] / sites:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(sweep(args.sites, args.seed))


if __name__ == "__main__":
    main()
