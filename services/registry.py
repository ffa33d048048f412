"""The site registry: the CSV/XLSX list of sites a province exports, read into `Site` rows.

`check_registry` returns the valid rows and one `RegistryError` per problem (file, line as the user sees
it, column, what is wrong); `load_registry` is the strict form that raises when anything is wrong.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import openpyxl

from crawler.netguard import address_kind
from services.bus.schema import Site
from services.reporting.regions import NATIONAL_CODE, is_plausible_code

# Canonical column name first, then the other names provinces use for it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "site_id": ("网站标识码", "标识码"),
    "name": ("网站名称",),
    "url": ("首页地址", "网址", "网站地址"),
    "region_name": ("地区/部门", "地区", "部门", "填报单位"),
    "kind": ("网站类型",),
    "region_code": ("地区代码",),
}
REQUIRED_COLUMNS = ("site_id", "name", "url", "region_name", "kind")
REQUIRED_VALUES = ("site_id", "name", "url", "kind")  # the region comes from the code when blank
KINDS = {
    "门户": "门户",
    "门户网站": "门户",
    "政府门户网站": "门户",
    "部门": "部门",
    "部门网站": "部门",
}

SITE_ID_RE = re.compile(r"^(\d{10}|bm\d{8})$")
HEADER_SEARCH_ROWS = 10  # exports often put a title row or two above the header
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RegistryError:
    """One problem in a registry file. `line` 0 means the file as a whole."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.field:
            return f"{where}: field {self.field}: {self.message}"
        return f"{where}: {self.message}"


