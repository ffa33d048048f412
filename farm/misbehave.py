"""Responses of pages that fail or fight back: WAF walls, server errors, redirect loops, huge and
bomb bodies, slow drips. Every one is bounded in time and memory on the farm's side.
"""

from __future__ import annotations

import asyncio
import functools
import time
import zlib

from aiohttp import web

HUGE_BYTES = 200 * 1024 * 1024  # a 200 MB list page, streamed in CHUNK pieces
BOMB_BYTES = 200 * 1024 * 1024  # what the gzip bomb inflates to
CHUNK = 64 * 1024
DRIP_SECONDS = 19.0  # over the crawler's 15 s, under the 20 s a sweep may wait for a page
DRIP_EVERY_S = 0.5
DRIP_BYTES = 64

_WAF_403 = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>访问被拦截</title></head><body>'
    "<h2>您的访问请求可能对网站造成安全威胁,已被网站应用防火墙(WAF)拦截</h2>"
    "<p>如需继续访问,请完成安全验证或联系网站管理员。</p></body></html>"
)
# 412 and 521 pages are JS challenges: they set a cookie and reload. This WAF never lets anyone
# through, so no client (browser included) gets past it.
_WAF_CHALLENGE = (
    '<html><head><meta charset="utf-8"><title>安全验证</title></head><body>'
    '<script>document.cookie="__jsl_clearance_s={token};max-age=3600;path=/";'
    "location.href=location.pathname+location.search;</script></body></html>"
)


# 瑞数 answers 412 with a shell: <meta r="m">, the `$_ts` bootstrap and an obfuscated script.
_RUISHU_SHELL = (
    '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<meta content="{token}{token}" r="m"><script type="text/javascript" r=\'m\'>'
    "$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd=2143;$_ts.cd=\"{token}\";</script>"
    '<script type="text/javascript" charset="utf-8" src="/{token}/c.js" r=\'m\'></script>'
    "</head><body></body></html>"
)


def waf(status: int, site_id: str) -> web.Response:
    """A WAF wall (403) or challenge (412 with a 瑞数 shell; 521 with a __jsluid cookie, as 加速乐
    answers)."""
    token = f"{zlib.crc32(site_id.encode()):08x}"
    if status == 403:
        return web.Response(status=403, text=_WAF_403, content_type="text/html")
    headers = {}
    if status == 521:
        headers["Set-Cookie"] = f"__jsluid_h={token}{token}; max-age=31536000; path=/; HttpOnly"
    challenge = _RUISHU_SHELL if status == 412 else _WAF_CHALLENGE
    return web.Response(
        status=status,
        text=challenge.format(token=token),
        content_type="text/html",
        headers=headers,
    )


def server_error(status: int) -> web.Response:
    reasons = {500: "Internal Server Error", 502: "Bad Gateway", 410: "Gone", 404: "Not Found"}
    text = f"<html><head><title>{status} {reasons[status]}</title></head><body><center>"
    text += f"<h1>{status} {reasons[status]}</h1></center><hr><center>nginx</center></body></html>"
    return web.Response(status=status, text=text, content_type="text/html")


def redirect_loop(request: web.Request) -> web.Response:
    """The list URL and its `?loop=1` twin redirect to each other."""
    target = request.path if request.query.get("loop") else f"{request.path}?loop=1"
    return web.Response(status=302, headers={"Location": target})


async def huge_page(request: web.Request, head: bytes) -> web.StreamResponse:
    """A 200 MB page: the real page head, then filler, written chunk by chunk as the client reads."""
    response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
    response.content_length = HUGE_BYTES
    await response.prepare(request)
    filler = b"<p>" + b"\xe3\x80\x80" * ((CHUNK - 7) // 3) + b"</p>"
    sent = 0
    try:
        await response.write(head[:HUGE_BYTES])
        sent = min(len(head), HUGE_BYTES)
        while sent < HUGE_BYTES:
            piece = filler[: HUGE_BYTES - sent]
            await response.write(piece)
            sent += len(piece)
        await response.write_eof()
    except ConnectionError:
        pass  # the client stopped reading: nothing more to send
    return response


@functools.cache
def _bomb() -> bytes:
    """A gzip body of about 200 KB inflating to BOMB_BYTES (made once, on first use)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1024 * 1024)
    parts = [packer.compress(b"<!DOCTYPE html><html><body>")]
    parts += [packer.compress(block) for _ in range(BOMB_BYTES // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


async def gzip_bomb() -> web.Response:
    body = await asyncio.to_thread(_bomb)  # half a second of zlib, once: off the event loop
    return web.Response(
        body=body,
        headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
    )


async def slow_drip(request: web.Request, body: bytes, content_type: str) -> web.StreamResponse:
    """The page, a few bytes every half second for DRIP_SECONDS, then the rest at once."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = len(body)
    await response.prepare(request)
    deadline = time.monotonic() + DRIP_SECONDS
    sent = 0
    try:
        while time.monotonic() < deadline and sent < len(body) - DRIP_BYTES:
            await response.write(body[sent : sent + DRIP_BYTES])
            sent += DRIP_BYTES
            await asyncio.sleep(DRIP_EVERY_S)
        await response.write(body[sent:])
        await response.write_eof()
    except ConnectionError:
        pass
    return response
