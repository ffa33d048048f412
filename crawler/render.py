"""Render script-built column lists in headless Chromium (Debian's, through Playwright).

A bounded pool of browser contexts, each recycled after N pages, each with one tab that goes from
page to page (a tab is a headless window, dearer than the page in it). Chromium (≈0.65 GB) is
launched on the first page that needs it and, with `idle_stop_s`, stopped once no page has been
rendered for that long (a render in progress is never cut). Images, fonts and media are never
fetched, and a page may only reach its own origin (a page on the internet must not make the worker
probe other hosts or its own loopback services). Every page has a hard deadline, and a page whose
script holds its thread is given up after HUNG_S, so an endless script costs seconds of one core,
never the worker. Same-origin iframes are inlined into the returned HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from urllib.parse import quote, urljoin, urlsplit

import msgspec
from playwright.async_api import (
    APIResponse,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Route,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from crawler.extract import extract_page
from crawler.listpage import BLANK_MARKERS, newest
from crawler.model import ColumnFacts, ColumnRef, FetchResult, PageFacts
from crawler.netguard import BLOCKED, NetPolicy
from crawler.politeness import Gate

DEFAULT_EXECUTABLE = "/usr/bin/chromium"
# Playwright passes a --disable-features of its own, and Chromium keeps only the last one: ours
# repeats Playwright's (1.65; test_render checks it still covers it) and adds the omnibox popup's
# WebUI, two renderers per window (≈0.3 CPU-s and ≈300 MB each tab) a headless page never shows.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AimEnabled",
    "AvoidCorsURLLoaderRestartOnRedirect",
    "AvoidUnnecessaryBeforeUnloadCheckSync",
    "DestroyProfileOnBrowserClose",
    "HttpsFirstBalancedModeAutoEnable",
    "HttpsUpgrades",
    "LensOverlay",
    "MediaRouter",
    "NetworkTimeServiceQuerying",
    "OptimizationHints",
    "PaintHolding",
    "PreconnectToSearch",
    "TcpPortRandomizationWin",
    "ThirdPartyStoragePartitioning",
    "msEdgeUpdateLaunchServicesPreferredVersion",
    "msForceBrowserSignIn",
)
DISABLED_FEATURES = (*PLAYWRIGHT_DISABLED_FEATURES, "WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
]
BLOCKED_TYPES = {"image", "font", "media"}
SETTLE_S = 2.0  # longest wait for the network to go quiet after `load`
QUIET_S = 0.25  # no request in flight for this long = the script has drawn what it loaded
# A page whose main thread answers no probe for this long while none of its requests is being
# fetched or queued is held by its own script (an endless loop): a list script runs in
# milliseconds, and waiting for the page deadline, then trying again, would only spin a CPU core.
HUNG_S = 3.0
PROBE_EVERY_S = 0.5
CLOSE_S = 5.0  # a page or context that does not close within this is abandoned with its browser
LAUNCH_S = 30.0
MAX_FRAME_DEPTH = 3
MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_PRINTABLE = "".join(map(chr, range(32, 127)))

# Replace every same-origin (i)frame by a <div> holding its rendered body, links made absolute so
# they keep pointing where they did inside the frame; then drop the scripts, whose work is done and
# which would otherwise make the extractor ask for a browser again. Cross-origin frames stay.
_FLATTEN_JS = """(maxDepth) => {
  let merged = 0;
  const inline = (doc, depth) => {
    for (const frame of Array.from(doc.querySelectorAll('iframe, frame'))) {
      let inner = null;
      try { inner = frame.contentDocument; } catch (e) { inner = null; }
      if (!inner || !inner.body) continue;
      if (depth < maxDepth) inline(inner, depth + 1);
      for (const a of inner.querySelectorAll('a[href]')) a.setAttribute('href', a.href);
      const div = doc.createElement('div');
      div.setAttribute('data-govsweep-frame', frame.src || '');
      div.innerHTML = inner.body.innerHTML;
      frame.replaceWith(div);
      merged += 1;
    }
    if (doc.body && doc.body.tagName === 'FRAMESET') {
      const body = doc.createElement('body');
      for (const div of doc.querySelectorAll('div[data-govsweep-frame]')) body.appendChild(div);
      doc.body = body;
    }
  };
  inline(document, 0);
  for (const s of Array.from(document.querySelectorAll('script'))) s.remove();
  return merged;
}"""

_NET_ERRORS = {
    "ERR_CONNECTION_REFUSED": "refused",
    "ERR_NAME_NOT_RESOLVED": "dns",
    "ERR_TIMED_OUT": "timeout",
    "ERR_CONNECTION_TIMED_OUT": "timeout",
    "ERR_TOO_MANY_REDIRECTS": "redirect_loop",
}
_CLOSED_WORDS = ("crash", "has been closed", "Target closed", "disconnected")
WAF_STATUSES = {412, 521}


class BrowserUnavailable(Exception):
    """Chromium is missing or cannot start; the message says where it was looked for."""


class RenderResult(msgspec.Struct, omit_defaults=True):
    """A rendered page: `html` is None when rendering failed, and `error` says why."""

    url: str
    html: str | None = None
    final_url: str | None = None
    status: int | None = None
    error: str | None = None  # timeout, crashed, refused, dns, http_4xx, too_large, bad_url …
    elapsed_ms: int = 0
    fetched_at: str | None = None
    frames_merged: int = 0
    blocked: int = 0  # requests refused: images, fonts, media and other origins
    hung: bool = False  # a timeout because the page's script held its thread: a retry hangs too

    def fetch_result(self) -> FetchResult:
        return FetchResult(
            url=self.url,
            final_url=self.final_url if self.final_url != self.url else None,
            status=self.status,
            error=self.error,
            elapsed_ms=self.elapsed_ms,
            fetched_at=self.fetched_at,
        )


def chromium_available(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class _Answer(NamedTuple):
    """How the guard answers a request: with a response, a redirect, or an error code."""

    response: APIResponse | None = None
    location: str | None = None  # the checked end of a redirect chain: Chromium is sent there
    abort: str | None = None


class _Slot:
    """One context of the pool, the browser it belongs to, its tab, and what its current page may
    reach."""

    def __init__(self) -> None:
        self.context: BrowserContext | None = None
        self.browser: Browser | None = None
        self.pages = 0
        # One tab per context, navigated from page to page: a new tab is a new headless window,
        # which costs Chromium more CPU than the page rendered in it.
        self.tab: Page | None = None
        self.page: Page | None = None  # the tab while it renders a page
        self.start_origin = ""
        self.blocked = 0
        self.failure: str | None = None  # why the guard stopped a request (SSRF policy, loop)
        self.traffic = _Traffic()  # the current page's requests


class BrowserPool:
    """`async with BrowserPool(...) as pool: await pool.render(url)` — at most `contexts` pages at once."""

    def __init__(
        self,
        executable: str = DEFAULT_EXECUTABLE,
        contexts: int = 2,
        recycle_after: int = 50,
        page_timeout_s: float = 20.0,
        max_bytes: int = 5_000_000,
        user_agent: str | None = None,
        on_render: Callable[[str, float], None] | None = None,
        gate: Gate | None = None,
        policy: NetPolicy | None = None,
        idle_stop_s: float | None = None,
        on_launch: Callable[[], None] | None = None,
    ) -> None:
        if (
            contexts < 1
            or recycle_after < 1
            or page_timeout_s <= 0
            or max_bytes < 1
            or (idle_stop_s is not None and idle_stop_s <= 0)
        ):
            raise ValueError(
                f"BrowserPool: contexts ({contexts}), recycle_after ({recycle_after}), "
                f"page_timeout_s ({page_timeout_s}), max_bytes ({max_bytes}) and idle_stop_s "
                f"({idle_stop_s}) must be positive"
            )
        self.executable = executable
        self.recycle_after = recycle_after
        self.page_timeout_s = page_timeout_s
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        # Metrics hook: on_render(outcome, seconds), as Fetcher.on_fetch.
        self.on_render = on_render
        # Per-host politeness shared with the HTTP crawlers (services.bus.host_limits.HostLimits in a
        # deployment): every request the page makes waits for a slot of its host.
        self.gate = gate
        # SSRF guard, as for the HTTP crawlers; default: public addresses only.
        self.policy = policy or NetPolicy()
        # Stop Chromium after this many seconds without a render (None: keep it until exit).
        self.idle_stop_s = idle_stop_s
        self.on_launch = on_launch  # metrics hook, called after every browser launch
        self.contexts_created = 0
        self.tabs_opened = 0
        self.browser_launches = 0
        self.idle_stops = 0
        self._renders = 0  # renders started and not finished, waiting for a slot included
        self._last_render = time.monotonic()
        self._idle_watch: asyncio.Task[None] | None = None
        self._slots: asyncio.Queue[_Slot] = asyncio.Queue()
        for _ in range(contexts):
            self._slots.put_nowait(_Slot())
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._launch_lock = asyncio.Lock()

    async def __aenter__(self) -> BrowserPool:
        if not chromium_available(self.executable):
            raise BrowserUnavailable(
                f"Chromium not found at {self.executable}; install Debian's chromium (make setup)"
            )
        # Only the driver starts here; Chromium itself waits for the first render.
        self._playwright = await async_playwright().start()
        if self.idle_stop_s is not None:
            self._idle_watch = asyncio.create_task(self._stop_when_idle(self.idle_stop_s))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._idle_watch is not None:
            self._idle_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._idle_watch
        await self._abandon_browser()
        if self._playwright is not None:
            await self._playwright.stop()

    @property
    def running(self) -> bool:
        """Whether a Chromium of this pool is up now."""
        return self._browser is not None and self._browser.is_connected()

    async def _stop_when_idle(self, idle_s: float) -> None:
        """Until cancelled: close the browser once no render has run for `idle_s` seconds."""
        wait = idle_s
        while True:
            await asyncio.sleep(wait)
            # Under the launch lock: a render that starts now waits, then launches a new browser.
            async with self._launch_lock:
                idle_for = time.monotonic() - self._last_render
                if self._renders or idle_for < idle_s:
                    wait = idle_s if self._renders else idle_s - idle_for
                    continue
                wait = idle_s
                if self._browser is not None:
                    await self._abandon_browser()
                    self.idle_stops += 1

    async def _browser_now(self) -> Browser:
        """The running browser; a new one if the last one crashed or was abandoned."""
        async with self._launch_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            assert self._playwright is not None, "BrowserPool used outside `async with`"
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.executable,
                    headless=True,
                    args=CHROMIUM_ARGS,
                    timeout=LAUNCH_S * 1000,
                )
            except PlaywrightError as exc:
                raise BrowserUnavailable(
                    f"Chromium at {self.executable} did not start: {str(exc).splitlines()[0]}"
                ) from None
            self.browser_launches += 1
            if self.on_launch:
                self.on_launch()
            return self._browser

    async def _tab_for(self, slot: _Slot) -> Page:
        """The slot's tab, in a new context when the browser changed or the context is used up."""
        browser = await self._browser_now()
        if slot.context is None or slot.browser is not browser or slot.pages >= self.recycle_after:
            await self._new_context(slot, browser)
        if slot.tab is None:
            assert slot.context is not None
            # Bounded: a browser killed while it opens the page never answers.
            slot.tab = tab = await asyncio.wait_for(slot.context.new_page(), CLOSE_S)
            self.tabs_opened += 1
            tab.set_default_timeout(self.page_timeout_s * 1000)
            # Through the slot, to whichever page the tab is rendering now.
            tab.on("request", lambda request: slot.traffic.started(request))
            tab.on("requestfinished", lambda request: slot.traffic.ended(request))
            tab.on("requestfailed", lambda request: slot.traffic.ended(request))
            tab.on("crash", lambda _: slot.traffic.crash())
        return slot.tab

    async def _new_context(self, slot: _Slot, browser: Browser) -> None:
        await self._drop_context(slot)
        slot.context = await browser.new_context(
            service_workers="block",  # a service worker's requests would bypass the route guard
            accept_downloads=False,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",  # lists that format dates in script show China's day
            user_agent=self.user_agent,
        )
        slot.browser, slot.pages = browser, 0
        self.contexts_created += 1
        await slot.context.route("**/*", lambda route, request: self._guard(slot, route, request))

    async def _drop_context(self, slot: _Slot) -> None:
        context, slot.context, slot.tab = slot.context, None, None
        if context is None:
            return
        try:
            await asyncio.wait_for(context.close(), CLOSE_S)
        except TimeoutError:
            await self._abandon_browser()  # a context that will not close: its browser is wedged
        except PlaywrightError:
            pass  # already gone with its browser

    async def _abandon_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(browser.close(), CLOSE_S)

    async def _guard(self, slot: _Slot, route: Route, request: Request) -> None:
        """Let through only the page's own origin (start or after redirect); no images/fonts/media;
        no address the SSRF policy refuses."""
        allowed = {slot.start_origin}
        if slot.page is not None:
            allowed.add(_origin(slot.page.main_frame.url))
        blocked = request.resource_type in BLOCKED_TYPES or _origin(request.url) not in allowed
        traffic = slot.traffic  # of the page this request belongs to
        # suppress: the page may close while a request waits
        with traffic.routing(), contextlib.suppress(PlaywrightError):
            refusal = None if blocked else await self.policy.url_refusal(request.url)
            if blocked or refusal:
                slot.blocked += 1
                slot.failure = slot.failure or (f"{BLOCKED}: {refusal}" if refusal else None)
                await route.abort("blockedbyclient")
            else:
                await _until_closed(traffic.closed, self._admitted(slot, traffic, route, request))

    async def _admitted(
        self, slot: _Slot, traffic: _Traffic, route: Route, request: Request
    ) -> None:
        if self.gate is None:
            answer = await self._follow(slot, route, request)
        else:
            # Fetched inside the host's slot, so every request the page makes counts against the
            # limits shared with the HTTP crawlers, its whole transfer included; the hand-off
            # to Chromium below concerns no host and happens after the slot is given back.
            async with contextlib.AsyncExitStack() as admitted:
                traffic.queued += 1
                try:
                    await admitted.enter_async_context(self.gate.slot(_origin(request.url)))
                finally:
                    traffic.queued -= 1
                answer = await self._follow(slot, route, request)
        if answer.abort:
            await route.abort(answer.abort)
        elif answer.location:
            await route.fulfill(status=302, headers={"Location": answer.location})
        else:
            await route.fulfill(response=answer.response)

    async def _follow(self, slot: _Slot, route: Route, request: Request) -> _Answer:
        """Fetch the request, following its redirects here, each hop checked against the policy.

        Chromium follows a redirect without calling the route again, so a hop to an internal
        address would go unchecked: the chain is walked first, and the browser is only sent on
        (by one redirect) to its checked end.
        """
        url = request.url
        # route.fetch sends through Node's HTTP client, which refuses non-ASCII header values
        # (the default user agent names 政府网站检查): they go percent-encoded.
        headers = {k: quote(v, safe=_PRINTABLE) for k, v in request.headers.items()}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = await route.fetch(
                    url=url, headers=headers, max_redirects=0, timeout=self.page_timeout_s * 1000
                )
            except PlaywrightError as exc:
                return _Answer(abort=_abort_code(str(exc)))
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                break
            url = urljoin(url, location)
            refusal = await self.policy.url_refusal(url)
            if refusal:
                slot.blocked += 1
                slot.failure = slot.failure or f"{BLOCKED}: {refusal}"
                return _Answer(abort="blockedbyclient")
        else:
            slot.failure = slot.failure or "redirect_loop"
            return _Answer(abort="failed")
        if url == request.url:
            return _Answer(response=response)
        return _Answer(location=url)

    async def render(self, url: str) -> RenderResult:
        """Render `url` and return its HTML with same-origin frames inlined, or the failure."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return RenderResult(url=str(url), error="bad_url")
        self._renders += 1
        try:
            slot = await self._slots.get()
            try:
                return await self._render_in(slot, url)
            finally:
                self._slots.put_nowait(slot)
        finally:
            self._renders -= 1
            self._last_render = time.monotonic()

    async def _render_in(self, slot: _Slot, url: str) -> RenderResult:
        started = time.monotonic()
        result = RenderResult(url=url, fetched_at=datetime.now(UTC).isoformat(timespec="seconds"))
        try:
            page = await self._tab_for(slot)
        except (BrowserUnavailable, PlaywrightError, TimeoutError) as exc:
            # The browser died between pages or will not come back; the next render retries.
            await self._abandon_browser()
            result.error = (
                f"no_browser: {exc}" if isinstance(exc, BrowserUnavailable) else "crashed"
            )
            return self._finish(result, started)
        slot.pages += 1
        slot.page, slot.start_origin, slot.blocked, slot.failure = page, _origin(url), 0, None
        slot.traffic = traffic = _Traffic()
        try:
            async with asyncio.timeout(self.page_timeout_s):
                if await _first_of(self._load(page, traffic, result), _script_hung(page, traffic)):
                    result.error, result.hung = "timeout", True
        except (TimeoutError, PlaywrightTimeout):
            result.error = "timeout"
        except PlaywrightError as exc:
            result.error = "crashed" if traffic.crashed else _error_code(str(exc))
        finally:
            result.blocked = slot.blocked
            slot.page = None
            # A page that timed out or crashed may be stuck; one that answered (an HTTP error
            # or a WAF wall included) leaves a tab fit for the next page.
            await self._leave(slot, page, stuck=result.error in TRANSIENT_RENDER_ERRORS)
            traffic.closed.set()  # its requests still waiting or fetching give up their host slots
        if result.error:
            result.error = slot.failure or result.error  # the guard's reason, not ERR_FAILED
            result.html = None
        return self._finish(result, started)

    async def _load(self, page: Page, traffic: _Traffic, result: RenderResult) -> None:
        response = await page.goto(result.url, wait_until="load")
        result.status = response.status if response else None
        result.final_url = page.url
        if result.status in WAF_STATUSES:
            result.error = "waf_challenge"
            return
        if result.status is not None and result.status >= 400:
            result.error = f"http_{result.status}"
            return
        await traffic.quiet()
        result.frames_merged = await page.evaluate(_FLATTEN_JS, MAX_FRAME_DEPTH)
        html = await page.content()
        if len(html.encode("utf-8", "replace")) > self.max_bytes:
            result.error = "too_large"
            return
        result.html = html

    async def _leave(self, slot: _Slot, page: Page, stuck: bool) -> None:
        """Stop the page's scripts and requests: a page is left for about:blank, and its tab
        serves the next page; a `stuck` page (in a script or a request), or one that will not
        leave, is closed with its tab, and a tab that will not close, with its context."""
        if not stuck:
            try:
                await asyncio.wait_for(page.goto("about:blank"), CLOSE_S)
                return
            except (TimeoutError, PlaywrightError):
                pass
        slot.tab = None
        try:
            await asyncio.wait_for(page.close(run_before_unload=False), CLOSE_S)
        except (TimeoutError, PlaywrightError):
            await self._drop_context(slot)  # start the next page in a fresh context

    def _finish(self, result: RenderResult, started: float) -> RenderResult:
        elapsed = time.monotonic() - started
        result.elapsed_ms = int(elapsed * 1000)
        if self.on_render:
            self.on_render(_outcome(result.error), elapsed)
        return result


class _Traffic:
    """The requests of one page: in flight, waiting for a host slot, and whether the page is closed.
    Playwright's "networkidle" waits a fixed 500 ms of silence; a shorter quiet spell is enough for
    a list script, whose data request follows `load` at once."""

    def __init__(self) -> None:
        # By request: an end reported late for the tab's previous page must not count here.
        self.requests: set[Request] = set()
        self.crashed = False
        self.queued = 0  # requests waiting for the host's politeness slot
        self.changed = time.monotonic()
        # Requests in the route guard (being checked, waiting for a slot, fetched) and when one
        # last came or went: unlike `in_flight`, whose events the page's own thread reports,
        # this moves while a script holds that thread.
        self.guarded = 0
        self.guard_changed = self.changed
        self.closed = asyncio.Event()

    @contextlib.contextmanager
    def routing(self) -> Iterator[None]:
        self.guarded += 1
        self.guard_changed = time.monotonic()
        try:
            yield
        finally:
            self.guarded -= 1
            self.guard_changed = time.monotonic()

    @property
    def in_flight(self) -> int:
        return len(self.requests)

    def started(self, request: Request) -> None:
        self.requests.add(request)
        self.changed = time.monotonic()

    def ended(self, request: Request) -> None:
        if request in self.requests:
            self.requests.discard(request)
            self.changed = time.monotonic()

    def crash(self) -> None:
        self.crashed = True

    async def quiet(self) -> None:
        """Return once nothing has been in flight for QUIET_S, or after SETTLE_S at most; time
        a request of the page spends waiting for a host slot is politeness, not the page's
        network, and does not count (the page's deadline still bounds the wait)."""
        now = time.monotonic()
        give_up = now + SETTLE_S
        while now < give_up:
            if self.in_flight == 0 and now - self.changed >= QUIET_S:
                return
            await asyncio.sleep(0.05)
            before, now = now, time.monotonic()
            if self.queued:
                give_up += now - before


async def _script_hung(page: Page, traffic: _Traffic) -> bool:
    """Return True once the page's main thread has left a probe unanswered for HUNG_S with none
    of the page's requests in the route guard the whole time (DevTools runs an evaluation only
    between tasks, so a script that never yields leaves it pending, while a synchronous request
    it waits for is in the guard); runs until cancelled otherwise."""
    while True:
        probe = asyncio.ensure_future(page.evaluate("0"))
        sent = time.monotonic()
        try:
            while not probe.done():
                await asyncio.wait({probe}, timeout=PROBE_EVERY_S)
                if not probe.done() and not traffic.guarded:
                    if time.monotonic() - max(sent, traffic.guard_changed) >= HUNG_S:
                        return True
        finally:
            probe.cancel()
        # Answered or failed (a navigation replaced the document): the thread is free for now.
        with contextlib.suppress(PlaywrightError, asyncio.CancelledError):
            probe.result()
        await asyncio.sleep(PROBE_EVERY_S)


async def _first_of(load: Coroutine[Any, Any, None], hung: Coroutine[Any, Any, bool]) -> bool:
    """Run the page's `load` until it ends or `hung` says the page is stuck; whether it was stuck.
    The loser is cancelled; an error of `load` is raised here."""
    loading, watching = asyncio.ensure_future(load), asyncio.ensure_future(hung)
    try:
        await asyncio.wait({loading, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loading.cancel()
        watching.cancel()
        await asyncio.wait({loading, watching})
    if loading.cancelled():
        return watching.result()
    loading.result()
    return False


async def _until_closed(closed: asyncio.Event, work: Coroutine[Any, Any, None]) -> None:
    """Run a request's `work` unless its page is closed first: then it is cancelled. Playwright
    stalls a closed page's new requests but lets the handlers already running go on, and those
    would keep waiting for, or fetching inside, the host's politeness slots that the next page
    of the same host (a column's second try included) needs: it would time out in turn."""
    task = asyncio.ensure_future(work)
    page_closed = asyncio.ensure_future(closed.wait())
    try:
        await asyncio.wait({task, page_closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        page_closed.cancel()
        task.cancel()  # a no-op when it is done
        await asyncio.wait({task, page_closed})
    if not task.cancelled():
        task.result()  # its error, if any, as if it had been awaited here


def _abort_code(message: str) -> str:
    """The network error Chromium should see for a failed route.fetch, so the page error keeps
    its meaning (refused, DNS, timeout)."""
    for marker, code in (
        ("ECONNREFUSED", "connectionrefused"),
        ("ENOTFOUND", "namenotresolved"),
        ("EAI_AGAIN", "namenotresolved"),
        ("Timeout", "timedout"),
        ("timed out", "timedout"),
        ("ETIMEDOUT", "timedout"),
    ):
        if marker in message:
            return code
    return "failed"


def _error_code(message: str) -> str:
    """A short code for a Playwright error: net::ERR_… codes as the fetcher names them."""
    for net_error, code in _NET_ERRORS.items():
        if net_error in message:
            return code
    if "net::ERR_" in message:
        return "net_error: " + message.split("net::", 1)[1].split()[0]
    if any(word in message for word in _CLOSED_WORDS):
        return "crashed"
    return "browser_error: " + (message.splitlines()[0] if message else "unknown")[:120]


def _outcome(error: str | None) -> str:
    if error is None:
        return "ok"
    return error.split(":")[0] if not error.startswith("http_") else error[:6] + "xx"


# --- a column through the browser ---------------------------------------------------------------

RENDER_FAILED = {
    "timeout": "浏览器渲染超时",
    "crashed": "浏览器崩溃",
    "no_browser": "浏览器无法启动",
    "refused": "连接被拒绝",
    "dns": "域名无法解析",
    "redirect_loop": "重定向次数过多",
    "waf_challenge": "被防火墙(WAF)拦截",
    "too_large": "页面过大",
    "bad_url": "栏目地址无效",
    BLOCKED: "安全策略拒绝访问内网或保留地址",
}
NO_LIST_REASON = "浏览器渲染后仍未找到栏目列表 (no_list)"


def render_reason(result: RenderResult) -> str:
    """A short Chinese reason for a page the browser could not render, with the technical code."""
    error = result.error or "unknown"
    words = RENDER_FAILED.get(error.split(":")[0])
    if words is None and error.startswith("http_"):
        words = f"浏览器渲染失败: HTTP {result.status}"
    return f"{words or '浏览器渲染失败'} ({error})"


# Render failures that say nothing about the column: a busy machine or a crashed renderer.
TRANSIENT_RENDER_ERRORS = {"timeout", "crashed"}


async def _render_list(
    pool: BrowserPool, url: str, at: date
) -> tuple[RenderResult, PageFacts | None]:
    """Render a list page and extract it; a render that timed out (but not on a script of its own
    that never yields), crashed or built no list gets one more try before the column counts as
    unread (a column is never judged on a bad render)."""
    for attempt in range(2):
        result = await pool.render(url)
        facts = (
            None
            if result.html is None
            else extract_page(result.html, result.final_url or url, at, kind_hint="list")
        )
        if facts is None:
            transient = result.error in TRANSIENT_RENDER_ERRORS and not result.hung
        else:
            shown_blank = facts.blank and facts.blank_reason in BLANK_MARKERS
            transient = not facts.challenge and not facts.items and not shown_blank
        if attempt or not transient:
            break
    return result, facts


async def render_column(
    pool: BrowserPool, column: ColumnRef, at: date, max_pages: int = 3
) -> ColumnFacts:
    """Read a script-built column list through the browser; further pages are rendered only while
    no dated item has been seen (as `crawler.site.read_column` does for static lists)."""
    first, facts = await _render_list(pool, column.url, at)
    if facts is None:
        return ColumnFacts(
            column=column,
            fetch=first.fetch_result(),
            measured=False,
            reason=render_reason(first),
            rendered=True,
        )
    if facts.challenge:  # the browser did not get past the anti-bot wall either
        return ColumnFacts(
            column=column,
            fetch=first.fetch_result(),
            measured=False,
            reason=f"被防火墙(WAF)拦截: {facts.challenge}质询页未通过 (waf_challenge)",
            pages_read=1,
            rendered=True,
        )
    items = list(facts.items)
    # Blank only on a visible 暂无信息-style text: an empty list container after rendering is as
    # likely a data request that failed or was blocked as a column with nothing in it.
    if not items and not (facts.blank and facts.blank_reason in BLANK_MARKERS):
        return ColumnFacts(
            column=column,
            fetch=first.fetch_result(),
            measured=False,
            reason=NO_LIST_REASON,
            pages_read=1,
            rendered=True,
        )
    pages_read = 1
    for next_url in facts.next_pages[: max_pages - 1]:
        if any(item.date for item in items):
            break
        more = await pool.render(next_url)
        if more.html is None:
            break
        items.extend(
            extract_page(more.html, more.final_url or next_url, at, kind_hint="list").items
        )
        pages_read += 1
    latest = newest(items)
    return ColumnFacts(
        column=column,
        fetch=first.fetch_result(),
        measured=True,
        items_count=len(items),
        undated_count=sum(1 for item in items if not item.date),
        latest=latest.date if latest else None,
        latest_item=latest,
        blank=not items,
        blank_reason=facts.blank_reason if not items else None,
        pages_read=pages_read,
        rendered=True,
    )
