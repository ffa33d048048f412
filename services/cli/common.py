"""What every command shares: the usage error, the stop signal, JSON output."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import signal
import sys
from datetime import date

import msgspec


class UsageError(Exception):
    """A bad argument or input file; printed as one line, exit code 2."""


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def quarter_arg(text: str) -> str:
    if len(text) != 6 or not text[:4].isdigit() or text[4] != "Q" or text[5] not in "1234":
        raise argparse.ArgumentTypeError(f"not a quarter like 2024Q1: {text!r}")
    return text


def until_signalled() -> asyncio.Event:
    """An event set on SIGINT/SIGTERM, so long-running roles stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def print_json(value: object) -> None:
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(value), indent=2).decode() + "\n")


def need_farm() -> None:
    """The simulated province is a development tool kept out of the wheel: say so, no traceback."""
    if importlib.util.find_spec("farm") is None:
        raise UsageError(
            "the simulated province (farm/) comes with the source checkout, not with the package: "
            "run `make setup` in a checkout of govsweep"
        )
