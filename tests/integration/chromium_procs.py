"""Which Chromium browser processes run below this test process (read from /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def browser_pids() -> list[int]:
    """Chromium browser processes (not renderers) started below this test process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"chromium") and not any(a.startswith(b"--type=") for a in argv):
                found.append(pid)
    return found
