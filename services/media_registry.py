"""The account registry: the 全国政务新媒体信息报送系统 export (CSV/XLSX) read into `Account` rows.

Read and reported like the site registry (`services.registry`: same encodings, header search, one
`RegistryError` per problem with file, line and column). The 政务新媒体标识码 format is inferred
(INDICATORS.md §10.2, [I]), so a code that does not match it is a warning, never an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from crawler.platforms.base import PLATFORM_ALIASES
from services.bus.media_schema import Account
from services.registry import (
    RegistryError,
    Rows,
    normalise_header,
    read_rows,
    url_problem,
)
from services.reporting.regions import is_plausible_code

# Canonical column name first, then the other names the exports and bulletins use.
COLUMNS: dict[str, tuple[str, ...]] = {
    "account_id": ("政务新媒体标识码", "新媒体标识码", "标识码", "账号标识码"),
    "name": ("账号名称", "政务新媒体名称", "名称"),
    "platform": ("平台", "平台类型", "政务新媒体类型", "类型"),
    "unit": ("主管单位", "主办单位", "开办主体"),
    "region_name": ("地区", "地区/部门", "县市区", "县市区/市直部门"),
    "address": ("账号地址/ID", "账号地址", "账号ID", "主页地址", "链接"),
}
REQUIRED = ("account_id", "name", "platform", "unit", "address")
CODE_RE = re.compile(r"^(\d{6}|bm\d{4})M\d{3}[A-Z]{2,3}\d{4}$")  # §10.2, inferred
HEADER_SEARCH_ROWS = 10


class AccountRegistryInvalid(ValueError):
    def __init__(self, path: Path, errors: list[RegistryError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors)
        super().__init__(f"{path}: {len(errors)} error(s) in the account registry:\n{lines}")


def load_accounts(path: Path) -> list[Account]:
    """Read an account registry; raise `AccountRegistryInvalid` naming every bad row."""
    accounts, errors, _ = check_accounts(path)
    if errors:
        raise AccountRegistryInvalid(path, errors)
    return accounts


def check_accounts(path: Path) -> tuple[list[Account], list[RegistryError], list[RegistryError]]:
    """(valid accounts, errors, warnings) of an account registry file."""
    name = str(path)
    rows, errors = read_rows(Path(path))
    if errors and not rows:
        return [], errors, []
    accounts, row_errors, warnings = _parse(name, rows)
    errors = sorted(errors + row_errors, key=lambda e: e.line)
    return accounts, errors, warnings


def _header(rows: Rows) -> tuple[int, dict[str, int]] | None:
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [normalise_header(c) for c in cells]
        if not any(alias in names for alias in COLUMNS["account_id"] + COLUMNS["name"]):
            continue
        columns: dict[str, int] = {}
        for field, aliases in COLUMNS.items():
            for alias in aliases:
                if alias in names:
                    columns[field] = names.index(alias)
                    break
        return index, columns
    return None


def _parse(name: str, rows: Rows) -> tuple[list[Account], list[RegistryError], list[RegistryError]]:
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        return [], [RegistryError(name, 0, "", "no rows: the file is empty")], []
    found = _header(rows)
    columns = found[1] if found else {}
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        wanted = "; ".join(" or ".join(COLUMNS[f]) for f in missing)
        line = rows[found[0]][0] if found else rows[0][0]
        return [], [RegistryError(name, line, "", f"missing header columns: {wanted}")], []
    assert found is not None
    header = rows[found[0]][1]
    labels = {field: header[i].strip() for field, i in columns.items()}
    labels.setdefault("region_name", "地区")

    accounts: list[Account] = []
    errors: list[RegistryError] = []
    warnings: list[RegistryError] = []
    first_line_of: dict[str, int] = {}
    for line, cells in rows[found[0] + 1 :]:
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in columns.items()}
        problems = _problems(values, line, first_line_of)
        errors.extend(RegistryError(name, line, labels[f], m) for f, m in problems)
        code = values["account_id"]
        if code and not CODE_RE.match(code):
            message = f"'{code}' does not look like a 政务新媒体标识码 (e.g. 530621M008WX0001)"
            warnings.append(RegistryError(name, line, labels["account_id"], message))
        if not problems:
            accounts.append(_account(values))
    return accounts, errors, warnings


def _problems(
    values: dict[str, str], line: int, first_line_of: dict[str, int]
) -> list[tuple[str, str]]:
    problems = [(f, "missing (empty cell)") for f in REQUIRED if not values[f]]
    code = values["account_id"]
    if code:
        if any(c.isspace() or c in ".*>" for c in code):
            problems.append(("account_id", f"'{code}' contains spaces or one of . * >"))
        elif code in first_line_of:
            problems.append(
                ("account_id", f"duplicate {code}: first used on line {first_line_of[code]}")
            )
        else:
            first_line_of[code] = line
    platform = values["platform"]
    if platform and platform not in PLATFORM_ALIASES:
        known = "、".join(dict.fromkeys(PLATFORM_ALIASES))
        problems.append(("platform", f"'{platform}' is not a known platform ({known})"))
    address = values["address"]
    if address.startswith(("http://", "https://")) or "://" in address:
        problem = url_problem(address)
        if problem:
            problems.append(("address", problem))
    elif address and not re.fullmatch(r"[\w.\-=@]+", address):
        problems.append(("address", f"'{address}' is neither an http(s) address nor an account ID"))
    return problems


def _account(values: dict[str, str]) -> Account:
    code = values["account_id"]
    region_code = code[:6] if code[:6].isdigit() and is_plausible_code(code[:6]) else ""
    return Account(
        account_id=code,
        name=values["name"],
        platform=PLATFORM_ALIASES[values["platform"]],
        unit=values["unit"],
        region_name=values.get("region_name", ""),
        address=values["address"],
        region_code=region_code,
    )
