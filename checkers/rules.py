"""Rule files: the indicator windows and thresholds as data, with per-province overlays.

A rule file is TOML decoded into the Structs below. Overlays have the same shape; their keys replace
the baseline's (tables merge key by key, the value tables `window` and `threshold` are replaced
whole). Every fault in every file is reported, each naming the file, the key path and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import msgspec
from dateutil.relativedelta import relativedelta

BASELINE = "gov-2019-19"
RULESETS = Path(__file__).parent / "rulesets"  # packaged rule files (package-data)

# The crawler's column classes (docs/CONTRACT.md "Column classes").
COLUMN_CLASSES = (
    "动态要闻",
    "通知公告",
    "政策文件",
    "政策解读",
    "人事",
    "规划计划",
    "互动",
    "办事服务",
    "概况",
    "机构职能",
    "other",
)

# Source confidence below [V]/[V-b] (INDICATORS.md legend): partly seen, recalled, inferred.
Confidence = Literal["P", "M", "I"]
NonNegative = Annotated[int, msgspec.Meta(ge=0)]


class RuleError(ValueError):
    """A rule file cannot be used; `errors` holds one line per fault."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class Window(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A look-back window from the monitoring time point; exactly one unit is set."""

    days: int | None = None
    months: int | None = None
    years: int | None = None

    def __post_init__(self) -> None:
        units = {"days": self.days, "months": self.months, "years": self.years}
        given = {name: value for name, value in units.items() if value is not None}
        if len(given) != 1:
            raise ValueError("give exactly one of days, months, years")
        (name, value), *_ = given.items()
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")

    def delta(self) -> relativedelta:
        return relativedelta(days=self.days or 0, months=self.months or 0, years=self.years or 0)

    def describe(self) -> str:
        """The window in the bulletins' words: 2周, 10天, 6个月, 1年."""
        if self.years:
            return f"{self.years}年"
        if self.months:
            return f"{self.months}个月"
        days = self.days or 0
        return f"{days // 7}周" if days % 7 == 0 else f"{days}天"


class Threshold(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A count line: op ">=" is the rules' "超过(含)N", ">" is "超过N"."""

    op: Literal[">=", ">"]
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError(f"value must not be negative, got {self.value}")
        if self.op == ">=" and self.value == 0:
            raise ValueError('">= 0" holds for every site; write op = ">", value = 0 for "any"')

    def crossed(self, count: int) -> bool:
        return count >= self.value if self.op == ">=" else count > self.value

    def describe(self) -> str:
        return f"超过(含){self.value}" if self.op == ">=" else f"超过{self.value}"


class UpdateRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An update duty: the newest item must fall inside `window`; warn that many days before."""

    window: Window
    warn_days_before: NonNegative | None = None
    confidence: dict[str, Confidence] = {}


class CombinedStaleRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V4 limb 1: stale columns of these classes are counted together."""

    threshold: Threshold
    any_level: list[str]
    level1_only: list[str]
    confidence: dict[str, Confidence] = {}


class CountRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    threshold: Threshold
    confidence: dict[str, Confidence] = {}


class ColumnRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V4 栏目不更新."""

    undated_counts_as_stale: bool
    duties: dict[str, UpdateRule]  # column class → update duty (W-V4 limb 2 "应更新")
    combined_stale: CombinedStaleRule  # limb 1
    long_stale: CountRule  # limb 2
    blank: CountRule  # limb 3
    confidence: dict[str, Confidence] = {}


class RuleSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One section per indicator family; later families (availability, interaction, …) add theirs."""

    version: str  # e.g. "gov-2019-19" or "gov-2019-19+贵州-2024"
    homepage: UpdateRule  # W-V3 首页不更新
    columns: ColumnRules  # W-V4 栏目不更新


def window_start(at: date, window: Window) -> date:
    """First day that still counts as inside `window` back from `at` (docs/CONTRACT.md)."""
    return at - window.delta()


def load_rules(path: str | Path | None = None, overlays: Sequence[Path] = ()) -> RuleSet:
    """Load a rule file (None: the packaged baseline) and apply `overlays` in order."""
    sources = [str(path) if path is not None else f"{BASELINE}.toml (packaged)"]
    sources += [str(overlay) for overlay in overlays]
    texts = [_baseline_text() if path is None else _read(Path(path))]
    texts += [_read(Path(overlay)) for overlay in overlays]

    errors: list[str] = []
    files: list[tuple[str, dict[str, Any]]] = []
    for index, (source, text) in enumerate(zip(sources, texts, strict=True)):
        data = _parse(source, text) if not isinstance(text, RuleError) else text
        if isinstance(data, RuleError):
            errors += data.errors
            continue
        is_overlay = index > 0
        if is_overlay and "version" not in data:
            errors.append(f'{source}: version: missing (an overlay names itself: version = "…")')
        errors += [f"{source}: {fault}" for fault in _faults(data, RuleSet, "", partial=is_overlay)]
        files.append((source, data))
    if errors:
        raise RuleError(errors)

    merged: dict[str, Any] = {}
    for _, data in files:
        merged = _merge(merged, data)
    merged["version"] = "+".join(data["version"] for _, data in files)
    faults = _faults(merged, RuleSet, "", partial=False)
    if faults:
        label = " + ".join(sources)
        raise RuleError([f"{label}: {fault}" for fault in faults])
    return msgspec.convert(merged, RuleSet)


def _baseline_text() -> str:
    return (RULESETS / f"{BASELINE}.toml").read_text("utf-8")


def _read(path: Path) -> str | RuleError:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RuleError([f"{path}: cannot read the rule file: {exc}"])


def _parse(source: str, text: str) -> dict[str, Any] | RuleError:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return RuleError([f"{source}: not valid TOML: {exc}"])


# Value tables an overlay replaces whole: merging {days = 14} with {months = 6} would give both.
_WHOLE_VALUES = {"window", "threshold"}


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in _WHOLE_VALUES
        ):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    # A baseline confidence marker describes the baseline's value, not the overlay's replacement.
    if isinstance(base.get("confidence"), dict):
        replaced = set(overlay) - {"confidence"}
        kept = {key: mark for key, mark in base["confidence"].items() if key not in replaced}
        merged["confidence"] = kept | overlay.get("confidence", {})
    return merged


