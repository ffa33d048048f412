"""A 200-site province with every template, defect and hostile case, swept end to end.

Real farm over loopback HTTP, real nats-server, real Chromium for the script-built columns.
Verdicts and veto findings must equal the manifest: precision and recall 1.0 per indicator.
"""

from __future__ import annotations

import resource
from collections import Counter
from pathlib import Path

import pytest

from farm.province import generate_province
from farm.server import FarmServer
from services.cli.commands import run_sweep
from services.config import Config, for_loopback_farm
from services.registry import load_registry
from services.roles.scheduler import quarter_of
from tests.conftest import AT

pytestmark = pytest.mark.integration

SITES = 200
SEED = 1
# Hostile pages (200 MB body, gzip bomb, endless pagination) must not grow the process past this.
MAX_RSS_MB = 1500


def holding(verdict) -> set[str]:
    return {f.indicator for f in verdict.findings if f.level == "veto" and f.holds}


async def test_province_sweep_equals_manifest(tmp_path: Path) -> None:
    province = generate_province(SITES, SEED, AT)
    async with FarmServer(province):
        province.write_registry_csv(tmp_path / "registry.csv")
        manifest = province.manifest()
        config = for_loopback_farm(Config(state_dir=str(tmp_path / "state"), metrics_port=-1))
        _, verdicts = await run_sweep(
            config, load_registry(tmp_path / "registry.csv"), AT, quarter_of(AT), timeout=900
        )
    expected = {s["site_id"]: s for s in manifest["sites"]}
    assert len(verdicts) == SITES

    # Per indicator: true positives, false positives, false negatives over all sites.
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    wrong_verdicts = []
    for v in verdicts:
        want = expected[v.site.site_id]["expected"]
        got, should = holding(v.verdict), set(want["findings"])
        for ind in got & should:
            tp[ind] += 1
        for ind in got - should:
            fp[ind] += 1
        for ind in should - got:
            fn[ind] += 1
        if v.verdict.verdict != want["verdict"]:
            wrong_verdicts.append((v.site.site_id, v.site.name, v.verdict.verdict, want["verdict"]))
    assert not fp and not fn, f"false positives {dict(fp)}, false negatives {dict(fn)}"
    assert not wrong_verdicts
    # Every veto the province plants was found at least once.
    assert {"W-V3", "W-V4-1", "W-V4-2", "W-V4-3"} <= set(tp)

    # Sites the farm takes down or walls off are 未能检测 with a reason, never 不合格 or blank.
    by_id = {v.site.site_id: v for v in verdicts}
    down = [s for s in manifest["sites"] if s["availability"]["home"] != "up"]
    assert down
    for site in down:
        verdict = by_id[site["site_id"]].verdict
        assert verdict.verdict == "未能检测" and verdict.unmeasured

    # Each hostile site got a verdict (nothing stalled), and its bad column is reported with why.
    hostile = [s for s in manifest["sites"] if s["hostile"]]
    assert len(hostile) >= 5
    for site in hostile:
        judged = by_id[site["site_id"]]
        assert judged.verdict.verdict == site["expected"]["verdict"], site["hostile"]
        if any(not c["measured"] for c in site["columns"]):
            assert judged.columns_unmeasured >= 1, site["hostile"]

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < MAX_RSS_MB, f"peak RSS {peak_mb:.0f} MB"
