"""Platform adapters against the simulated platforms over loopback HTTP, and the account sweep on a
real nats-server: every planted new-media defect is found, per-platform rates equal the manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checkers.media import judge_account
from checkers.media_rules import load_media_rules
from crawler.fetch import Fetcher
from crawler.platforms.read import PlatformPoliteness, read_account
from crawler.security import default_lexicon
from services.config import Config, for_loopback_farm
from services.farm.accounts import accounts_manifest, generate_accounts
from services.farm.platforms import PlatformFarm
from services.media_registry import load_accounts
from services.media_report import media_tables, platform_rows
from services.media_sweep import overlay_paths, run_account_sweep
from tests.conftest import AT

pytestmark = pytest.mark.integration

ACCOUNTS = 70  # ten per platform: every defect planted on every platform that can show it


def outcome(verdict) -> dict:
    findings = verdict.verdict.findings
    return {
        "verdict": verdict.verdict.verdict,
        "vetoes": sorted(f.message for f in findings if f.level == "veto" and f.holds),
        "candidates": any(f.level == "candidate" for f in findings),
        "problems": sorted(f.message for f in findings if f.level == "problem")
        if verdict.verdict.verdict == "合格"
        else [],
    }


async def test_adapters_read_every_platform_view(tmp_path: Path) -> None:
    specs = generate_accounts(ACCOUNTS, 3, AT)
    manifest = accounts_manifest(specs, AT)
    rules = load_media_rules()
    async with PlatformFarm(specs) as farm, Fetcher(PlatformPoliteness(scale=20.0)) as fetcher:
        for spec in specs:
            facts = await read_account(fetcher, spec.platform, farm.url(spec))
            want = manifest["accounts"][spec.account_id]
            assert facts.measured == (want["verdict"] != "未能检测"), (spec.platform, facts.reason)
            if not facts.measured:
                assert "拒绝访问" in facts.reason
                continue
            if spec.platform != "app":
                assert {p.date for p in facts.posts} == {
                    p.day.isoformat()
                    for p in spec.posts
                    if not (p.pinned and spec.platform == "wechat")
                }
            if spec.defect == "reposts_only" and spec.platform in (
                "weibo",
                "wechat",
                "toutiao",
                "baijiahao",
            ):
                assert not any(p.original for p in facts.posts)
            verdict = judge_account(facts, spec.platform, AT, rules, default_lexicon())
            assert verdict.verdict == want["verdict"], (spec.platform, spec.defect)


async def test_account_sweep_on_nats_matches_the_manifest(tmp_path: Path) -> None:
    specs = generate_accounts(ACCOUNTS, 5, AT)
    manifest = accounts_manifest(specs, AT)
    config = for_loopback_farm(Config(state_dir=str(tmp_path / "state"), metrics_port=-1))
    async with PlatformFarm(specs) as farm:
        farm.write_registry_csv(tmp_path / "accounts.csv")
        accounts = load_accounts(tmp_path / "accounts.csv")
        _, verdicts = await run_account_sweep(
            config, accounts, AT, "2024Q1", ["kaifeng-2024.toml"], timeout=120
        )
    assert len(verdicts) == ACCOUNTS
    kaifeng = manifest["variants"]["开封-2024"]
    for v in verdicts:
        assert outcome(v) == kaifeng[v.account.account_id], (v.account.name, v.verdict)
    # Every kind of planted defect is present, so the comparison above proves something.
    assert {s.defect for s in specs} >= {
        "stale",
        "no_channel",
        "blocked",
        "lexicon",
        "personal_data",
        "weekly_once",
    }
    rows = {row[0]: row for row in platform_rows(verdicts)}
    for platform, counts in manifest["platforms"].items():
        row = rows[platform]
        assert (row[1], row[3], row[4]) == (
            counts["accounts"],
            counts["failed"],
            counts["unmeasured"],
        )
    assert overlay_paths(["kaifeng-2024.toml"])[0].exists()
    assert media_tables(verdicts)[2].rows  # 存在问题的政务新媒体 under the 开封 overlay