class RegistryInvalid(ValueError):
    """Raised by `load_registry` when the file has any error; `errors` lists them all."""

    def __init__(self, path: Path, errors: list[RegistryError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors)
        super().__init__(f"{path}: {len(errors)} error(s) in the site registry:\n{lines}")


Rows = list[tuple[int, list[str]]]  # (line number as the user sees it, cell texts)


def load_registry(path: Path) -> list[Site]:
    """Read a registry file; raise `RegistryInvalid` naming every bad row if there is one."""
    sites, errors = check_registry(path)
    if errors:
        raise RegistryInvalid(path, errors)
    return sites


def check_registry(path: Path) -> tuple[list[Site], list[RegistryError]]:
    """Read a registry file (CSV in UTF-8 or GB18030, or XLSX); return valid sites and all errors."""
    name = str(path)
    rows, errors = read_rows(Path(path))
    if errors and not rows:
        return [], errors  # the file could not be read at all: nothing more to say about it
    sites, row_errors = _parse_rows(name, rows)
    errors.extend(row_errors)
    errors.sort(key=lambda e: e.line)
    return sites, errors


def read_rows(path: Path) -> tuple[Rows, list[RegistryError]]:
    """The rows of a CSV (UTF-8 or GB18030) or XLSX file, told apart by content, not by name; a file
    that cannot be read at all gives no rows and one error. Every registry-like input reads this way."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [RegistryError(name, 0, "", f"cannot read the file: {exc.strerror or exc}")]
    if data.startswith(ZIP_MAGIC):
        return xlsx_rows(path)
    if data.startswith(OLE_MAGIC):
        message = "old binary .xls format is not read: save it as .xlsx or CSV"
        return [], [RegistryError(name, 0, "", message)]
    if path.suffix.lower() == ".xlsx":
        return [], [RegistryError(name, 0, "", "not an XLSX file (no zip signature)")]
    return csv_rows(name, data)


def xlsx_rows(path: Path) -> tuple[Rows, list[RegistryError]]:
    """The first sheet's rows as text. Any damage to the file becomes one error."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike on a damaged file
        return [], [RegistryError(str(path), 0, "", f"cannot read XLSX: {exc}")]
    try:
        sheet = workbook.worksheets[0]
        rows = [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:  # same: a sheet can be damaged after a readable header part
        return [], [RegistryError(str(path), 0, "", f"cannot read XLSX: {exc}")]
    finally:
        workbook.close()
    return rows, []


def _cell_text(value: object) -> str:
    """A cell as the user sees it: 5200000019 stored as a number reads as "5200000019"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_rows(name: str, data: bytes) -> tuple[Rows, list[RegistryError]]:
    text, errors = _decode(name, data)
    if text is None:
        return [], errors
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        errors.append(RegistryError(name, start, "", f"unreadable CSV from here on: {exc}"))
    return rows, errors


def _decode(name: str, data: bytes) -> tuple[str | None, list[RegistryError]]:
    """Decode as UTF-8 (BOM or not), else GB18030 as Chinese Excel exports it.

    A few lines valid in neither are reported one by one and left empty, so the other rows still
    load; a file that is mostly neither (or whose header is) is one error.
    """
    had_bom = data.startswith(UTF8_BOM)
    if had_bom:
        data = data[len(UTF8_BOM) :]
    if b"\x00" in data:
        message = "not UTF-8 or GB18030 text (it has NUL bytes: UTF-16 or a binary file?)"
        return None, [RegistryError(name, 0, "", message)]
    lines = data.split(b"\n")  # 0x0A is never inside a multi-byte character of either encoding
    non_ascii = [i for i, line in enumerate(lines) if not line.isascii()]
    # UTF-8 first: GB18030 decodes much UTF-8 text without error, only into the wrong characters.
    for encoding in ("utf-8", "gb18030"):
        bad = [i for i in non_ascii if not _decodes(lines[i], encoding)]
        if not bad or (0 not in bad and 2 * len(bad) < len(non_ascii)):
            errors = [
                RegistryError(name, i + 1, "", f"bad encoding: not valid {encoding}; row skipped")
                for i in bad
            ]
            skipped = set(bad)
            text = "\n".join(
                "" if i in skipped else line.decode(encoding) for i, line in enumerate(lines)
            )
            return text, errors
        if had_bom:
            break  # a BOM says UTF-8: reading it as GB18030 would only give wrong characters
    neither = [i for i in non_ascii if not any(_decodes(lines[i], e) for e in ("utf-8", "gb18030"))]
    detail = f"line {neither[0] + 1} is neither" if neither else "it mixes the two"
    return None, [RegistryError(name, 0, "", f"not UTF-8 or GB18030 text ({detail})")]


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def normalise_header(text: str) -> str:
    text = re.sub(r"\s+", "", text).lstrip("*＊")
    return text.replace("／", "/").replace("、", "/")


def _find_header(rows: Rows) -> tuple[int, dict[str, int]] | None:
    """The header row (index into rows) and the column index of each field it has."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [normalise_header(c) for c in cells]
        if not any(alias in names for alias in COLUMNS["site_id"]):
            continue
        columns: dict[str, int] = {}
        for field, aliases in COLUMNS.items():
            for alias in aliases:  # the first alias present wins: 地区 before 填报单位
                if alias in names:
                    columns[field] = names.index(alias)
                    break
        if "填报单位" in names:
            columns["unit"] = names.index("填报单位")
        return index, columns
    return None


def _parse_rows(name: str, rows: Rows) -> tuple[list[Site], list[RegistryError]]:
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        return [], [RegistryError(name, 0, "", "no rows: the file is empty")]
    found = _find_header(rows)
    columns = found[1] if found else {}
    missing = [field for field in REQUIRED_COLUMNS if field not in columns]
    if missing:
        wanted = "; ".join(" or ".join(COLUMNS[field]) for field in missing)
        line = rows[found[0]][0] if found else rows[0][0]
        return [], [RegistryError(name, line, "", f"missing header columns: {wanted}")]
    assert found is not None  # a header was found, or columns would be missing
    header_index = found[0]
    header_cells = rows[header_index][1]
    labels = {field: header_cells[i].strip() for field, i in columns.items()}

    sites: list[Site] = []
    errors: list[RegistryError] = []
    first_line_of: dict[str, int] = {}
    for line, cells in rows[header_index + 1 :]:
        values = {field: cells[i].strip() if i < len(cells) else "" for field, i in columns.items()}
        problems = _row_problems(values, line, first_line_of)
        errors.extend(RegistryError(name, line, labels[f], msg) for f, msg in problems)
        if not problems:
            sites.append(_site(values))
    return sites, errors


def _row_problems(
    values: dict[str, str], line: int, first_line_of: dict[str, int]
) -> list[tuple[str, str]]:
    """(field, message) for each thing wrong with one row; records the row's id for duplicates."""
    problems = [(f, "missing (empty cell)") for f in REQUIRED_VALUES if not values[f]]
    site_id = values["site_id"] = values["site_id"].lower()
    if site_id:
        problem = _site_id_problem(site_id)
        if problem:
            problems.append(("site_id", problem))
        elif site_id in first_line_of:
            first = first_line_of[site_id]
            problems.append(("site_id", f"duplicate {site_id}: first used on line {first}"))
        else:
            first_line_of[site_id] = line
    if values["url"]:
        problem = url_problem(values["url"])
        if problem:
            problems.append(("url", problem))
    kind = values["kind"]
    if kind and kind not in KINDS:
        problems.append(("kind", f"'{kind}' is not 门户 or 部门 (政府门户网站/部门网站)"))
    code = values.get("region_code", "")
    if code and not (code == NATIONAL_CODE or is_plausible_code(code)):
        problems.append(("region_code", f"'{code}' is not a 6-digit GB/T 2260 code"))
    return problems


def _site_id_problem(site_id: str) -> str | None:
    if re.fullmatch(r"\d(\.\d+)?e\+\d+", site_id):
        return f"'{site_id}' is in scientific notation (Excel dropped digits): export it as text"
    if not SITE_ID_RE.match(site_id):
        return f"'{site_id}' is not 10 digits or bm + 8 digits"
    if site_id[0].isdigit() and not is_plausible_code(site_id[:6]):
        return f"'{site_id}' does not start with a GB/T 2260 region code ({site_id[:6]})"
    return None


def url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return f"'{url}' is not a valid URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"'{url}' is not an http:// or https:// address"
    if not host or any(c.isspace() for c in host):
        return f"'{url}' has no valid host name"
    return None


INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa")


def url_warnings(path: Path, sites: list[Site]) -> list[str]:
    """One line per site whose URL points inside a network or carries credentials: the SSRF
    guard would refuse it (unless allow-listed), and credentials would be sent and reported.
    Host names are not resolved here (the check stays offline); the crawler checks addresses."""
    warnings = []
    for site in sites:
        reason = _url_warning(site.url)
        if reason:
            warnings.append(f"{path}: site {site.site_id}: url '{site.url}': {reason}")
    return warnings


def _url_warning(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "carries credentials (user:password@): remove them"
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        kind = address_kind(ipaddress.ip_address(host))
    except ValueError:
        kind = "internal" if host == "localhost" or host.endswith(INTERNAL_SUFFIXES) else None
    if kind:
        return f"{kind} address, not a public site: the crawler refuses it unless allow-listed"
    return None


def _site(values: dict[str, str]) -> Site:
    site_id = values["site_id"]
    region_code = values.get("region_code") or (
        site_id[:6] if site_id[0].isdigit() else NATIONAL_CODE
    )
    return Site(
        site_id=site_id,
        name=values["name"],
        url=values["url"],
        region_code=region_code,
        region_name=values["region_name"],
        kind=KINDS[values["kind"]],
        unit=values.get("unit", ""),
    )
