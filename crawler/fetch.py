"""HTTP fetching with aiohttp: size, redirect and time caps; WAF challenges told apart from failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp

from crawler.model import FetchResult
from crawler.netguard import BLOCKED, BlockedByPolicy, NetPolicy, open_session
from crawler.politeness import Gate

WAF_STATUSES = {412, 521}
# Busy (429/503) and transient server errors (a flaky 502 or 504, a passing 500): the host waits
# (Retry-After honoured, else the back-off doubles) and the request is tried again, a bounded number
# of times, before the page counts as unreadable.
RETRY_STATUSES = {429, 500, 502, 503, 504}
WAF_MARKERS = (b"__jsluid", b"acw_sc__", b"_waf_", b"WAF", b"captcha", "安全验证".encode())
MAX_RETRY_AFTER_S = 30.0
# asyncio.timeout(timeout_s) bounds the whole request, body included, so aiohttp's own default
# timers (300 s total, 30 s connect) are not armed as well on every request.
_NO_AIOHTTP_TIMERS = aiohttp.ClientTimeout()


def origin(url: str) -> str:
    """scheme://netloc of `url`, as urlsplit gives them; it keys the politeness gate."""
    start = 8 if url.startswith("https://") else 7 if url.startswith("http://") else 0
    # The common URL skips urlsplit's full parse; what it would clean or validate (control
    # characters, non-ASCII or bracketed hosts, other schemes) takes the slow path.
    if start and url.isascii() and url.isprintable():
        end = len(url)
        for mark in "/?#":
            found = url.find(mark, start, end)
            if found >= 0:
                end = found
        if "[" not in url[start:end]:
            return url[:end]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_stamp: tuple[int, str] = (0, "")


def utc_now_iso() -> str:
    """The current UTC time as ISO 8601 to the second; built once per second, not per request."""
    global _stamp
    now = time.time()
    second = int(now)
    if _stamp[0] != second:
        _stamp = (second, datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds"))
    return _stamp[1]


class Page:
    """A fetched page: the outcome plus the body (None when nothing usable arrived)."""

    __slots__ = ("result", "body", "content_type", "retry_after")

    def __init__(
        self,
        result: FetchResult,
        body: bytes | None,
        content_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.result = result
        self.body = body
        self.content_type = content_type
        self.retry_after = retry_after


class Fetcher:
    """Every request passes the per-host politeness gate and the SSRF guard.

    `session`: the process's shared session (crawler.netguard.open_session, also given to the
    LinkProber), left open on exit; without one the Fetcher opens its own under `policy`
    (default: public addresses only).
    """

    def __init__(
        self,
        politeness: Gate,
        timeout_s: float = 15.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        user_agent: str = "govsweep",
        on_fetch: Callable[[str, float], None] | None = None,
        session: aiohttp.ClientSession | None = None,
        policy: NetPolicy | None = None,
    ) -> None:
        self.politeness = politeness
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.on_fetch = on_fetch  # metrics hook: on_fetch(outcome: str, seconds: float)
        self.policy = policy or NetPolicy()
        self._session = session
        self._owned = session is None

    async def __aenter__(self) -> Fetcher:
        if self._owned:
            self._session = open_session(self.policy, self.user_agent)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owned and self._session:
            await self._session.close()

    async def get(self, url: str, retries_on_busy: int = 1) -> Page:
        """GET a page. RETRY_STATUSES make the host wait and retry `retries_on_busy` times."""
        host = origin(url)
        for attempt in range(retries_on_busy + 1):
            page = await self._get_once(url, host)
            status = page.result.status
            if status in RETRY_STATUSES and attempt < retries_on_busy:
                self.politeness.slow_down(host, page.retry_after)
                continue
            if page.body is not None:
                self.politeness.succeeded(host)
            return page
        return page

    async def _get_once(self, url: str, host: str) -> Page:
        assert self._session is not None, "Fetcher used outside `async with`"
        fetched_at = utc_now_iso()
        status: int | None = None
        final_url: str | None = None
        content_type: str | None = None
        body: bytes | None = None
        error: str | None = None
        retry_after: float | None = None
        async with self.politeness.slot(host):
            started = time.monotonic()  # after the politeness wait: the host's time, not ours
            try:
                async with asyncio.timeout(self.timeout_s):
                    async with self._session.get(
                        url,
                        max_redirects=self.max_redirects,
                        allow_redirects=True,
                        timeout=_NO_AIOHTTP_TIMERS,
                    ) as resp:
                        status = resp.status
                        final_url = str(resp.url)
                        content_type = resp.headers.get("Content-Type")
                        retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
                        data = await self._read_capped(resp)
                        if data is None:
                            error = "too_large"
                        elif status in WAF_STATUSES or (
                            status == 403 and any(m in data[:4096] for m in WAF_MARKERS)
                        ):
                            error = "waf_challenge"
                        elif status >= 400:
                            error = f"http_{status}"
                        else:
                            body = data
            except TimeoutError:
                error = "timeout"
            except BlockedByPolicy as exc:
                error = f"{BLOCKED}: {exc}"
            except aiohttp.TooManyRedirects:
                error = "redirect_loop"
            except aiohttp.ClientConnectorError as exc:
                error = "dns" if isinstance(exc, aiohttp.ClientConnectorDNSError) else "refused"
            except (aiohttp.ClientPayloadError, aiohttp.ContentTypeError) as exc:
                error = f"bad_response: {type(exc).__name__}"
            except aiohttp.ClientError as exc:
                error = f"client_error: {type(exc).__name__}"
        elapsed = time.monotonic() - started
        result = FetchResult(
            url=url,
            final_url=final_url if final_url != url else None,
            status=status,
            error=error,
            elapsed_ms=int(elapsed * 1000),
            fetched_at=fetched_at,
        )
        if self.on_fetch:
            self.on_fetch(_outcome(error), elapsed)
        return Page(result, body, content_type, retry_after)

    async def _read_capped(self, resp: aiohttp.ClientResponse) -> bytes | None:
        """Read at most max_bytes (decompressed); None if the page is larger — bombs stop here."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():  # whatever has arrived: fewer wake-ups
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)


def retry_after_seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare on these sites and read as absent)."""
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(retry_after))) if retry_after else None
    except ValueError:
        return None


def _outcome(error: str | None) -> str:
    if error is None:
        return "ok"
    return error.split(":")[0] if not error.startswith("http_") else error[:6] + "xx"
