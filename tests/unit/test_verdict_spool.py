"""The sweep's verdicts on disk: latest per site, read back one at a time, cut for the report."""

from __future__ import annotations

from pathlib import Path

import msgspec

from checkers.model import FAIL, PASS, UNMEASURED, Evidence, Finding, Verdict
from services.bus.schema import Site, SiteVerdict
from services.reporting.report import build_report
from services.reporting.verdict_spool import VerdictSpool, for_report


def verdict(site_id: str, result: str, checked_at: str = "2024-03-20T10:00:00") -> SiteVerdict:
    evidence = [Evidence(url=f"http://{site_id}.test/a/", detail="暂无信息" * 50)]
    findings = [
        Finding("W-V4-3", "空白栏目", "veto", "空白栏目数超过5个", holds=result == FAIL),
        Finding("W-D-icp", "ICP备案编号", "unmeasured", "未能检测：首页未能读取"),
        Finding("W-D-sitemap", "网站地图", "deduction", "无网站地图", evidence=evidence),
    ]
    findings[0].evidence = evidence
    return SiteVerdict(
        sweep_id="s1",
        at="2024-03-15",
        quarter="2024Q1",
        site=Site(site_id, f"网站{site_id}", f"http://{site_id}.test/", site_id[:6]),
        verdict=Verdict(result, findings, ["W-D-icp：首页未能读取"]),
        checked_at=checked_at,
    )


def test_latest_verdict_per_site_in_site_order(tmp_path: Path) -> None:
    spool = VerdictSpool(tmp_path / "v.jsonl")
    spool.add_verdict(verdict("5201000002", PASS))
    spool.add_verdict(verdict("5201000001", FAIL))
    spool.add(msgspec.json.encode(verdict("5201000002", FAIL, "2024-03-20T11:00:00")))
    read = list(spool)
    assert len(spool) == 2 and "5201000002" in spool and "5201000003" not in spool
    assert [(v.site.site_id, v.verdict.verdict) for v in read] == [
        ("5201000001", FAIL),
        ("5201000002", FAIL),  # the redelivered (later) verdict replaced the first
    ]
    assert read == list(spool)  # read again: the same, from disk
    spool.close()


def test_for_report_keeps_what_the_report_reads_and_drops_the_rest() -> None:
    full = [verdict("5201000001", FAIL), verdict("5201000002", PASS)]
    unchecked = verdict("5201000003", UNMEASURED)
    full.append(unchecked)
    slim = [for_report(v) for v in full]
    failed = slim[0].verdict
    assert [f.indicator for f in failed.findings] == ["W-V4-3"] and not failed.findings[0].evidence
    assert not slim[1].verdict.findings and not slim[1].verdict.unmeasured
    assert slim[2].verdict.unmeasured == unchecked.verdict.unmeasured  # its reason stays
    assert len(msgspec.json.encode(slim)) < len(msgspec.json.encode(full)) / 2
    # The 通报 built from the cut verdicts is the 通报 built from the full ones.
    args = ("通报", "2024-03-15", "2024Q1")
    assert build_report(*args, slim) == build_report(*args, full)
