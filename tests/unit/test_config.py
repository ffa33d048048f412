from pathlib import Path

import pytest

from services.config import ConfigError, load_config


def test_file_then_environment_overrides(tmp_path: Path) -> None:
    path = tmp_path / "govsweep.toml"
    path.write_text('state_dir = "/srv/gs"\n[crawl]\nper_host_concurrency = 1\n', encoding="utf-8")
    config = load_config(path, env={"GOVSWEEP_CRAWL_PER_HOST_RATE": "0.5"})
    assert config.state_dir == "/srv/gs"
    assert config.crawl.per_host_concurrency == 1
    assert config.crawl.per_host_rate == 0.5
    assert config.nats_url == ""  # embedded by default


def test_environment_alone(tmp_path: Path) -> None:
    config = load_config(None, env={"GOVSWEEP_NATS_URL": "nats://127.0.0.1:4222"})
    assert config.nats_url == "nats://127.0.0.1:4222"
    assert config.crawl.timeout_s == 15.0


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ("[crawl]\ntimeout_s = 'soon'\n", {}, "$.crawl.timeout_s"),
        ("nats_urll = 'x'\n", {}, "nats_urll"),
        ("state_dir = \n", {}, "not valid TOML"),
        ("", {"GOVSWEEP_CRAWL_WORKERS": "many"}, "$.crawl.workers"),
        ("[browser]\nidle_stop_s = 0\n", {}, "$.browser.idle_stop_s"),
        ("", {"GOVSWEEP_BROWSER_IDLE_STOP_S": "-5"}, "$.browser.idle_stop_s"),
    ],
)
def test_invalid_config_is_one_clear_line(
    tmp_path: Path, text: str, env: dict, needle: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env=env)
    message = str(err.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_browser_idle_stop_default_and_override() -> None:
    assert load_config(None, env={}).browser.idle_stop_s == 120.0
    config = load_config(None, env={"GOVSWEEP_BROWSER_IDLE_STOP_S": "30"})
    assert config.browser.idle_stop_s == 30.0
