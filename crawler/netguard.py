"""SSRF guard: the crawler, the link checker and the browser may only reach public addresses.

A site on the internet must not make govsweep request its own loopback services (/metrics, NATS),
the cloud metadata endpoint or hosts of the internal network. The check runs on the addresses a
host name resolves to (so a public name pointing at 10.0.0.1 is refused too) and on every redirect
hop, because each hop opens its connection through the guarded connector. Networks named in
`[crawl] allow_networks` are admitted (the demo and the tests allow-list 127.0.0.0/8 for the farm).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

BLOCKED = "blocked_by_policy"  # FetchResult.error prefix of a refused target
CGNAT = ipaddress.ip_network("100.64.0.0/10")
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def address_kind(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("loopback", "metadata", ...), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if ip in METADATA:
        return "metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return "CGNAT"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified or ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    return None if ip.is_global else "reserved"


def parse_networks(values: Iterable[str], source: str = "allow_networks") -> list[IPNetwork]:
    """CIDR strings as networks; ValueError naming the bad entry."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"{source}: {value!r} is not an IP network (e.g. 127.0.0.0/8)"
            ) from None
    return networks


class NetPolicy:
    """Which addresses may be requested: public ones, and those inside an allow-listed network."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.allow = parse_networks(allow)

    def refusal(self, address: str) -> str | None:
        """The reason `address` (an IP literal) may not be requested, or None when it may."""
        try:
            ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone id
        except ValueError:
            return f"{address!r} is not an IP address"
        kind = address_kind(ip)
        if kind is None or any(ip in net for net in self.allow if net.version == ip.version):
            return None
        return f"{kind} address {ip} not allowed (add its network to crawl.allow_networks)"

    async def url_refusal(self, url: str) -> str | None:
        """The reason `url`'s host may not be requested, after resolving it; None when it may.

        For the browser role, whose connections Chromium opens itself. A name that does not
        resolve is left to the browser, which reports it as a DNS failure.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None  # data:, blob: and about: make no network request
        host = parts.hostname
        try:
            return self.refusal(str(ipaddress.ip_address(host)))
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or 0, type=socket.SOCK_STREAM
            )
        except OSError:
            return None
        for info in infos:
            reason = self.refusal(str(info[4][0]))
            if reason:
                return f"{host}: {reason}"
        return None


class BlockedByPolicy(aiohttp.ClientError):
    """A request target refused by the NetPolicy; str() is the reason."""


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that refuses hosts resolving to addresses the policy does not allow.

    aiohttp resolves every new connection (IP literals included) through `_resolve_host`, also on
    redirect hops, so checking its answer covers all three.
    """

    def __init__(self, policy: NetPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    async def _resolve_host(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        infos = await super()._resolve_host(host, port, *args, **kwargs)
        for info in infos:
            reason = self.policy.refusal(info["host"])
            if reason:
                raise BlockedByPolicy(f"{host}: {reason}")
        return infos


def open_session(policy: NetPolicy, user_agent: str, limit: int = 256) -> aiohttp.ClientSession:
    """The process's one aiohttp session (pages and link checks), every connection guarded."""
    connector = GuardedConnector(policy, limit=limit, limit_per_host=0, ttl_dns_cache=300)
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": user_agent, "Accept-Language": "zh-CN,zh;q=0.9"},
        auto_decompress=True,
    )
