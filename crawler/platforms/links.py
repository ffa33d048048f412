"""Which platform account a URL names, for matching registry addresses and the account links that
sites show ("官方微博", "微信公众号" links): (platform, account ID), or None.

Share buttons (service.weibo.com/share) and single articles (mp.weixin.qq.com/s/…) name no account.
Registry addresses are read by their platform's ID parameter whatever the host (the farm serves the
real paths on loopback); links found on pages must be on the platform's own hosts.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

HOSTS: dict[str, tuple[str, ...]] = {
    "weibo": ("weibo.com", "www.weibo.com", "m.weibo.cn"),
    "wechat": ("mp.weixin.qq.com",),
    "douyin": ("www.douyin.com", "douyin.com"),
    "toutiao": ("www.toutiao.com", "toutiao.com"),
    "kuaishou": ("www.kuaishou.com", "kuaishou.com"),
    "baijiahao": ("author.baidu.com", "mbd.baidu.com", "baijiahao.baidu.com"),
}
QUERY_IDS = {
    "weibo": ("value", "uid"),
    "wechat": ("__biz",),
    "douyin": ("sec_user_id",),
    "toutiao": ("token",),
    "baijiahao": ("uk", "app_id"),
}
PATH_IDS = {
    "weibo": re.compile(r"^/(?:u/)?(\d{5,})/?$"),
    "douyin": re.compile(r"^/user/([\w-]+)/?$"),
    "toutiao": re.compile(r"^/c/user/token/([\w-]+)/?$"),
    "kuaishou": re.compile(r"^/profile/([\w-]+)/?$"),
}


def account_id(platform: str, url: str) -> str | None:
    """The account ID in `url` read as an address of `platform` (any host)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for name in QUERY_IDS.get(platform, ()):
        if query.get(name):
            return query[name][0]
    pattern = PATH_IDS.get(platform)
    found = pattern.match(parts.path) if pattern else None
    return found.group(1) if found else None


def linked_account(url: str) -> tuple[str, str] | None:
    """(platform, ID) when `url` is a link to an account on the platform's own host."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    for platform, hosts in HOSTS.items():
        if host in hosts:
            found = account_id(platform, url)
            return (platform, found) if found else None
    return None
