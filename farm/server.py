"""Serves a simulated province on loopback: every site its own 127.42.x.y address on one shared port,
with the planted faults: down and WAF-walled sites, flaky and slow pages, hostile lists."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import socket
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from aiohttp import web

from farm import misbehave
from farm.content import column_items
from farm.province import Province, generate_province, site_address
from farm.render import (
    ARTICLE_BASE,
    BAD_BYTES_MARK,
    ITEMS_PER_COLUMN_MAX,
    SitePages,
    article_path,
)
from farm.spec import (
    COLUMN_TIMEOUT_S,
    DEAD_HOST,
    OUTSIDE_HOSTS,
    SILENT_HOST,
    ColumnSpec,
    SiteSpec,
)

BIND_ATTEMPTS = 5  # tries to find a port free on every site address
SHUTDOWN_S = 1.0  # stop() waits this long for slow and hostile responses, then cancels them
HOME_PATHS = ("/", "/index.html", "/index.shtml")
# Bytes invalid in UTF-8 and in GB18030 alike (neither may start a character)
INVALID_BYTES = b"\x80\xff"
_PAGE_NAME = re.compile(r"(?:index|list|page)_(\d+)\.html")
_ARTICLE_NAME = re.compile(r"(?:t\d{8}_|content_)(\d+)\.html")
_GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
_LINK_STATUS = {"http_404": 404, "http_410": 410, "http_500": 500}


def _bind_all(addresses: list[str]) -> tuple[int, list[socket.socket]]:
    """Sockets bound (not yet listening) on every address with one common port (retried if some
    address has it taken)."""
    for _ in range(BIND_ATTEMPTS):
        sockets: list[socket.socket] = []
        try:
            port = 0
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, port))
                port = sock.getsockname()[1]
        except OSError:
            for sock in sockets:
                sock.close()
            continue
        return port, sockets
    raise RuntimeError(f"could not find a port free on all {len(addresses)} farm addresses")


class Resource(NamedTuple):
    """What a path below a column names."""

    kind: str  # list, article, frame, data
    text: str  # HTML, or JSON for data


class FarmServer:
    """Start with `await start()` (or `async with`); each site answers on `site_url(site_id)`.

    A down site's address is bound but never listens (connections are refused); the outside hosts
    of broken links are DEAD_HOST (the same) and SILENT_HOST (listens, never answers).
    """

    def __init__(self, province: Province) -> None:
        self.province = province
        self._runner: web.AppRunner | None = None
        self._idle: list[socket.socket] = []  # bound sockets no server reads from
        self._columns: dict[str, dict[str, ColumnSpec]] = {}
        self._home_requests: Counter[int] = Counter()  # per site index, for flaky home pages

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("farm server already started")
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_S,
            handler_cancellation=True,  # a client that gives up ends its slow response
        )
        await runner.setup()
        addresses = [site_address(site.index) for site in self.province]
        try:
            port, sockets = _bind_all([*addresses, DEAD_HOST, SILENT_HOST])
            *site_sockets, dead, silent = sockets
            silent.listen(8)
            self._idle = [dead, silent]
            for site, sock in zip(self.province, site_sockets, strict=True):
                if site.home_fault == "refused":
                    self._idle.append(sock)
                    continue
                sock.listen(128)
                sock.setblocking(False)
                await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            self._close_idle()
            raise
        self._runner = runner
        self.province.assign_port(port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._close_idle()

    def _close_idle(self) -> None:
        for sock in self._idle:
            sock.close()
        self._idle = []

    async def __aenter__(self) -> FarmServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def site_url(self, site_id: str) -> str:
        return self.province.site_url(site_id)

    # -- request handling -------------------------------------------------------------------
    def _site_of(self, request: web.Request) -> SiteSpec | None:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        parts = sockname[0].split(".") if sockname else []
        if len(parts) != 4 or parts[:2] != ["127", "42"]:
            return None
        index = int(parts[2]) * 250 + int(parts[3]) - 1
        return self.province.sites[index] if 0 <= index < len(self.province) else None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        site = self._site_of(request)
        if site is None:
            return web.Response(status=404, text="no farm site on this address")
        if site.home_fault == "http_500":
            return misbehave.server_error(500)
        if site.home_fault in ("waf_412", "waf_521"):
            return misbehave.waf(int(site.home_fault[4:]), site.site_id)
        path = request.path
        home = path in HOME_PATHS
        delay_ms = site.slow_ms[0 if home else 1]
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if home and site.flaky_every:
            seen = self._home_requests[site.index]
            self._home_requests[site.index] += 1
            if seen % site.flaky_every == site.flaky_every - 1:
                return misbehave.server_error(502)
        link = next((k for k in site.links if k.path == path and k.kind not in OUTSIDE_HOSTS), None)
        if link is not None:
            if link.kind in _LINK_STATUS:
                return misbehave.server_error(_LINK_STATUS[link.kind])
            return misbehave.waf(int(link.kind[4:]), site.site_id)
        pages = SitePages(site, self.province.seed, self.province.at, self.province.origin(site))
        if home:
            return self._html(site, pages.home())
        if path == "/sitemap.html":
            return self._html(site, pages.sitemap())
        if path == "/lxwm.html":
            return self._html(site, pages.simple("联系我们", f"主办单位:{site.unit}"))
        if path.startswith("/exposure/"):
            return self._html(site, pages.simple("我为政府网站找错", "网民留言提交页面"))
        if path.startswith("/conac/"):
            return self._html(site, pages.simple("党政机关网站标识", site.unit))
        if path.startswith("/images/"):
            kind = "text/css" if path.endswith(".css") else "image/gif"
            return web.Response(body=b"" if kind == "text/css" else _GIF, content_type=kind)
        return await self._column_route(site, pages, request)

    async def _column_route(
        self, site: SiteSpec, pages: SitePages, request: web.Request
    ) -> web.StreamResponse:
        columns = self._columns.get(site.site_id)
        if columns is None:
            columns = self._columns[site.site_id] = {c.key: c for c in site.columns}
        segments = request.path.strip("/").split("/")
        for depth in (2, 1):
            column = columns.get("/".join(segments[:depth]))
            if column is None:
                continue
            rest = segments[depth:]
            if not rest and not request.path.endswith("/"):
                raise web.HTTPMovedPermanently(request.path + "/")
            if column.fault in ("waf_403", "waf_412", "waf_521"):
                return misbehave.waf(int(column.fault[4:]), site.site_id)
            resource = self._column_resource(site, pages, column, rest, request)
            if resource is None:
                break
            if resource.kind == "data":
                return web.Response(text=resource.text, content_type="application/json")
            if resource.kind == "list" and column.fault:
                return await self._hostile_list(site, column, resource.text, request)
            return self._html(site, resource.text)
        return self._html(site, pages.simple("404", "您访问的页面不存在或已被删除"), status=404)

    def _column_resource(
        self,
        site: SiteSpec,
        pages: SitePages,
        column: ColumnSpec,
        rest: list[str],
        request: web.Request,
    ) -> Resource | None:
        name = rest[-1] if rest else "index.html"
        if len(rest) <= 1 and name == "index.html":
            query = request.query.get("page") or request.query.get("pageIndex") or "1"
            page = pages.column_page(column, int(query) - 1) if query.isdigit() else None
            return Resource("list", page) if page is not None else None
        if len(rest) == 1 and (match := _PAGE_NAME.fullmatch(name)):
            number = int(match.group(1))
            # TRS numbers its pages index_1.html = second page; the others list_2.html = second page
            page = pages.column_page(column, number if name.startswith("index_") else number - 1)
            return Resource("list", page) if page is not None else None
        if rest == ["frame.html"]:
            frame = pages.frame_page(column)
            return Resource("frame", frame) if frame is not None else None
        if rest == ["data.json"]:
            query = request.query.get("page", "1")
            data = pages.list_data(column, int(query)) if query.isdigit() else None
            return Resource("data", json.dumps(data, ensure_ascii=False)) if data else None
        match = _ARTICLE_NAME.fullmatch(name)
        if match is None:
            return None
        number = int(match.group(1)) - ARTICLE_BASE
        index, item_number = divmod(number, ITEMS_PER_COLUMN_MAX)
        if not 0 <= index < len(site.columns) or site.columns[index] is not column:
            return None
        # only the canonical URL of an article exists (a wrong date in the path is a 404)
        items = column_items(site, column, pages.seed, pages.at)
        if not 0 <= item_number < len(items):
            return None
        if article_path(site, column, items[item_number]) != request.path:
            return None
        article = pages.article(column, item_number)
        return Resource("article", article) if article is not None else None

    async def _hostile_list(
        self, site: SiteSpec, column: ColumnSpec, text: str, request: web.Request
    ) -> web.StreamResponse:
        """A list page of a column planted with a fault (other faults render in the HTML)."""
        fault = column.fault
        if fault == "column_timeout":
            await asyncio.sleep(COLUMN_TIMEOUT_S)
        if fault == "redirect_loop":
            return misbehave.redirect_loop(request)
        if fault == "gzip_bomb":
            return await misbehave.gzip_bomb()
        body, content_type = self._encode(site, text)
        if fault == "huge_page":
            return await misbehave.huge_page(request, body)
        if fault == "slow_drip":
            return await misbehave.slow_drip(request, body, content_type)
        if fault == "bad_charset_bytes":
            body = body.replace(BAD_BYTES_MARK.encode(), INVALID_BYTES)
        if fault == "wrong_content_type":
            content_type = "text/plain"
        return web.Response(body=body, headers={"Content-Type": content_type})

    @staticmethod
    def _encode(site: SiteSpec, text: str) -> tuple[bytes, str]:
        codec = "utf-8" if site.charset == "utf-8" else "gb18030"
        content_type = "text/html"
        if site.header_charset:
            content_type += f"; charset={site.charset}"
        return text.encode(codec), content_type

    def _html(self, site: SiteSpec, text: str, status: int = 200) -> web.Response:
        body, content_type = self._encode(site, text)
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})


async def serve_forever(sites: int, seed: int, at: dt.date, out_dir: Path) -> None:
    """Start a farm, write registry.csv and manifest.json into out_dir, serve until cancelled."""
    province = generate_province(sites, seed, at)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out {out_dir}: cannot create the folder ({err.strerror})") from err
    async with FarmServer(province) as server:
        province.write_registry_csv(out_dir / "registry.csv")
        province.write_manifest(out_dir / "manifest.json")
        first = province.sites[0]
        print(
            f"farm: {len(province)} site URLs on loopback port {province.port} "
            f"(e.g. {first.name} {server.site_url(first.site_id)}); "
            f"registry {out_dir / 'registry.csv'}, manifest {out_dir / 'manifest.json'}",
            flush=True,
        )
        await asyncio.Event().wait()
