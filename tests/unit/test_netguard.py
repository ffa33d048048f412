"""The SSRF policy: which addresses are refused, and what the allow-list admits."""

from __future__ import annotations

import pytest

from crawler.netguard import NetPolicy
from services.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "reserved"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    reason = NetPolicy().refusal(address)
    assert reason is not None and reason.startswith(f"{kind} address")


@pytest.mark.parametrize("address", ["8.8.8.8", "202.96.128.86", "2400:3200::1"])
def test_public_addresses_pass(address: str) -> None:
    assert NetPolicy().refusal(address) is None


def test_allow_list_admits_only_its_networks() -> None:
    policy = NetPolicy(["127.0.0.0/8", "10.1.0.0/16"])
    assert policy.refusal("127.0.0.2") is None and policy.refusal("10.1.2.3") is None
    assert policy.refusal("10.2.0.1") is not None and policy.refusal("::1") is not None


async def test_url_refusal_checks_ip_literals_and_leaves_other_schemes() -> None:
    policy = NetPolicy()
    assert "metadata" in (await policy.url_refusal("http://169.254.169.254/latest/") or "")
    assert "loopback" in (await policy.url_refusal("http://[::1]:9090/metrics") or "")
    assert await policy.url_refusal("data:text/html,hi") is None


def test_bad_allow_list_entry_is_one_clear_config_line(tmp_path) -> None:
    path = tmp_path / "govsweep.toml"
    path.write_text('[crawl]\nallow_networks = ["127.0.0.0/8", "intranet"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "'intranet'" in message


def test_allow_list_from_the_environment() -> None:
    config = load_config(None, env={"GOVSWEEP_CRAWL_ALLOW_NETWORKS": "127.0.0.0/8,10.0.0.0/8"})
    assert config.crawl.allow_networks == ["127.0.0.0/8", "10.0.0.0/8"]
