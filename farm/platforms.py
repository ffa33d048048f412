"""Simulated platforms on loopback: each platform its own address (127.43.0.N), answering the paths
and the response shapes of the real public web views that `crawler/platforms/` reads.

A `blocked` account gets what the real platform gives a visitor it refuses (HTTP 418 from 微博,
`ret: -3` from 微信, an empty body from 抖音, a 验证 page from 快手, …).
"""

from __future__ import annotations

import csv
import json
import socket
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from aiohttp import web

from crawler.platforms.base import PLATFORM_NAMES
from farm.accounts import PLATFORMS, AccountSpec, SimPost
from farm.reposts import RepostSite, account_links, home_page, site_page

CHINA = timezone(timedelta(hours=8))
SHUTDOWN_S = 1.0
# Path of each platform's public view; {id} is the account's platform ID.
PATHS = {
    "wechat": "/mp/profile_ext?action=getmsg&__biz={id}&f=json&offset=0&count=10",
    "weibo": "/api/container/getIndex?type=uid&value={id}&containerid=107603{id}",
    "douyin": "/aweme/v1/web/aweme/post/?sec_user_id={id}&count=18&max_cursor=0",
    "toutiao": "/api/pc/list/user/feed?category=profile_all&token={id}&max_behot_time=0",
    "kuaishou": "/profile/{id}",
    "baijiahao": "/webpage?tab=main&num=10&uk={id}&type=newhome&action=dynamic&format=jsonp",
    "app": "/app/{id}.html",
}
ID_PARAMS = {
    "wechat": "__biz",
    "weibo": "value",
    "douyin": "sec_user_id",
    "toutiao": "token",
    "baijiahao": "uk",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def platform_address(platform: str) -> str:
    return f"127.43.0.{PLATFORMS.index(platform) + 1}"


def site_address(site: RepostSite) -> str:
    return f"127.43.1.{site.index + 1}"


def platform_id(spec: AccountSpec) -> str:
    return f"sim{spec.index:05d}"


def _epoch(day: date, hour: int = 10) -> int:
    return int(datetime.combine(day, time(hour), CHINA).timestamp())


def _weibo_time(day: date) -> str:
    """Weibo's created_at, in English whatever the locale: "Sat Dec 02 10:00:00 +0800 2023"."""
    return (
        f"{WEEKDAYS[day.weekday()]} {MONTHS[day.month - 1]} {day.day:02d} 10:00:00 +0800 {day.year}"
    )


class PlatformFarm:
    """`async with PlatformFarm(accounts) as farm:` — `farm.url(spec)` is the account's feed URL."""

    def __init__(
        self,
        accounts: list[AccountSpec],
        sites: list[RepostSite] | None = None,
        at: date | None = None,
    ) -> None:
        self.accounts = {(a.platform, platform_id(a)): a for a in accounts}
        self.sites = sites or []  # county sites for 重要信息转载, on 127.43.1.N
        self.at = at or date.today()
        self.port = 0
        self.requests = 0
        self._runner: web.AppRunner | None = None
        self._idle: list[socket.socket] = []  # a down site's address: bound, never listening
        wechat = [a for a in accounts if a.platform == "wechat"]
        self._wechat_id = platform_id(wechat[0]) if wechat else ""  # a registered account to link

    def site_url(self, site: RepostSite) -> str:
        return f"http://{site_address(site)}:{self.port}/"

    def url(self, spec: AccountSpec) -> str:
        path = PATHS[spec.platform].format(id=platform_id(spec))
        return f"http://{platform_address(spec.platform)}:{self.port}{path}"

    def write_registry_csv(self, path: Path) -> None:
        """The accounts as the 全国政务新媒体信息报送系统 exports them, addresses on the farm."""
        with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["政务新媒体标识码", "账号名称", "平台", "主管单位", "地区", "账号地址/ID"]
            )
            for spec in self.accounts.values():
                platform = PLATFORM_NAMES[spec.platform]
                writer.writerow(
                    [spec.account_id, spec.name, platform, spec.unit, spec.region, self.url(spec)]
                )

    async def __aenter__(self) -> PlatformFarm:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_S
        )
        await runner.setup()
        addresses = [platform_address(p) for p in PLATFORMS] + [site_address(s) for s in self.sites]
        down = {site_address(s) for s in self.sites if s.down}
        try:
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, self.port))
                self.port = sock.getsockname()[1]
                if address in down:
                    self._idle.append(sock)
                    continue
                sock.listen(128)
                sock.setblocking(False)
                await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            for sock in self._idle:
                sock.close()
            raise
        self._runner = runner
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for sock in self._idle:
            sock.close()
        self._idle = []

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        address = sockname[0] if sockname else ""
        site = next((s for s in self.sites if site_address(s) == address), None)
        if site is not None:
            status, page = site_page(site, request.path, dict(request.query), self.at)
            if not status:
                status, page = 200, home_page(site, self.at, account_links(site, self._wechat_id))
            return web.Response(status=status, text=page, content_type="text/html")
        platform = next((p for p in PLATFORMS if platform_address(p) == address), "")
        if platform in ID_PARAMS:
            account_id = request.query.get(ID_PARAMS[platform], "")
        else:
            account_id = request.path.rsplit("/", 1)[-1].removesuffix(".html")
        spec = self.accounts.get((platform, account_id))
        if spec is None:
            return web.Response(status=404, text="no such account")
        return RENDER[platform](spec)


