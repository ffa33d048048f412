"""Rule files: the indicator windows and thresholds as data, with per-province overlays.

A rule file is TOML decoded into the Structs below. Overlays have the same shape; their keys replace
the baseline's (tables merge key by key, the value tables `window` and `threshold` are replaced
whole). Every fault in every file is reported, each naming the file, the key path and the problem.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from dateutil.relativedelta import relativedelta

from crawler.service import ELEMENTS as GUIDE_ELEMENTS

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


Share = Annotated[float, msgspec.Meta(gt=0, le=1)]
Points = Annotated[float, msgspec.Meta(ge=0)]


class AvailabilityRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V2 站点无法访问, judged by checkers/availability.py from the probe log. The one source of
    these lines: the checker and the monitor both take them from the rule file."""

    days: Annotated[int, msgspec.Meta(gt=0)]  # "监测 1 周"
    probes_per_day: Annotated[int, msgspec.Meta(gt=0)]  # "每天间隔性访问 20 次以上"
    timeout_s: Annotated[float, msgspec.Meta(gt=0)]  # "超过(含)15 秒网站仍打不开"
    veto_ratio: Share  # "累计占比超过(含)5%" (>=)
    warn_ratio: Share  # early warning line
    confidence: dict[str, Confidence] = {}


class InteractionRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V5 互动回应差."""

    channel_exclude: list[str]  # limb 1: 互动 columns/links so named are no consultation channel
    list_exclude: list[str]  # limb 2: 互动 columns so named hold no 留言 to answer
    window: Window  # limb 2: 留言时间 inside this window back from T
    reply_within: Window  # limb 2: answered later than 留言时间 + this ("超过", strict >)
    warn_days_before: NonNegative | None = None
    confidence: dict[str, Confidence] = {}


class ServiceRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V6 服务不实用."""

    entry_names: list[str]  # limb 1: links so named are a 办事服务 entry (besides 办事服务 columns)
    elements: list[str]  # limb 2: the key element types of a 办事指南
    missing_types: Threshold  # limb 2: a guide fails when this many types are missing
    failed_share: Share  # limb 2: the veto line, failed guides / sampled guides (>=)
    enforce: bool  # limb 2 fails a site only when true (its values are unconfirmed)
    confidence: dict[str, Confidence] = {}


class SecurityRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """W-V1 candidates (待人工确认); they never fail a site."""

    allowed_hosts: list[str]  # host suffixes scripts, frames and hidden links may point to
    confidence: dict[str, Confidence] = {}


class ScoreGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A 一级指标 of the deduction part; its deductions are capped at `max_points` when known."""

    max_points: Points | None = None
    service: bool = False  # the 办事服务 group, left out for departments without external services
    confidence: dict[str, Confidence] = {}


class DeductionItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A deduction check point. Without `points` (value UNKNOWN) it is reported, not deducted."""

    group: str
    name: str  # in the bulletins' words
    points: Points | None = None
    each: bool = False  # points per occurrence (e.g. per column), not once
    window: Window | None = None  # freshness items: updated inside this window back from T
    names: list[str] = []  # column names the item looks for (e.g. 办件统计)
    confidence: dict[str, Confidence] = {}


class ScoreRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """扣分指标 and 加分指标: scored only when no veto holds."""

    total: Points  # "扣分指标分值为100分"
    fail_below: Points  # "低于60分" (strict <)
    bonus_above: Points  # "高于80分" (strict >) opens the bonus part
    bonus_total: Points  # "加分指标分值为30分"
    no_service_base: Points  # departments without external services: base × total/base
    departments: bool  # score 部门 sites too (the parts "适用于政府门户网站")
    groups: dict[str, ScoreGroup]
    items: dict[str, DeductionItem]  # keys: DEDUCTION_ITEMS
    confidence: dict[str, Confidence] = {}


