"""The province's list of 重要信息 to repost (CSV/XLSX): 标题, 来源地址, 发布日期, 转载时限.

Read like the registries (same encodings and header search); every bad row is one `RegistryError`
naming file, line and column. Dates may be 2024-01-05, 2024/1/5 or 2024年1月5日.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from checkers.reposts import ImportantItem
from services.registry import (
    RegistryError,
    normalise_header,
    read_rows,
    url_problem,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "信息标题", "重要信息标题"),
    "source_url": ("来源地址", "原文地址", "链接", "网址"),
    "published": ("发布日期", "发布时间"),
    "deadline": ("转载时限", "截止日期", "转载截止时间", "转载截止日期"),
}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s.*)?$")


class RepostListInvalid(ValueError):
    def __init__(self, path: Path, errors: list[RegistryError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors)
        super().__init__(f"{path}: {len(errors)} error(s) in the repost list:\n{lines}")


def parse_day(text: str) -> date | None:
    found = _DATE.match(text.strip())
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def load_items(path: Path) -> list[ImportantItem]:
    items, errors = check_items(path)
    if errors:
        raise RepostListInvalid(path, errors)
    return items


def check_items(path: Path) -> tuple[list[ImportantItem], list[RegistryError]]:
    name = str(path)
    rows, errors = read_rows(Path(path))
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if errors and not rows:
        return [], errors
    header_at = next(
        (
            i
            for i, (_, cells) in enumerate(rows[:10])
            if any(normalise_header(c) in COLUMNS["title"] for c in cells)
        ),
        None,
    )
    if header_at is None:
        return [], errors + [RegistryError(name, 0, "", "no header row with 标题")]
    names = [normalise_header(c) for c in rows[header_at][1]]
    columns = {
        f: next((names.index(a) for a in aliases if a in names), -1)
        for f, aliases in COLUMNS.items()
    }
    missing = [" or ".join(COLUMNS[f]) for f, i in columns.items() if i < 0]
    if missing:
        line = rows[header_at][0]
        return [], errors + [
            RegistryError(name, line, "", f"missing header columns: {'; '.join(missing)}")
        ]
    labels = {f: rows[header_at][1][i].strip() for f, i in columns.items()}
    items = []
    for line, cells in rows[header_at + 1 :]:
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        problems = [(f, "missing (empty cell)") for f, v in values.items() if not v]
        days = {f: parse_day(values[f]) for f in ("published", "deadline")}
        for f in ("published", "deadline"):
            if values[f] and days[f] is None:
                problems.append((f, f"'{values[f]}' is not a date (2024-01-05, 2024年1月5日)"))
        published, deadline = days["published"], days["deadline"]
        if published and deadline and deadline < published:
            problems.append(("deadline", f"{deadline} is before the 发布日期 {published}"))
        if values["source_url"] and (problem := url_problem(values["source_url"])):
            problems.append(("source_url", problem))
        errors += [RegistryError(name, line, labels[f], m) for f, m in problems]
        if not problems and published and deadline:
            items.append(
                ImportantItem(
                    values["title"],
                    values["source_url"],
                    published.isoformat(),
                    deadline.isoformat(),
                )
            )
    return items, sorted(errors, key=lambda e: e.line)
