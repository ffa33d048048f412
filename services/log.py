"""Structured logs: one JSON object per line on stderr, with sweep/site/column ids as fields."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import msgspec

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_threshold = LEVELS["info"]


def set_level(name: str) -> None:
    global _threshold
    _threshold = LEVELS.get(name, LEVELS["info"])


def log(event: str, fields: dict | None = None, level: str = "info") -> None:
    if LEVELS.get(level, 20) < _threshold:
        return
    record = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": level,
        "event": event,
    }
    record.update(fields or {})
    sys.stderr.write(msgspec.json.encode(record).decode() + "\n")
