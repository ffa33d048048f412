"""`govsweep accounts …` as a user meets it: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEADER = "政务新媒体标识码,账号名称,平台,主管单位,地区,账号地址/ID\n"


def govsweep(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "GOVSWEEP_METRICS_PORT": "-1"},
    )


def test_accounts_check_good_bad_and_missing_files(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "530621M008WX0001,微梭山,微信,鲁甸县政府办,鲁甸县,MzA5\n", "utf-8")
    result = govsweep("accounts", "check", str(good), cwd=tmp_path)
    assert result.returncode == 0 and "1 valid account(s), 0 error(s)" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "530621M008WX0001,微梭山,脸书,鲁甸县政府办,鲁甸县,MzA5\n", "utf-8")
    result = govsweep("accounts", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{bad}:2: field 平台: '脸书' is not a known platform")
    missing = govsweep("accounts", "check", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 2 and "account registry file not found" in missing.stderr


def test_accounts_sweep_refuses_bad_inputs_before_publishing(tmp_path: Path) -> None:
    registry = tmp_path / "accounts.csv"
    registry.write_text(HEADER + "530621M008WX0001,微梭山,微信,鲁甸县政府办,鲁甸县,MzA5\n", "utf-8")
    overlay = tmp_path / "bad.toml"
    overlay.write_text('version = "坏"\n[update]\nwindow_days = 0\n', "utf-8")
    result = govsweep(
        "accounts", "sweep", "--registry", str(registry), "--overlay", str(overlay), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "update.window_days: must be ≥ 1" in result.stderr
    items = tmp_path / "items.csv"
    items.write_text(
        "标题,来源地址,发布日期,转载时限\n某通知,https://a.test/1,昨天,2024-03-01\n", "utf-8"
    )
    result = govsweep(
        "accounts", "sweep", "--registry", str(registry), "--reposts", str(items), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{items}:2: field 发布日期: '昨天' is not a date" in result.stderr
    assert not (tmp_path / ".govsweep").exists()  # nothing was started
