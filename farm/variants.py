"""Province variants of the rules, as the farm's ground truth knows them.

A variant is the farm's own statement of a rule overlay: the overlay's `version` string and the W-V4
lines or 扣分 points it changes. The farm never reads checkers/ files; the overlay under
checkers/rulesets/overlays/ is the second, independent statement of the same change, and
tests/unit/test_overlay_variant.py checks that the two agree.
"""

from __future__ import annotations

from typing import NamedTuple

from farm.oracle import Thresholds


class Variant(NamedTuple):
    version: str  # the overlay's `version` (the manifest's key under "variants")
    thresholds: Thresholds
    note: str


VARIANTS: tuple[Variant, ...] = (
    Variant(
        version="示例省-严格",
        thresholds=Thresholds(blank=3),
        note="example province variant (not a real province's rule): W-V4-3 at >= 3 blank columns",
    ),
    Variant(
        version="示例省-计分",
        thresholds=Thresholds(site_code_points=30, jiucuo_points=15),
        note="example province variant (not a real province's rule): 扣分 points for the footer's "
        "网站标识码 (30) and the 找错 entry (15); a 门户 missing both scores 55, below 60",
    ),
)
BY_VERSION = {variant.version: variant for variant in VARIANTS}
