"""What the perf bench's sections share: child processes in their own process groups (all stopped
on exit, Ctrl-C or failure), CPU time and memory read from /proc, the politeness bound, the table."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP_GRACE_S = 10.0


class Procs:
    """Every child started through it runs in a new session (its own process group); leaving the
    `with` block sends SIGTERM to each group, then SIGKILL to what is still there after a grace."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[Any]] = []

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        stdout: int | IO[Any] | None = subprocess.DEVNULL,
        stderr: int | IO[Any] | None = subprocess.DEVNULL,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        cwd: Path = ROOT,
    ) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self, procs: Sequence[subprocess.Popen[Any]] | None = None) -> None:
        """SIGTERM the groups of `procs` (default: all), wait, then SIGKILL the survivors."""
        chosen = list(self.procs if procs is None else procs)
        for proc in chosen:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in chosen:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # The group may hold children (Chromium) that outlive their parent.
            _signal_group(proc, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(5)
        self.procs = [p for p in self.procs if p not in chosen]

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[Any], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the child's pid
    except (ProcessLookupError, PermissionError):
        pass


def sigterm_as_interrupt() -> None:
    """SIGTERM to the bench unwinds like Ctrl-C, so the `with Procs()` blocks stop their children."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (Chromium under the browser role)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                found.append(kid)
                todo.append(kid)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU (user + system) of `pid` and of every process below it, live or ended.

    A process's cutime/cstime hold only the children it has waited for, which are no longer in the
    tree, so adding them for every live process counts each CPU-second once (Chromium's renderers).
    """

    def stat(p: int) -> float:
        try:
            text = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            return 0.0
        fields = text.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        # fields[11:15] = utime stime cutime cstime (stat fields 14-17)
        return sum(int(f) for f in fields[11:15]) / CLK_TCK

    return stat(pid) + sum(stat(kid) for kid in descendants(pid))


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and everything below it, now."""
    return rss_kb(pid) + sum(rss_kb(kid) for kid in descendants(pid))


def politeness_bound(requests_per_host: Mapping[str, int], rate: float) -> tuple[float, str]:
    """The shortest wall time the per-host rate allows: the busiest host's requests ÷ the rate
    (seconds), and that host. Hosts are served in parallel, so only the busiest one bounds."""
    if not requests_per_host or rate <= 0:
        return 0.0, ""
    host = max(requests_per_host, key=lambda h: (requests_per_host[h], h))
    return requests_per_host[host] / rate, host


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and a == a and b == b else "n/a"


def format_table(rows: Sequence[tuple[str, str, str]], title: str = "") -> str:
    """Rows of (measure, value, note); a row whose value and note are empty is a section heading."""
    width = max((len(m) for m, v, n in rows if v or n), default=10)
    vwidth = max((len(v) for _, v, _ in rows), default=5)
    lines = [title, "=" * len(title)] if title else []
    for measure, value, note in rows:
        if not value and not note:
            lines += ["", measure, "-" * len(measure)]
            continue
        line = f"{measure:<{width}}  {value:>{vwidth}}"
        lines.append(f"{line}  {note}".rstrip())
    return "\n".join(lines) + "\n"