def _faults(value: Any, tp: Any, path: str, partial: bool) -> list[str]:
    """Every fault of `value` against type `tp`; `partial` (an overlay) allows missing keys."""
    is_struct = isinstance(tp, type) and issubclass(tp, msgspec.Struct)
    if is_struct and tp not in (Window, Threshold):
        if not isinstance(value, dict):
            return [f"{path}: expected a table, got {type(value).__name__} {value!r}"]
        fields = {field.encode_name: field for field in msgspec.structs.fields(tp)}
        faults: list[str] = []
        for key, sub in value.items():
            if key in fields:
                faults += _faults(sub, fields[key].type, _join(path, key), partial)
            else:
                faults.append(f"{_join(path, key)}: unknown key (known: {', '.join(fields)})")
        if not partial:
            for key, field in fields.items():
                required = field.default is msgspec.NODEFAULT
                if required and field.default_factory is msgspec.NODEFAULT and key not in value:
                    faults.append(f"{_join(path, key)}: missing")
        return faults + _meaning_faults(tp, value, path, partial)
    if get_origin(tp) is dict:
        if not isinstance(value, dict):
            return [f"{path}: expected a table, got {type(value).__name__} {value!r}"]
        value_type = get_args(tp)[1]
        return [
            fault
            for key, sub in value.items()
            for fault in _faults(sub, value_type, _join(path, key), partial)
        ]
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError as exc:
        return [_leaf_fault(path, tp, value, exc)]
    return []


def _meaning_faults(tp: type, value: dict[str, Any], path: str, partial: bool) -> list[str]:
    """Faults a type check cannot see: markers naming no value, unknown column classes."""
    faults = []
    known = {field.encode_name for field in msgspec.structs.fields(tp)} - {"confidence"}
    marks = value.get("confidence")
    if isinstance(marks, dict):
        for key in marks:
            if key not in known:
                faults.append(f"{_join(path, 'confidence')}.{key}: names no value of this table")
    if tp is ColumnRules and isinstance(value.get("duties"), dict):
        for name in value["duties"]:
            if name not in COLUMN_CLASSES:
                faults.append(f"{path}.duties.{name}: {_unknown_class(name)}")
    if tp is CombinedStaleRule:
        for key in ("any_level", "level1_only"):
            for i, name in enumerate(_str_list(value.get(key))):
                if name not in COLUMN_CLASSES:
                    faults.append(f"{path}.{key}[{i}]: {_unknown_class(name)}")
    if tp is ColumnRules and not partial:
        duties = value.get("duties") if isinstance(value.get("duties"), dict) else {}
        combined = value.get("combined_stale")
        for key in ("any_level", "level1_only"):
            names = _str_list(combined.get(key)) if isinstance(combined, dict) else []
            for i, name in enumerate(names):
                if name in COLUMN_CLASSES and name not in duties:
                    faults.append(
                        f"{path}.combined_stale.{key}[{i}]: class {name} has no update duty "
                        f"in {path}.duties"
                    )
    return faults


def _unknown_class(name: str) -> str:
    return f"unknown column class {name!r} (known: {', '.join(COLUMN_CLASSES)})"


def _str_list(value: Any) -> list[str]:
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


_AT = re.compile(r" - at `\$(?P<sub>[^`]*)`$")


def _leaf_fault(path: str, tp: Any, value: Any, exc: msgspec.ValidationError) -> str:
    message = str(exc).replace(" | null", "")
    match = _AT.search(message)
    sub = match["sub"] if match else ""
    message = message[: match.start()] if match else message
    got = value.get(sub.lstrip(".")) if sub and isinstance(value, dict) else value
    if message.startswith("Invalid enum value"):
        allowed = ", ".join(repr(choice) for choice in _choices(tp, sub.lstrip(".")))
        message = f"must be one of {allowed}"
    if "got" not in message:
        message += f", got {got!r}"
    return f"{path}{sub}: {message}"


def _choices(tp: Any, field: str) -> tuple[Any, ...]:
    """The allowed values of a Literal type, or of the Literal field `field` of a Struct."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        tp = next(f.type for f in msgspec.structs.fields(tp) if f.encode_name == field)
    return get_args(tp)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
