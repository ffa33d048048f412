"""Logs with sweep/site/column ids as fields: JSON lines for machines, short text lines for people.

Where they go (configure()): a log file when one is given; else stderr, as JSON when stderr is not a
terminal or JSON is asked for. On a terminal the progress bar owns the screen, so only warnings and
errors are shown there, as text, each on a line of its own.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import msgspec

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
FORMATS = ("auto", "json", "text")
CLEAR_LINE = "\r\x1b[K"  # a log line on a terminal first wipes the progress bar; it redraws itself


class _Sink:
    def __init__(self) -> None:
        self.threshold = LEVELS["info"]
        self.json = True
        self.stream: TextIO | None = None  # None: sys.stderr as it is when a line is written
        self.terminal = False


_sink = _Sink()


def configure(level: str = "info", fmt: str = "auto", file: str | Path | None = None) -> None:
    """Set where logs go and how they look (see the module docstring). `fmt`: one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r}: use one of {', '.join(FORMATS)}")
    threshold = LEVELS.get(level, LEVELS["info"])
    if file:
        path = Path(file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _sink.stream = path.open("a", encoding="utf-8", buffering=1)
        except OSError as exc:
            raise ValueError(f"{path}: cannot write the log file: {exc.strerror}") from None
        _sink.json, _sink.terminal = fmt != "text", False
    else:
        _sink.stream = None
        _sink.terminal = sys.stderr.isatty()
        _sink.json = fmt == "json" or (fmt == "auto" and not _sink.terminal)
        if fmt == "auto" and _sink.terminal:
            threshold = max(threshold, LEVELS["warning"])
    _sink.threshold = threshold


def log(event: str, fields: dict | None = None, level: str = "info") -> None:
    if LEVELS.get(level, 20) < _sink.threshold:
        return
    now = datetime.now(UTC)
    stream = _sink.stream or sys.stderr
    if _sink.json:
        record = {"ts": now.isoformat(timespec="milliseconds"), "level": level, "event": event}
        record.update(fields or {})
        stream.write(msgspec.json.encode(record).decode() + "\n")
        return
    pairs = " ".join(f"{key}={value}" for key, value in (fields or {}).items())
    line = f"{now:%H:%M:%S} {level.upper():7} {event}" + (f"  {pairs}" if pairs else "")
    stream.write((CLEAR_LINE if _sink.terminal else "") + line + "\n")
