"""Logs and sweep progress as people and machines read them: JSON lines off a terminal or when asked,
text warnings only on a terminal (the progress bar owns it), everything in a log file when given."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli.commands import progress_bar
from services.log import CLEAR_LINE, configure, log
from tests.unit.test_cli import FIXTURES, govsweep


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    yield
    configure("info", "json")


def test_json_lines_off_a_terminal_at_the_configured_level(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()  # not a terminal
    monkeypatch.setattr(sys, "stderr", err)
    configure("info", "auto")
    log("debug detail", {"site_id": "5200000001"}, level="debug")
    log("site done", {"site_id": "5200000001", "columns": 12})
    [line] = err.getvalue().splitlines()
    record = json.loads(line)
    assert (record["event"], record["site_id"], record["columns"]) == (
        "site done",
        "5200000001",
        12,
    )
    assert record["level"] == "info" and record["ts"].endswith("+00:00")


def test_a_terminal_shows_warnings_only_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    main, other = os.openpty()  # a real terminal device
    with open(other, "w", encoding="utf-8") as tty:
        monkeypatch.setattr(sys, "stderr", tty)
        configure("info", "auto")
        log("site done", {"site_id": "5200000001"})
        log("column unreadable", {"url": "http://x.test/tzgg/"}, level="warning")
        tty.flush()
        shown = os.read(main, 4096).decode("utf-8")
    os.close(main)
    assert "site done" not in shown
    assert shown.startswith(CLEAR_LINE) and "WARNING" in shown
    assert "column unreadable  url=http://x.test/tzgg/" in shown
    assert "{" not in shown  # not JSON


def test_a_log_file_gets_every_line_and_json_can_be_asked_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    path = tmp_path / "logs" / "sweep.log"
    configure("info", "text", path)
    log("site done", {"site_id": "5200000001"})
    log("sweep finished", level="warning")
    lines = path.read_text("utf-8").splitlines()
    assert [line.split()[1:3] for line in lines] == [
        ["INFO", "site"],
        ["WARNING", "sweep"],
    ]
    assert err.getvalue() == ""  # nothing on stderr when a file is given
    configure("info", "json", path)
    log("as json")
    assert json.loads(path.read_text("utf-8").splitlines()[-1])["event"] == "as json"


def test_bad_log_settings_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="log format 'xml'"):
        configure("info", "xml")
    blocker = tmp_path / "file"
    blocker.write_text("")
    registry = str(FIXTURES / "guizhou.csv")
    result = govsweep("--log-file", str(blocker / "x.log"), "registry", "check", registry)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"govsweep: {blocker / 'x.log'}: cannot write")
    result = govsweep("--log-format", "xml", "registry", "check", registry)
    assert result.returncode == 2 and "invalid choice: 'xml'" in result.stderr


def test_the_progress_bar_shows_rate_and_time_left() -> None:
    line = progress_bar(120, 300, 40.0, width=10)
    assert line == "检测进度 ████░░░░░░ 120/300  40% · 3.0 站/秒 · 预计剩余 1:00"
    assert progress_bar(300, 300, 100.0).endswith("已完成")
    assert progress_bar(0, 300, 0.0).endswith("预计剩余 —")
    assert "预计剩余 1:02:30" in progress_bar(100, 3100, 125.0)  # 3000 left at 0.8 per second
