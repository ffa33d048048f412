"""Safe report cells: site names and URLs come from registries and web pages, so a name such as
`=HYPERLINK("http://x/", "点击")` must stay text in CSV and XLSX, and `<script>` must stay text in
Markdown."""

from __future__ import annotations

import html
import re

# OWASP "CSV Injection": cells starting with these are read as formulas by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT = re.compile(r"(\d+(?:\.(\d+))?)%")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")


def csv_cell(value: object) -> object:
    """`value` for a CSV cell: text that a spreadsheet would run as a formula gets a leading `'`
    (OWASP), so it shows as text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def is_formula_like(value: object) -> bool:
    """Text an XLSX writer would store as a formula (openpyxl: a string starting with "=")
    or that a spreadsheet would run when edited."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def percent_value(value: object) -> tuple[float, str] | None:
    """A printed percentage ("97.36%") as (0.9736, "0.00%") for a numeric XLSX cell; else None."""
    if not isinstance(value, str):
        return None
    match = PERCENT.fullmatch(value)
    if match is None:
        return None
    decimals = len(match.group(2) or "")
    return float(match.group(1)) / 100, "0." + "0" * decimals + "%" if decimals else "0%"


def markdown_text(value: object) -> str:
    """`value` as Markdown text: HTML escaped (no raw tags reach a renderer), and the characters
    that make links or emphasis backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=False))
