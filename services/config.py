"""Configuration: one TOML file decoded into msgspec Structs, every field overridable by GOVSWEEP_* env vars.

Environment names are the upper-cased field path joined by "_", e.g. GOVSWEEP_NATS_URL,
GOVSWEEP_STATE_DIR, GOVSWEEP_CRAWL_PER_HOST_CONCURRENCY.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec


class ConfigError(Exception):
    """Invalid configuration; the message is one line naming the source and the field."""


class CrawlConfig(msgspec.Struct, forbid_unknown_fields=True):
    per_host_concurrency: int = 2
    per_host_rate: float = 4.0  # requests per second per host
    timeout_s: float = 15.0  # whole-request timeout, as the availability rule's 15 s
    max_page_bytes: int = 5_000_000
    max_redirects: int = 5
    max_list_pages: int = 3  # pages of one column list read at most
    max_columns: int = 200  # columns per site read at most
    max_message_pages: int = 5  # pages of one 留言 list read at most
    max_letters: int = 60  # 留言 detail pages read at most per column (for dates the list hides)
    max_guides: int = 20  # 办事指南 sampled per guide column (INDICATORS W-V6 "e.g. 20")
    lexicon: str = ""  # 严重表述错误 lexicon file; empty = the packaged example lexicon
    workers: int = 128  # concurrent jobs per crawler process (the per-host gates bound real load)
    user_agent: str = "govsweep/0.1 (+政府网站检查)"
    # SSRF guard: networks the crawler, link checker and browser may reach although not public
    # (loopback, private, link-local, CGNAT, ...); CIDR strings, e.g. ["127.0.0.0/8"] for the farm.
    allow_networks: list[str] = []


class BrowserConfig(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool = True  # False: columns that need a browser are reported 未能检测
    executable: str = "/usr/bin/chromium"
    contexts: int = 2
    recycle_after: int = 50  # pages per browser context before it is replaced
    page_timeout_s: float = 20.0
    # Chromium is launched by the first job that needs it and stopped after this long without one.
    idle_stop_s: Annotated[float, msgspec.Meta(gt=0)] = 120.0


class CheckConfig(msgspec.Struct, forbid_unknown_fields=True):
    rules: str = ""  # path of a rule file; empty = the packaged baseline gov-2019-19
    overlays: list[str] = []


class LinksConfig(msgspec.Struct, forbid_unknown_fields=True):
    """Link checking (不可用链接) of the home page and the column pages read."""

    enabled: bool = True
    recheck_after_s: float = 30.0  # a failing link is checked again this long after, then counts
    timeout_s: float = 15.0  # per request (HEAD, then GET)
    max_per_page: int = 300  # distinct links checked per page at most
    concurrency: int = 16  # link requests in flight per page (per-host limits apply as well)


class AvailabilityConfig(msgspec.Struct, forbid_unknown_fields=True):
    """Home-page availability probes (W-V2 站点无法访问), run by `govsweep monitor`."""

    probes_per_day: Annotated[float, msgspec.Meta(ge=20)] = 24.0  # "每天间隔性访问20次以上"
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 15.0  # a page not loaded within it failed
    concurrency: int = 32  # probes in flight at once


class ReportConfig(msgspec.Struct, forbid_unknown_fields=True):
    """How the 通报 is issued."""

    issuer: str = ""  # 发文机关, e.g. "贵州省人民政府办公厅": titles and signs the 通报


class NatsConfig(msgspec.Struct, forbid_unknown_fields=True):
    """How to log in to a shared nats-server (GOVSWEEP_NATS_USER, GOVSWEEP_NATS_PASSWORD, …).

    Secrets are passed to the client only, never logged; file settings hold paths, not secrets.
    """

    user: str = ""
    password: str = ""
    token: str = ""
    creds: str = ""  # .creds file (JWT + NKey seed) of an operator-mode account
    nkey_seed: str = ""  # file holding an NKey seed (SU…)
    tls_ca: str = ""  # CA bundle to verify the server; set alone, it turns TLS on
    tls_cert: str = ""  # client certificate (mutual TLS), with tls_key
    tls_key: str = ""
    replicas: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1  # stream/KV replicas: 3 on a cluster


class Config(msgspec.Struct, forbid_unknown_fields=True):
    nats_url: str = ""  # empty = start an embedded nats-server; several: comma-separated
    state_dir: str = ".govsweep"
    metrics_port: int = 0  # 0 = pick a free port; -1 = no /metrics endpoint
    metrics_addr: str = "127.0.0.1"  # 0.0.0.0 in a container so Prometheus can scrape it
    log_level: str = "info"
    # auto: JSON lines when stderr is not a terminal; on a terminal a progress bar and warnings only
    log_format: Literal["auto", "json", "text"] = "auto"
    log_file: str = ""  # every log line at log_level goes here instead (then nothing on stderr)
    nats: NatsConfig = msgspec.field(default_factory=NatsConfig)
    crawl: CrawlConfig = msgspec.field(default_factory=CrawlConfig)
    browser: BrowserConfig = msgspec.field(default_factory=BrowserConfig)
    check: CheckConfig = msgspec.field(default_factory=CheckConfig)
    links: LinksConfig = msgspec.field(default_factory=LinksConfig)
    availability: AvailabilityConfig = msgspec.field(default_factory=AvailabilityConfig)
    report: ReportConfig = msgspec.field(default_factory=ReportConfig)


def _apply_env(raw: dict, env: Mapping[str, str]) -> dict:
    """Overlay GOVSWEEP_* variables onto the raw TOML dict, following the Struct field paths."""

    def walk(struct_type: type, prefix: str, target: dict) -> None:
        for field in msgspec.structs.fields(struct_type):
            name = f"{prefix}_{field.name.upper()}"
            if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
                walk(field.type, name, target.setdefault(field.name, {}))
            elif name in env:
                value: object = env[name]
                if field.type in (list[str],):
                    value = [v for v in env[name].split(",") if v]
                target[field.name] = value

    merged = dict(raw)
    walk(Config, "GOVSWEEP", merged)
    return merged


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load the config file (if any) and the environment; raise ConfigError with one clear line."""
    env = os.environ if env is None else env
    path = path or env.get("GOVSWEEP_CONFIG")
    raw: dict = {}
    source = "environment"
    if path:
        source = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        # strict=False lets env strings convert to ints/floats.
        config = msgspec.convert(_apply_env(raw, env), Config, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: invalid config: {exc}") from None
    for network in config.crawl.allow_networks:
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            raise ConfigError(
                f"{source}: crawl.allow_networks: {network!r} is not an IP network (e.g. 127.0.0.0/8)"
            ) from None
    return config


# The simulated province is our own server on loopback: generous per-host limits and quick link
# re-checks keep demo and test sweeps short without changing what is measured; loopback is
# allow-listed explicitly (the SSRF guard refuses it otherwise).
LOOPBACK = "127.0.0.0/8"
LOOPBACK_FARM_ENV = {
    "GOVSWEEP_CRAWL_ALLOW_NETWORKS": LOOPBACK,
    "GOVSWEEP_CRAWL_PER_HOST_RATE": "50",
    "GOVSWEEP_CRAWL_PER_HOST_CONCURRENCY": "4",
    "GOVSWEEP_LINKS_RECHECK_AFTER_S": "2",
    "GOVSWEEP_LINKS_TIMEOUT_S": "3",
}


def for_loopback_farm(config: Config) -> Config:
    """`config` with the LOOPBACK_FARM_ENV settings (for the demo and the tests)."""
    crawl = msgspec.structs.replace(
        config.crawl, per_host_rate=50.0, per_host_concurrency=4, allow_networks=[LOOPBACK]
    )
    links = msgspec.structs.replace(config.links, recheck_after_s=2.0, timeout_s=3.0)
    return msgspec.structs.replace(config, crawl=crawl, links=links)