def _json(value: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(value, ensure_ascii=False), content_type="application/json"
    )


def _newest_first(spec: AccountSpec) -> list[SimPost]:
    """Pinned posts first, as the platforms list them, then newest first."""
    return sorted(spec.posts, key=lambda p: (not p.pinned, -p.day.toordinal()))


def _wechat(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        return _json({"ret": -3, "errmsg": "请在微信客户端打开链接"})
    messages = [
        {
            "comm_msg_info": {"id": i, "type": 49, "datetime": _epoch(p.day)},
            "app_msg_ext_info": {
                "title": p.title,
                "digest": p.text,
                "content_url": f"http://mp.weixin.test/s/{spec.index}-{i}",
                "copyright_stat": 11 if p.original else 100,
                "multi_app_msg_item_list": [],
            },
        }
        for i, p in enumerate(_newest_first(spec))
        if not p.pinned  # WeChat's history has no pinning
    ]
    body = {
        "ret": 0,
        "general_msg_list": json.dumps({"list": messages}, ensure_ascii=False),
        "menu": spec.menu,
    }
    return _json(body)


def _weibo(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        return web.Response(status=418, text="")
    cards = []
    for i, p in enumerate(_newest_first(spec)):
        mblog: dict = {
            "id": f"{spec.index}{i:03d}",
            "created_at": _weibo_time(p.day),
            "text": f"{p.title} {p.text}",
            "user": {"id": spec.index, "screen_name": spec.shown_name},
            # -1: anyone may comment; 2: followers only (the feed cannot show closed comments)
            "comment_manage_info": {"comment_permission_type": -1 if spec.commented else 2},
            "comments_count": 3 if spec.commented else 0,
        }
        if p.pinned:
            mblog["isTop"] = 1
        if not p.original:
            mblog["retweeted_status"] = {"id": "1", "text": p.title}
        cards.append({"card_type": 9, "mblog": mblog})
    return _json({"ok": 1, "data": {"cards": cards}})


def _douyin(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        return web.Response(status=200, text="", content_type="application/json")
    items = [
        {
            "aweme_id": f"{spec.index}{i:03d}",
            "desc": f"{p.title} {p.text}".strip(),
            "create_time": _epoch(p.day),
            "is_top": int(p.pinned),
            "author": {"nickname": spec.shown_name},
            "aweme_control": {
                "can_forward": True,
                "can_share": True,
                "can_comment": spec.comments_open,
                "can_show_comment": spec.comments_open,
            },
            "statistics": {"comment_count": 2 if spec.comments_open else 0},
        }
        for i, p in enumerate(_newest_first(spec))
    ]
    return _json({"status_code": 0, "aweme_list": items})


def _toutiao(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        return _json({"message": "error", "data": []})
    items = [
        {
            "title": p.title,
            "abstract": p.text,
            "publish_time": _epoch(p.day),
            "behot_time": _epoch(p.day),
            "is_original": p.original,
            "user_info": {"name": spec.shown_name},
            "ban_comment": 0 if spec.comments_open else 1,
            "comment_count": 1 if spec.comments_open else 0,
        }
        for p in _newest_first(spec)
    ]
    return _json({"message": "success", "data": items})


def _kuaishou(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        page = "<html><body><div id='captcha'>请完成滑块验证</div></body></html>"
        return web.Response(text=page, content_type="text/html")
    state = {
        "defaultClient": {
            f"VisionVideoDetailPhoto:{spec.index}x{i}": {
                "caption": f"{p.title} {p.text}".strip(),
                "timestamp": _epoch(p.day) * 1000,
                "commentCount": 4 if spec.commented else 0,
            }
            for i, p in enumerate(_newest_first(spec))
        }
        | {f"VisionVideoDetailAuthor:{spec.index}": {"name": spec.shown_name}}
    }
    page = (
        "<html><head><title>快手</title></head><body><div id='app'></div><script>"
        f"window.__APOLLO_STATE__={json.dumps(state, ensure_ascii=False)};"
        "(function(){var s;(s=document.currentScript||document.scripts[document.scripts.length-1]).parentNode.removeChild(s);}());"
        "</script></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def _baijiahao(spec: AccountSpec) -> web.Response:
    if spec.defect == "blocked":
        return web.Response(
            text='callback({"errno": 10, "errmsg": "verify"})',
            content_type="application/javascript",
        )
    items = [
        {
            "itemData": {
                "title": p.title,
                "abstract": p.text,
                "ctime": _epoch(p.day),
                "url": f"http://baijiahao.test/s?id={spec.index}{i}",
                "is_origin": int(p.original),
            }
        }
        for i, p in enumerate(_newest_first(spec))
    ]
    body = json.dumps({"errno": 0, "data": {"list": items}}, ensure_ascii=False)
    return web.Response(text=f"callback({body})", content_type="application/javascript")


def _app(spec: AccountSpec) -> web.Response:
    link = (
        f'<a href="/download/{spec.index}.apk">安卓版下载</a>'
        if spec.download
        else "<p>敬请期待</p>"
    )
    page = f"<html><body><h1>{spec.name}</h1>{link}<p>更新时间：2024-01-05</p></body></html>"
    return web.Response(text=page, content_type="text/html")


RENDER = {
    "wechat": _wechat,
    "weibo": _weibo,
    "douyin": _douyin,
    "toutiao": _toutiao,
    "kuaishou": _kuaishou,
    "baijiahao": _baijiahao,
    "app": _app,
}
