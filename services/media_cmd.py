"""The `govsweep accounts …` commands (政务新媒体)."""

from __future__ import annotations

import sys
from pathlib import Path

from services.media_registry import check_accounts


def accounts_check(path: Path) -> int:
    """Validate an account registry: one line per bad row on stderr, exit 1 if any."""
    if not path.exists():
        print(f"govsweep: {path}: account registry file not found", file=sys.stderr)
        return 2
    accounts, errors, warnings = check_accounts(path)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in errors:
        print(str(error), file=sys.stderr)
    print(
        f"{path}: {len(accounts)} valid account(s), {len(errors)} error(s), {len(warnings)} warning(s)"
    )
    return 1 if errors else 0
