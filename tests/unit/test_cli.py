"""The command line as a user meets it: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "registry"


def govsweep(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_registry_check_reports_each_bad_row_by_line() -> None:
    result = govsweep("registry", "check", str(FIXTURES / "bad_rows.csv"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    # Line numbers as the user sees them: the title row is line 1, the header line 2.
    for line_no in (4, 5, 6, 7, 8, 9, 10, 12, 13, 15):
        assert any(f"bad_rows.csv:{line_no}:" in line for line in lines), line_no
    assert "2 valid site(s)" in result.stdout or "valid site(s)" in result.stdout


def test_registry_check_accepts_a_good_file() -> None:
    result = govsweep("registry", "check", str(FIXTURES / "guizhou.csv"))
    assert result.returncode == 0, result.stderr
    assert "0 error(s)" in result.stdout


def test_sweep_refuses_a_bad_registry_and_publishes_nothing(tmp_path: Path) -> None:
    result = govsweep(
        "sweep", "--registry", str(FIXTURES / "bad_rows.csv"), "--out", str(tmp_path / "out")
    )
    assert result.returncode == 2
    assert "nothing was published" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_files_and_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    missing = govsweep("registry", "check", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    bad_date = govsweep("sweep", "--registry", "x.csv", "--at", "2024-13-01")
    assert bad_date.returncode == 2 and "not a date" in bad_date.stderr
    extract = govsweep("extract", str(tmp_path / "nope.html"))
    assert extract.returncode == 2 and "no such file" in extract.stderr
    for result in (missing, bad_date, extract):
        assert "Traceback" not in result.stderr


def test_run_role_needs_a_nats_url() -> None:
    result = govsweep("run", "crawler", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "GOVSWEEP_NATS_URL" in result.stderr


def test_rules_show_prints_the_effective_rules_with_an_overlay(tmp_path: Path) -> None:
    base = govsweep("rules", "show")
    assert base.returncode == 0, base.stderr
    assert 'version = "gov-2019-19"' in base.stdout
    assert 'columns.duties."动态要闻".window = { days = 14 }' in base.stdout
    overlay = tmp_path / "guizhou.toml"
    overlay.write_text(
        'version = "贵州-2024"\n[columns.duties."动态要闻"]\nwindow = { days = 7 }\n',
        encoding="utf-8",
    )
    stricter = govsweep("rules", "show", "--overlay", str(overlay))
    assert stricter.returncode == 0, stricter.stderr
    assert "gov-2019-19+贵州-2024" in stricter.stdout
    assert 'columns.duties."动态要闻".window = { days = 7 }' in stricter.stdout


def test_rules_show_names_each_fault_of_a_bad_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "bad.toml"
    overlay.write_text(
        'version = "x"\n[columns]\nblank = 3\n[homepage]\nwarn_days_before = -1\nbogus = 1\n',
        encoding="utf-8",
    )
    result = govsweep("rules", "show", "--overlay", str(overlay))
    assert result.returncode == 2
    faults = [line for line in result.stderr.splitlines() if line.startswith("govsweep:")]
    assert len(faults) == 3, result.stderr
    assert all(str(overlay) in line for line in faults)
    assert "Traceback" not in result.stderr


def test_sweep_with_a_faulty_overlay_stops_before_publishing(tmp_path: Path) -> None:
    overlay = tmp_path / "bad.toml"
    overlay.write_text('version = "x"\n[columns]\nblank = 3\n', encoding="utf-8")
    env = {
        **os.environ,
        "GOVSWEEP_CHECK_OVERLAYS": str(overlay),
        "GOVSWEEP_STATE_DIR": str(tmp_path),
    }
    result = govsweep(
        "sweep",
        "--registry",
        str(FIXTURES / "guizhou.csv"),
        "--out",
        str(tmp_path / "out"),
        env=env,
    )
    assert result.returncode == 2
    assert f"govsweep: {overlay}: columns.blank" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "nats").exists()


def test_registry_check_warns_on_internal_and_credential_urls(tmp_path: Path) -> None:
    registry = tmp_path / "sites.csv"
    registry.write_text(
        "网站标识码,网站名称,首页地址,地区/部门,网站类型\n"
        "5200000001,贵州省人民政府,http://www.gz.test/,贵州省,门户\n"
        "5200000002,元数据,http://169.254.169.254/latest/,贵州省,部门\n"
        "5200000003,内网,http://10.0.0.1/,贵州省,部门\n"
        "5200000004,带口令,http://user:secret@www.gz2.test/,贵州省,部门\n"
        "5200000005,本机,http://localhost:8222/,贵州省,部门\n",
        encoding="utf-8",
    )
    result = govsweep("registry", "check", str(registry))
    assert result.returncode == 0, result.stderr  # warnings, not errors: the file is readable
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    flagged = {line.split("site ")[1].split(":")[0]: line for line in warnings}
    assert set(flagged) == {"5200000002", "5200000003", "5200000004", "5200000005"}, warnings
    assert "metadata address" in flagged["5200000002"]
    assert "private address" in flagged["5200000003"]
    assert "credentials" in flagged["5200000004"]
    assert "internal address" in flagged["5200000005"]
    assert "4 warning(s)" in result.stdout
