"""NATS settings: credentials from the environment, redacted URLs, clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import nats.errors
import pytest
from nats.js.errors import NoStreamResponseError

from services.bus.jetstream import BusError, _auth_options, is_infrastructure, redact
from services.config import ConfigError, NatsConfig, load_config


def test_credentials_come_from_the_environment() -> None:
    config = load_config(
        None,
        env={
            "GOVSWEEP_NATS_URL": "nats://a:4222,nats://b:4222",
            "GOVSWEEP_NATS_USER": "gov",
            "GOVSWEEP_NATS_PASSWORD": "pw",
            "GOVSWEEP_NATS_REPLICAS": "3",
        },
    )
    assert config.nats_url == "nats://a:4222,nats://b:4222"
    assert (config.nats.user, config.nats.password, config.nats.replicas) == ("gov", "pw", 3)


def test_replicas_out_of_range_is_one_line() -> None:
    with pytest.raises(ConfigError, match="replicas"):
        load_config(None, env={"GOVSWEEP_NATS_REPLICAS": "0"})


def test_redact_hides_user_and_password() -> None:
    assert redact("nats://gov:pw@10.0.0.1:4222") == "nats://***@10.0.0.1:4222"
    assert redact("tls://tok@nats-1") == "tls://***@nats-1"
    assert redact("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"


def test_missing_creds_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(BusError, match=r"nats.creds: file not found: .*nope.creds"):
        _auth_options(NatsConfig(creds=str(tmp_path / "nope.creds")))
    with pytest.raises(BusError, match="tls_ca"):
        _auth_options(NatsConfig(tls_ca=str(tmp_path / "nope.pem")))


def test_login_options() -> None:
    assert _auth_options(NatsConfig(user="u", password="p")) == {"user": "u", "password": "p"}
    assert _auth_options(NatsConfig(token="t")) == {"token": "t"}
    assert _auth_options(NatsConfig()) == {}


def test_bus_failures_are_told_from_job_failures() -> None:
    assert is_infrastructure(nats.errors.TimeoutError())
    assert is_infrastructure(nats.errors.ConnectionClosedError())
    assert is_infrastructure(NoStreamResponseError())
    assert not is_infrastructure(ValueError("Invalid isoformat string"))
    assert not is_infrastructure(TimeoutError("no request slot"))