# Deduction items govsweep can measure (the checkers name them); a rule file sets their points.
# The freshness items among them need a `window`.
WINDOW_ITEMS = ("policy_l1_stale", "service_stats_stale", "replies_stale")
DEDUCTION_ITEMS = (
    "policy_l1_stale",
    "service_stats_stale",
    "replies_stale",
    "site_code",
    "site_id_meta",
    "jiucuo",
    "icp",
    "police_record",
    "conac",
    "sitemap",
    "domain",
)


class RuleSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One section per indicator family. A family left out of a rule file is not checked."""

    version: str  # e.g. "gov-2019-19" or "gov-2019-19+贵州-2024"
    homepage: UpdateRule  # W-V3 首页不更新
    columns: ColumnRules  # W-V4 栏目不更新
    availability: AvailabilityRules | None = None  # W-V2 站点无法访问
    interaction: InteractionRules | None = None  # W-V5 互动回应差
    service: ServiceRules | None = None  # W-V6 服务不实用
    security: SecurityRules | None = None  # W-V1 candidates
    score: ScoreRules | None = None  # 扣分指标 / 加分指标


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
        merged = _merge(merged, data, RuleSet)
    merged["version"] = "+".join(data["version"] for _, data in files)
    faults = _faults(merged, RuleSet, "", partial=False)
    if faults:
        label = " + ".join(sources)
        raise RuleError([f"{label}: {fault}" for fault in faults])
    try:
        return msgspec.convert(merged, RuleSet)
    except msgspec.ValidationError as exc:  # a fault the checks above do not know yet
        raise RuleError([f"{' + '.join(sources)}: {exc}"]) from None


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
_VALUE_TABLES = (Window, Threshold)


def _merge(base: dict[str, Any], overlay: dict[str, Any], tp: Any) -> dict[str, Any]:
    """`overlay` over `base`, table by table as type `tp` nests them; values replace values."""
    merged = dict(base)
    for key, value in overlay.items():
        sub = _field_type(tp, key)
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and _is_table(sub):
            merged[key] = _merge(merged[key], value, sub)
        else:
            merged[key] = value
    # A baseline confidence marker describes the baseline's value, not the overlay's replacement.
    if isinstance(base.get("confidence"), dict):
        replaced = set(overlay) - {"confidence"}
        kept = {key: mark for key, mark in base["confidence"].items() if key not in replaced}
        merged["confidence"] = kept | overlay.get("confidence", {})
    return merged


def _optional_of(tp: Any) -> Any:
    """X for `X | None`, else `tp` itself."""
    if get_origin(tp) in (UnionType, Union):
        args = [arg for arg in get_args(tp) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _field_type(tp: Any, key: str) -> Any:
    tp = _optional_of(tp)
    if _is_struct(tp):
        fields = {field.encode_name: field.type for field in msgspec.structs.fields(tp)}
        return fields.get(key)
    if get_origin(tp) is dict:
        return get_args(tp)[1]
    return None


def _is_table(tp: Any) -> bool:
    tp = _optional_of(tp)
    return (_is_struct(tp) and tp not in _VALUE_TABLES) or get_origin(tp) is dict


def _faults(value: Any, tp: Any, path: str, partial: bool) -> list[str]:
    """Every fault of `value` against type `tp`; `partial` (an overlay) allows missing keys."""
    tp = _optional_of(tp)  # TOML has no null: a value given for an optional field must be an X
    if _is_struct(tp) and tp not in _VALUE_TABLES:
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
    if tp is ScoreRules and isinstance(value.get("items"), dict):
        groups = value.get("groups")
        known_groups: dict[str, Any] = groups if isinstance(groups, dict) else {}
        for key, item in value["items"].items():
            if key not in DEDUCTION_ITEMS:
                items = ", ".join(DEDUCTION_ITEMS)
                faults.append(f"{path}.items.{key}: unknown deduction item (known: {items})")
            if not partial and key in WINDOW_ITEMS and isinstance(item, dict):
                if "window" not in item:
                    faults.append(f"{path}.items.{key}.window: missing (a freshness item)")
            group = item.get("group") if isinstance(item, dict) else None
            if not partial and isinstance(group, str) and group not in known_groups:
                faults.append(
                    f"{path}.items.{key}.group: {group!r} is not a group of {path}.groups "
                    f"({', '.join(known_groups)})"
                )
    if tp is AvailabilityRules and not partial:
        warn, veto = value.get("warn_ratio"), value.get("veto_ratio")
        if isinstance(warn, int | float) and isinstance(veto, int | float) and warn > veto:
            faults.append(f"{path}.warn_ratio: {warn} is above veto_ratio {veto}")
    if tp is ServiceRules:
        for i, name in enumerate(_str_list(value.get("elements"))):
            if name not in GUIDE_ELEMENTS:
                elements = ", ".join(GUIDE_ELEMENTS)
                faults.append(f"{path}.elements[{i}]: unknown element {name!r} (known: {elements})")
    if tp is ColumnRules and not partial:
        found = value.get("duties")
        duties: dict[str, Any] = found if isinstance(found, dict) else {}
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


# --- printing the effective rules (`govsweep rules show`) --------------------------------------

_MARKS = {"P": "部分可见", "M": "回忆，未核实", "I": "推断"}
# Unset, these values are UNKNOWN in INDICATORS.md: the listing says what that means.
_UNKNOWN_VALUES = {
    "points": "分值未知（UNKNOWN），只报告，不扣分",
    "max_points": "总分值未知（UNKNOWN），扣分不设上限",
}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_rules(rules: RuleSet) -> str:
    """The effective rules as TOML (loadable as a rule file), values below [V] marked.

    Values equal to their default are left out; unknown point values and families the rule set
    does not include are named in comments.
    """
    lines = [
        f"# 有效规则 {rules.version}",
        "# 标记：[P] 部分可见  [M] 回忆，未核实  [I] 推断；未标记的值为原文可见 [V]/[V-b]",
    ]
    for field in msgspec.structs.fields(RuleSet):
        value = getattr(rules, field.encode_name)
        lines.append("")
        if value is None:
            lines.append(f"# {field.encode_name}：本规则集未包含，不检查")
        else:
            lines += _toml_lines(field.encode_name, value)
    return "\n".join(lines) + "\n"


def _toml_lines(path: str, value: Any) -> list[str]:
    if isinstance(value, msgspec.Struct) and not isinstance(value, _VALUE_TABLES):
        return _struct_lines(path, value)
    if isinstance(value, dict) and value and all(_is_table_value(v) for v in value.values()):
        return [line for key, sub in value.items() for line in _toml_lines(_path(path, key), sub)]
    return [f"{path} = {_toml(value)}"]


def _struct_lines(path: str, value: msgspec.Struct) -> list[str]:
    marks = getattr(value, "confidence", {})
    lines = []
    for field in msgspec.structs.fields(value):
        name = field.encode_name
        sub = getattr(value, name)
        if field.default_factory is not msgspec.NODEFAULT:
            default = field.default_factory()
        else:
            default = field.default
        if name == "confidence" or (sub == default and name not in _UNKNOWN_VALUES):
            continue
        if sub is None:
            lines.append(f"# {_path(path, name)}：{_UNKNOWN_VALUES[name]}")
            continue
        sub_lines = _toml_lines(_path(path, name), sub)
        if name in marks:
            sub_lines[0] += f"  # [{marks[name]}] {_MARKS[marks[name]]}"
        lines += sub_lines
    if marks:
        lines.append(f"{_path(path, 'confidence')} = {_toml(marks)}")
    if all(line.startswith("#") for line in lines):
        lines.append(f"{path} = {{}}")  # the table exists even with nothing set
    return lines


def _is_table_value(value: Any) -> bool:
    return isinstance(value, msgspec.Struct) and not isinstance(value, _VALUE_TABLES)


def _path(path: str, key: str) -> str:
    return f"{path}.{_toml_key(key)}"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _toml(value: Any) -> str:
    """A TOML value (JSON string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, msgspec.Struct):
        value = {key: sub for key, sub in msgspec.structs.asdict(value).items() if sub is not None}
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(key)} = {_toml(sub)}" for key, sub in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")
