"""The example province overlay and the farm's variant are two statements of one change: they agree.

The overlay (checkers/rulesets/overlays/example-stricter.toml) is read by the checkers; the farm's
variant (farm/variants.py) is what its ground truth applies. The farm never reads the
overlay, so this test is where the two meet.
"""

from __future__ import annotations

import tomllib

import msgspec

from checkers.rules import BASELINE, RULESETS, RuleSet, Threshold, Window, load_rules
from farm.oracle import BASELINE as FARM_BASELINE
from farm.oracle import FAIL, PASS, Thresholds
from farm.province import generate_province
from farm.variants import BY_VERSION, VARIANTS
from tests.conftest import AT

OVERLAY = RULESETS / "overlays" / "example-stricter.toml"
VERSION = "示例省-严格"


def _farm_view(rules: RuleSet) -> Thresholds:
    """The W-V4 lines of a rule set in the farm's terms (each must be a plain ">=" line)."""
    columns = rules.columns
    window = columns.duties["动态要闻"].window
    assert window == Window(days=window.days), window
    lines = (
        columns.combined_stale.threshold,
        columns.long_stale.threshold,
        columns.blank.threshold,
    )
    assert all(line.op == ">=" for line in lines), lines
    return Thresholds(window.days, *(line.value for line in lines))


def test_the_overlay_loads_over_the_baseline() -> None:
    rules = load_rules(None, [OVERLAY])
    assert rules.version == f"{BASELINE}+{VERSION}"
    assert rules.columns.blank.threshold == Threshold(">=", 3)


def test_the_overlay_names_the_farm_variant() -> None:
    own = tomllib.loads(OVERLAY.read_text("utf-8"))
    assert own["version"] == VERSION
    assert VERSION in BY_VERSION
    assert len({variant.version for variant in VARIANTS}) == len(VARIANTS)


def test_the_overlay_and_the_farm_variant_state_the_same_thresholds() -> None:
    # The baseline rule file and the farm's default lines agree ...
    assert _farm_view(load_rules()) == FARM_BASELINE
    # ... and so do the overlay and the variant: the overlay's value is the variant's threshold.
    variant = BY_VERSION[VERSION]
    assert _farm_view(load_rules(None, [OVERLAY])) == variant.thresholds
    assert variant.thresholds.blank == load_rules(None, [OVERLAY]).columns.blank.threshold.value


def test_the_overlay_changes_one_threshold_only() -> None:
    baseline = msgspec.to_builtins(load_rules())
    stricter = msgspec.to_builtins(load_rules(None, [OVERLAY]))
    assert stricter.pop("version") != baseline.pop("version")
    assert stricter["columns"].pop("blank") != baseline["columns"].pop("blank")
    assert stricter == baseline
    changed = [
        field
        for field, value in BY_VERSION[VERSION].thresholds._asdict().items()
        if value != getattr(FARM_BASELINE, field)
    ]
    assert changed == ["blank"]


def test_the_manifest_variant_is_the_baseline_truth_with_the_blank_line_moved() -> None:
    """Recounted from the manifest's own `expected` and counts, not through the oracle."""
    line = BY_VERSION[VERSION].thresholds.blank
    for sites, least in ((40, 1), (200, 3)):
        province = generate_province(sites, 7, AT)
        province.assign_port(8080)
        manifest = province.manifest()
        variant = manifest["variants"][VERSION]
        assert variant["thresholds"]["blank"] == line
        assert set(variant["sites"]) == {s["site_id"] for s in manifest["sites"]}
        changed = 0
        for site in manifest["sites"]:
            base = site["expected"]
            findings = set(base["findings"]) - {"W-V4-3"}
            if base["counts"]["blank"] >= line:
                findings.add("W-V4-3")
            verdict = FAIL if findings else base["verdict"]
            want = {"verdict": verdict, "findings": sorted(findings)}
            assert variant["sites"][site["site_id"]] == want, site["name"]
            changed += verdict != base["verdict"]
            if verdict != base["verdict"]:
                assert (base["verdict"], verdict) == (PASS, FAIL)
        # The farm exercises the changed line, or the end-to-end test proves little.
        assert changed >= least, sites


SCORED = RULESETS / "overlays" / "example-scored.toml"
SCORED_VERSION = "示例省-计分"


def test_the_scored_overlay_and_its_farm_variant_state_the_same_points() -> None:
    rules = load_rules(None, [SCORED])
    assert rules.version == f"{BASELINE}+{SCORED_VERSION}"
    assert rules.score is not None
    variant = BY_VERSION[SCORED_VERSION].thresholds
    points = {key: item.points for key, item in rules.score.items.items()}
    assert (points["site_code"], points["jiucuo"]) == (
        variant.site_code_points,
        variant.jiucuo_points,
    )
    # The oracle counts only these two; the other deductions the rules know must not be able to
    # move a 门户 across the line, whichever of the two it lacks.
    others = sum((p or 0) for key, p in points.items() if key not in ("site_code", "jiucuo"))
    assert not any(item.each for item in rules.score.items.values() if item.points)
    total, line = rules.score.total, rules.score.fail_below
    for lost in (0, variant.site_code_points, variant.jiucuo_points):
        assert total - lost - others >= line, lost
    assert total - variant.site_code_points - variant.jiucuo_points < line


def test_the_scored_variant_fails_the_portals_without_code_and_jiucuo() -> None:
    """Recounted from the manifest (kind, footer code, defects), not through the oracle."""
    for sites, least in ((40, 1), (300, 3)):
        province = generate_province(sites, 7, AT)
        province.assign_port(8080)
        manifest = province.manifest()
        variant = manifest["variants"][SCORED_VERSION]["sites"]
        changed = 0
        for site in manifest["sites"]:
            base = site["expected"]
            kinds = {d["kind"] for d in site["defects"]}
            low = (
                site["kind"] == "门户"
                and site["home"]["footer_site_code"] != site["site_id"]
                and "jiucuo_missing" in kinds
                and not base["findings"]
                and site["availability"]["home"] == "up"
            )
            verdict = FAIL if low else base["verdict"]
            want = {"verdict": verdict, "findings": base["findings"]}
            assert variant[site["site_id"]] == want, site["name"]
            changed += verdict != base["verdict"]
        assert changed >= least, sites
