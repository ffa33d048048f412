"""Sweeps whose roles are OS processes on a real nats-server: starting the roles and the sweep
command, watching the results stream, stopping the roles, and reading the reports they write."""

from __future__ import annotations

import asyncio
import csv
import json
import signal
import sys
from pathlib import Path

from services.bus.jetstream import RESULTS_STREAM, Bus
from services.cli.commands import run_sweep, write_reports
from services.config import Config, for_loopback_farm
from services.registry import load_registry
from services.roles.scheduler import quarter_of
from tests.conftest import AT

ROLES = ("crawler", "checker", "aggregator")
# The province the outage tests sweep: small, as each of them sweeps it twice.
SITES = 10
SEED = 11


async def spawn(args: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`python -m services ARGS`, its output in `log`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services",
        *args,
        env=env,
        stdout=log.open("wb"),
        stderr=asyncio.subprocess.STDOUT,
    )


async def spawn_role(role: str, env: dict[str, str], tmp_path: Path) -> asyncio.subprocess.Process:
    """`run ROLE` with its own state folder and log (tmp_path/ROLE, tmp_path/ROLE.log)."""
    role_env = {**env, "GOVSWEEP_STATE_DIR": str(tmp_path / role)}
    return await spawn(["run", role], role_env, tmp_path / f"{role}.log")


async def spawn_sweep(
    registry: Path, env: dict[str, str], tmp_path: Path, timeout: int
) -> asyncio.subprocess.Process:
    """The sweep command at `AT`: reports in tmp_path/dist, its log in tmp_path/sweep.log."""
    args = ["sweep", "--registry", str(registry), "--at", AT.isoformat()]
    args += ["--out", str(tmp_path / "dist"), "--timeout", str(timeout)]
    sweep_env = {**env, "GOVSWEEP_STATE_DIR": str(tmp_path / "cli")}
    return await spawn(args, sweep_env, tmp_path / "sweep.log")


async def sweep_succeeds(sweep: asyncio.subprocess.Process, tmp_path: Path, seconds: int) -> None:
    """The sweep command ends within `seconds` with status 0 (else its log is the message)."""
    assert await asyncio.wait_for(sweep.wait(), seconds) == 0, (tmp_path / "sweep.log").read_text()


async def stop(procs: list[asyncio.subprocess.Process], seconds: int) -> None:
    """SIGTERM to every role, then wait for each: they stop together, not one after the other."""
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        await asyncio.wait_for(proc.wait(), seconds)


async def results(bus: Bus, kind: str) -> int:
    """How many subjects of `kind` (home, verdict, …) the results stream holds."""
    info = await bus.js.stream_info(RESULTS_STREAM, subjects_filter=f"govsweep.results.{kind}.>")
    return len(info.state.subjects or {})


async def first_result(bus: Bus, kind: str) -> None:
    """Until the stream holds a result of `kind` (60 s at most): a sweep under way."""
    for _ in range(600):
        if await results(bus, kind):
            return
        await asyncio.sleep(0.1)


def table(folder: Path) -> list[list[str]]:
    """附件1 as its rows."""
    with (folder / "附件1_检查情况.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def verdicts(folder: Path) -> list[tuple[str, str, list[str]]]:
    """verdicts.jsonl as (site, verdict, indicators found)."""
    rows = [json.loads(line) for line in (folder / "verdicts.jsonl").open(encoding="utf-8")]
    return [
        (r["site_id"], r["verdict"], sorted(f["indicator"] for f in r["findings"])) for r in rows
    ]


_UNDISTURBED: list[tuple[list, list]] = []


async def undisturbed(registry: Path, tmp_path: Path) -> tuple[list, list]:
    """Verdicts and 附件1 of an embedded run without outage of the (SITES, SEED) province; computed
    once for every test that sweeps it (the farm's port is in no verdict or table cell)."""
    if not _UNDISTURBED:
        config = for_loopback_farm(Config(state_dir=str(tmp_path / "embedded"), metrics_port=-1))
        _, reference = await run_sweep(config, load_registry(registry), AT, quarter_of(AT), 240)
        write_reports(tmp_path / "ref", AT, quarter_of(AT), reference)
        _UNDISTURBED.append((verdicts(tmp_path / "ref"), table(tmp_path / "ref")))
    return _UNDISTURBED[0]
