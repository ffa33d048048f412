"""End to end with province overlays: the same simulated province swept through the real pipeline
with the baseline rules, with checkers/rulesets/overlays/example-stricter.toml and (its 门户 only,
the sites that are scored) with checkers/rulesets/overlays/example-scored.toml.

Each sweep must give every site the verdict and holding vetoes of its ground truth: the manifest's
`expected` for the baseline, its `variants[<version>]` for an overlay (the farm's own statement of
the same change, farm/variants.py). Each overlay must change at least one verdict: the
stricter one by W-V4-3, the scored one by a score below 60 with no veto.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checkers.rules import BASELINE, RULESETS
from farm.province import generate_province
from farm.server import FarmServer
from services.cli.commands import run_sweep
from services.config import CheckConfig, Config, for_loopback_farm
from services.registry import load_registry
from services.roles.scheduler import quarter_of
from tests.conftest import AT

# Two full sweeps and one of the 门户: about 2 × 50 + 20 s on a 2-CPU machine, more under load.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

SITES = 40
SEED = 7
OVERLAY = RULESETS / "overlays" / "example-stricter.toml"
VERSION = "示例省-严格"
SCORED = RULESETS / "overlays" / "example-scored.toml"
SCORED_VERSION = "示例省-计分"


def _outcomes(verdicts) -> dict[str, tuple[str, list[str]]]:
    """site_id → (verdict, sorted holding veto ids)."""
    return {
        v.site.site_id: (
            v.verdict.verdict,
            sorted({f.indicator for f in v.verdict.findings if f.level == "veto" and f.holds}),
        )
        for v in verdicts
    }


async def test_an_overlay_changes_the_verdicts_as_the_manifest_variant_says(
    tmp_path: Path,
) -> None:
    province = generate_province(SITES, SEED, AT)
    async with FarmServer(province):
        province.write_registry_csv(tmp_path / "registry.csv")
        manifest = province.manifest()
        sites = load_registry(tmp_path / "registry.csv")
        portals = [s for s in sites if s.kind == "门户"]
        runs = {}
        for name, overlays, swept in (
            ("baseline", [], sites),
            ("overlay", [str(OVERLAY)], sites),
            ("scored", [str(SCORED)], portals),
        ):
            config = Config(
                state_dir=str(tmp_path / name),
                metrics_port=-1,
                check=CheckConfig(overlays=overlays),
            )
            _, verdicts = await run_sweep(
                for_loopback_farm(config), swept, AT, quarter_of(AT), timeout=240
            )
            assert len(verdicts) == len(swept), name
            runs[name] = verdicts

    names = {s["site_id"]: s["name"] for s in manifest["sites"]}
    truth = {
        "baseline": {s["site_id"]: s["expected"] for s in manifest["sites"]},
        "overlay": manifest["variants"][VERSION]["sites"],
        "scored": manifest["variants"][SCORED_VERSION]["sites"],
    }
    got = {name: _outcomes(verdicts) for name, verdicts in runs.items()}
    problems = []
    for name in ("baseline", "overlay", "scored"):
        for site_id, outcome in got[name].items():
            want = truth[name][site_id]
            if outcome != (want["verdict"], sorted(want["findings"])):
                problems.append(f"{name} {site_id} {names[site_id]}: want {want}, got {outcome}")
    assert problems == []

    # The overlay's findings name the effective rule set; the baseline's do not mention it.
    vetoes = {
        name: [f for v in verdicts for f in v.verdict.findings if f.level == "veto" and f.holds]
        for name, verdicts in runs.items()
    }
    assert {f.rule_version for f in vetoes["overlay"]} == {f"{BASELINE}+{VERSION}"}
    assert {f.rule_version for f in vetoes["baseline"]} == {BASELINE}
    blank = [f for f in vetoes["overlay"] if f.indicator == "W-V4-3"]
    assert blank and all("空白栏目数量超过(含)3个" in f.message for f in blank)

    # The overlay must move at least one site, or this test proves nothing about it.
    changed = [s for s in got["baseline"] if got["baseline"][s][0] != got["overlay"][s][0]]
    assert changed, "the overlay changed no verdict"
    for site_id in changed:
        assert (got["baseline"][site_id][0], got["overlay"][site_id][0]) == ("合格", "不合格")
        assert "W-V4-3" in got["overlay"][site_id][1], names[site_id]

    # The scored overlay fails a 门户 on its score alone: no veto, a score below 60.
    low = [s for s in got["scored"] if got["baseline"][s][0] != got["scored"][s][0]]
    assert low, "the scored overlay changed no verdict"
    scores = {v.site.site_id: v.verdict.score for v in runs["scored"]}
    for site_id in low:
        assert (got["baseline"][site_id], got["scored"][site_id]) == (
            ("合格", []),
            ("不合格", []),
        ), names[site_id]
        assert scores[site_id] is not None and scores[site_id] < 60, names[site_id]
