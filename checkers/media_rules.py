"""The 政务新媒体 rule file (`rulesets/media-gov-2019-19.toml`) and province overlays, as data.

An overlay names itself with `version`, may change keys of `[update]`, `[interaction]` and
`[candidates]` (they replace the baseline's key by key) and adds `[[local]]` rules (appended). Faults
are reported one line each (`RuleError`), naming the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import msgspec

from checkers.rules import RuleError
from crawler.platforms.base import PLATFORM_NAMES

BASELINE = Path(__file__).parent / "rulesets" / "media-gov-2019-19.toml"
OVERLAYS = Path(__file__).parent / "rulesets" / "media-overlays"  # the packaged local variants
PERSONAL_DATA_KINDS = ("身份证号", "手机号", "银行卡号")
LOCAL_LEVELS = ("problem", "veto")
MERGED_TABLES = ("update", "interaction", "candidates", "registration")


class UpdateRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    indicator: str
    name: str
    message: str
    window_days: int
    count_reposts: bool
    platforms: list[str]


class InteractionRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    indicator: str
    name: str
    message: str
    enforce: bool = True


class CandidateRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    indicator: str
    name: str
    lexicon: bool = True
    personal_data: list[str] = []


class RegistrationRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    indicator: str
    name: str
    message: str


class LocalRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A local update rule: fewer than `min_posts` posts in the window before T is a problem."""

    id: str
    message: str  # the 问题类型 as the local bulletin prints it
    min_posts: int = 1
    window_days: int | None = None
    window_months: int | None = None
    platforms: list[str] = []  # empty: every platform with posts
    level: str = "problem"  # problem: 存在问题 (the account stays 合格); veto: 不合格
    count_reposts: bool = True
    version: str = ""  # the overlay that brought it (filled in on loading)


class MediaRules(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    update: UpdateRule
    interaction: InteractionRule
    candidates: CandidateRule
    registration: RegistrationRule | None = None
    local: list[LocalRule] = []


def load_media_rules(overlays: list[Path] | None = None, base: Path = BASELINE) -> MediaRules:
    """The baseline with the overlays applied in order; RuleError lists every fault."""
    data = _read(base)
    errors: list[str] = []
    versions = [str(data.get("version", ""))]
    local: list[dict[str, Any]] = list(data.pop("local", []))
    for path in overlays or []:
        overlay = _read(path)
        version = overlay.pop("version", None)
        if not isinstance(version, str) or not version:
            errors.append(f'{path}: version: give the overlay a name (version = "…")')
            continue
        versions.append(version)
        for entry in overlay.pop("local", []):
            local.append({**entry, "version": version} if isinstance(entry, dict) else entry)
        for key, value in overlay.items():
            if key not in MERGED_TABLES or not isinstance(value, dict):
                errors.append(
                    f"{path}: {key}: not a media rule table (update, interaction, candidates, local)"
                )
                continue
            data[key] = {**data.get(key, {}), **value}
    data["version"] = "+".join(versions)
    data["local"] = local
    if errors:
        raise RuleError(errors)
    try:
        rules = msgspec.convert(data, MediaRules)
    except msgspec.ValidationError as exc:
        raise RuleError([f"{base} (+ overlays): {exc}"]) from None
    faults = _faults(rules)
    if faults:
        raise RuleError(faults)
    return rules


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise RuleError([f"{path}: cannot read the rule file: {exc.strerror or exc}"]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleError([f"{path}: not valid TOML: {exc}"]) from None


def _faults(rules: MediaRules) -> list[str]:
    faults = []
    if rules.update.window_days < 1:
        faults.append(f"{rules.version}: update.window_days: must be ≥ 1")
    platforms = [("update.platforms", p) for p in rules.update.platforms]
    for rule in rules.local:
        where = f"{rule.version or rules.version}: local {rule.id}"
        if (rule.window_days is None) == (rule.window_months is None):
            faults.append(f"{where}: give exactly one of window_days, window_months")
        if rule.min_posts < 1:
            faults.append(f"{where}: min_posts: must be ≥ 1")
        if rule.level not in LOCAL_LEVELS:
            faults.append(f"{where}: level: '{rule.level}' is not one of {', '.join(LOCAL_LEVELS)}")
        platforms += [(f"local {rule.id}.platforms", p) for p in rule.platforms]
    for where, platform in platforms:
        if platform not in PLATFORM_NAMES:
            faults.append(f"{rules.version}: {where}: unknown platform '{platform}'")
    for kind in rules.candidates.personal_data:
        if kind not in PERSONAL_DATA_KINDS:
            faults.append(f"{rules.version}: candidates.personal_data: unknown kind '{kind}'")
    return faults
