"""Platform time stamps → YYYY-MM-DD in China time (every platform serves Asia/Shanghai or epochs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))


def epoch_day(seconds: float) -> str:
    """An epoch in seconds (or milliseconds, told apart by size) as the China date."""
    if seconds > 10**11:
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC).astimezone(CHINA).date().isoformat()


def weibo_day(text: str) -> str:
    """Weibo's `created_at` ("Sat Dec 02 10:00:00 +0800 2023") as the China date."""
    moment = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    return moment.astimezone(CHINA).date().isoformat()
