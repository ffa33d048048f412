"""Link status: the links of the pages govsweep reads, checked once per sweep and classed.

Classes: ok; broken (404/410, 5xx, connection refused, DNS failure); blocked (WAF challenge, 403,
429, a target the SSRF guard refuses); timeout; unknown (anything else, e.g. a redirect loop or a 401). A link is only called broken
when a re-check at least `recheck_after_s` later fails as well; the first outcome of a link that
needs a re-check (broken, timeout, 429) is never final and never cached.

Each link is requested with HEAD, and with GET when HEAD did not answer ok (hosts that refuse HEAD
get GET at once, see HeadRefusals; the first HEAD to a new host goes alone, so that finding a
refusal costs one request); no body is downloaded. Every request passes the same per-host gate as
the crawl.

What the crawler publishes about a page's links is compacted (compact_links): the links a checker
or an inspector must see one by one (broken, unknown, flagged) in full, the others only counted,
as digests of their URLs, so that summarize_links still counts each distinct URL of a site once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import msgspec

from crawler.fetch import WAF_MARKERS, WAF_STATUSES, origin, retry_after_seconds
from crawler.model import ColumnFacts, FetchResult, HomeFacts, LinkStatus, LinkSummary, LinkTally
from crawler.netguard import BLOCKED as POLICY
from crawler.netguard import BlockedByPolicy, NetPolicy, open_session
from crawler.politeness import Gate

OK, BROKEN, BLOCKED, TIMEOUT, UNKNOWN = "ok", "broken", "blocked", "timeout", "unknown"

BROKEN_STATUSES = frozenset({404, 410})
BLOCKED_STATUSES = frozenset({403, 429, *WAF_STATUSES})
PEEK_BYTES = 4096  # of a 403 body, to see a WAF wall; no other body is read (attachments)
UNREACHABLE = frozenset({"refused", "dns", "timeout"})  # HEAD failed before HTTP: GET would too
MAX_PAGES_LISTED = 5  # pages named per link in a summary
HEAD_REFUSED = frozenset({405, 501})  # a host answering HEAD so refuses it: GET from then on
DIGEST_BYTES = 8  # of a URL digest in a LinkTally: no collision among a site's links in practice
TALLIED = (OK, BLOCKED, TIMEOUT)  # classes published as digests only (LinkTally fields)


class Prober(Protocol):
    async def check(self, url: str) -> FetchResult: ...


class LinkCache(Protocol):
    """Who checks which link in a sweep. `claim` returns None when the caller is to check the URL
    (it must then `settle` or `abandon` it), else the URL's final status (waiting, bounded, while
    another caller checks it); `known` is the status at hand, without waiting. `hold` says the
    caller's check will take a while (a re-check); `flush` shares what was settled so far with the
    other processes of the sweep."""

    async def claim(self, url: str) -> LinkStatus | None: ...

    def known(self, url: str) -> LinkStatus | None: ...

    async def hold(self, url: str) -> None: ...

    async def settle(self, url: str, status: LinkStatus) -> None: ...

    async def abandon(self, url: str) -> None: ...

    async def flush(self) -> None: ...


class HeadRefusals(Protocol):
    """The hosts (origins) known to refuse HEAD: in this process (a set) or in every process
    (services.bus.link_cache.KvHeadRefusals)."""

    def refuses(self, host: str) -> bool: ...

    async def refused(self, host: str) -> None: ...


class LocalHeadRefusals:
    """HeadRefusals remembered by this process only."""

    def __init__(self) -> None:
        self._hosts: set[str] = set()

    def refuses(self, host: str) -> bool:
        return host in self._hosts

    async def refused(self, host: str) -> None:
        self._hosts.add(host)


def classify(result: FetchResult) -> str:
    """The class of one request's outcome."""
    status, error = result.status, result.error
    if error is None:
        return OK if status is not None and status < 400 else UNKNOWN
    if error == "waf_challenge" or status in BLOCKED_STATUSES or error.startswith(POLICY):
        return BLOCKED
    if error == "timeout":
        return TIMEOUT
    if error in ("refused", "dns") or status in BROKEN_STATUSES or (status or 0) >= 500:
        return BROKEN
    return UNKNOWN


def needs_recheck(result: FetchResult) -> bool:
    """Outcomes that may pass: a broken or timed-out link, a host asking us to slow down."""
    return classify(result) in (BROKEN, TIMEOUT) or result.status == 429


def settle_class(first: FetchResult, second: FetchResult) -> str:
    """The class after a re-check: broken only when both checks were broken."""
    before, after = classify(first), classify(second)
    if after == BROKEN and before != BROKEN:
        return before  # broken once, timed out or rate-limited once: not proven broken
    return after


def external_flag(url: str, result: FetchResult) -> str | None:
    """An outside link whose host no longer resolves, or whose redirects end on another host."""
    if result.error == "dns":
        return "host_gone"
    if result.final_url and _host(result.final_url) != _host(url):
        return "other_host"
    return None


def _refused(result: FetchResult) -> bool:
    return (result.error or "").startswith(POLICY)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _netloc(url: str) -> str:
    """urlsplit(url).netloc, without building the whole split (it runs for every link)."""
    scheme, sep, rest = url.partition("://")
    if not (sep and scheme.isalpha() and url.isprintable() and url[0] != " "):
        return urlsplit(url).netloc  # what urlsplit would clean or read otherwise
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark, 0, end)
        if found >= 0:
            end = found
    return rest[:end]


def _origin(url: str) -> str:
    """crawler.fetch.origin (the gate's key), through _netloc."""
    scheme, sep, _ = url.partition("://")
    if not (sep and scheme.isalpha()):
        return origin(url)
    return f"{scheme.lower()}://{_netloc(url)}"


_clock: tuple[int, str] = (0, "")


def _now() -> str:
    """The time to the second, formatted once per second (every request is stamped)."""
    global _clock
    second = int(time.time())
    if _clock[0] != second:
        _clock = (second, datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds"))
    return _clock[1]


class LinkProber:
    """HEAD, then GET when HEAD did not answer ok, through the per-host gate and the SSRF guard.

    `session` / `policy`: as for crawler.fetch.Fetcher (pass the Fetcher's shared session).
    `head_refusals`: where hosts that refuse HEAD are remembered (default: this prober only).
    """

    def __init__(
        self,
        gate: Gate,
        timeout_s: float = 15.0,
        max_redirects: int = 5,
        user_agent: str = "govsweep",
        session: aiohttp.ClientSession | None = None,
        policy: NetPolicy | None = None,
        head_refusals: HeadRefusals | None = None,
    ) -> None:
        self.gate = gate
        self.timeout_s = timeout_s
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.policy = policy or NetPolicy()
        self._session = session
        self._owned = session is None
        self.head_refusals = head_refusals or LocalHeadRefusals()
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._heads_tried: set[str] = set()  # hosts whose first HEAD has answered (or failed)
        self._first_head: dict[str, asyncio.Future[None]] = {}  # host → its first HEAD, out now

    async def __aenter__(self) -> LinkProber:
        if self._owned:
            self._session = open_session(self.policy, self.user_agent)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owned and self._session:
            await self._session.close()

    async def check(self, url: str) -> FetchResult:
        host = _origin(url)
        first = self._first_head.get(host)
        if first is not None:  # whether this new host refuses HEAD is one answer away
            await asyncio.shield(first)
        if not self.head_refusals.refuses(host):
            head = await self._head(url, host)
            if classify(head) == OK or head.error in UNREACHABLE or _refused(head):
                return head
        # Many servers answer HEAD wrongly (405, 404, 500).
        return await self._request("GET", url, host)

    async def _head(self, url: str, host: str) -> FetchResult:
        """HEAD; the first one to a host goes alone, so that the links of a host refusing HEAD
        (a page's worth, checked at once) cost one refused HEAD, not one each."""
        if host in self._heads_tried:
            return await self._request("HEAD", url, host)
        first = self._first_head[host] = asyncio.get_running_loop().create_future()
        try:
            head = await self._request("HEAD", url, host)
            if head.status in HEAD_REFUSED:
                await self.head_refusals.refused(host)
        finally:
            self._heads_tried.add(host)
            del self._first_head[host]
            first.set_result(None)
        return head

    @staticmethod
    async def _error(resp: aiohttp.ClientResponse) -> str:
        """The error code of a failing answer; only a 403's body is read (a little), to tell a
        WAF wall in evidence."""
        status = resp.status
        if status in WAF_STATUSES:
            return "waf_challenge"
        if status == 403:
            peek = await resp.content.read(PEEK_BYTES)
            if any(marker in peek for marker in WAF_MARKERS):
                return "waf_challenge"
        return f"http_{status}"

    async def _request(self, method: str, url: str, host: str) -> FetchResult:
        assert self._session is not None, "LinkProber used outside `async with`"
        status: int | None = None
        final_url: str | None = None
        error: str | None = None
        retry_after: float | None = None
        fetched_at = _now()
        started = time.monotonic()
        async with self.gate.slot(host):
            try:
                # aiohttp's own timer (no second one), raising a TimeoutError subclass.
                async with self._session.request(
                    method,
                    url,
                    allow_redirects=True,
                    max_redirects=self.max_redirects,
                    timeout=self._timeout,
                ) as resp:
                    status, final_url = resp.status, str(resp.url)
                    if status >= 400:
                        error = await self._error(resp)
                        retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
            except TimeoutError:
                error = "timeout"
            except BlockedByPolicy as exc:
                error = f"{POLICY}: {exc}"
            except aiohttp.TooManyRedirects:
                error = "redirect_loop"
            except aiohttp.ClientConnectorError as exc:
                error = "dns" if isinstance(exc, aiohttp.ClientConnectorDNSError) else "refused"
            except aiohttp.ClientError as exc:
                error = f"client_error: {type(exc).__name__}"
        if status in (429, 503):
            self.gate.slow_down(host, retry_after)
        elif error is None:
            self.gate.succeeded(host)
        return FetchResult(
            url=url,
            final_url=final_url if final_url != url else None,
            status=status,
            error=error,
            elapsed_ms=int((time.monotonic() - started) * 1000),
            fetched_at=fetched_at,
        )


class MemoryLinkCache:
    """A LinkCache for one process and one sweep: the first caller checks, the others await it."""

    def __init__(self, wait_s: float = 90.0) -> None:
        self.wait_s = wait_s
        self._known: dict[str, asyncio.Future[LinkStatus]] = {}

    async def claim(self, url: str) -> LinkStatus | None:
        known = self._known.get(url)
        if known is None:
            self._known[url] = asyncio.get_running_loop().create_future()
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(known), self.wait_s)
        except TimeoutError:
            return not_ready(url, self.wait_s)

    def known(self, url: str) -> LinkStatus | None:
        future = self._known.get(url)
        return future.result() if future is not None and future.done() else None

    async def hold(self, url: str) -> None:
        pass  # one process: the waiters await the future already

    async def settle(self, url: str, status: LinkStatus) -> None:
        future = self._known[url]
        if not future.done():
            future.set_result(status)

    async def abandon(self, url: str) -> None:
        future = self._known.pop(url, None)
        if future is not None and not future.done():
            future.set_result(not_ready(url, 0))

    async def flush(self) -> None:
        pass  # nothing to share


def not_ready(url: str, waited_s: float) -> LinkStatus:
    """The status of a link another worker was still checking when we stopped waiting."""
    return LinkStatus(url=url, outcome=UNKNOWN, error=f"not_ready: checked elsewhere ({waited_s}s)")


class LinkChecker:
    """Checks the links of one page after another; a URL is requested once per cache (sweep)."""

    def __init__(
        self,
        prober: Prober,
        cache: LinkCache | None = None,
        recheck_after_s: float = 30.0,
        concurrency: int = 16,
        max_per_page: int = 300,
    ) -> None:
        if recheck_after_s < 0 or concurrency < 1 or max_per_page < 0:
            raise ValueError(
                f"LinkChecker: recheck_after_s ({recheck_after_s}) and max_per_page "
                f"({max_per_page}) must not be negative, concurrency ({concurrency}) at least 1"
            )
        self.prober = prober
        self.cache = cache if cache is not None else MemoryLinkCache()
        self.recheck_after_s = recheck_after_s
        self.max_per_page = max_per_page
        self._requests = asyncio.Semaphore(concurrency)

    async def check_page(self, page_url: str, links: Iterable[str]) -> list[LinkStatus]:
        """The status of each distinct link of the page (at most max_per_page), in page order."""
        urls = list(dict.fromkeys(links))[: self.max_per_page]
        # Most links of a page were met on an earlier page: answered without a task each.
        known = list(map(self.cache.known, urls))
        new = [url for url, status in zip(urls, known, strict=True) if status is None]
        found = iter(await asyncio.gather(*map(self._status, new)) if new else ())
        statuses = [status if status is not None else next(found) for status in known]
        await self.cache.flush()  # before the page's facts, and the jobs they start, go out
        page_host = urlsplit(page_url).netloc
        return [
            msgspec.structs.replace(
                status, found_on=[page_url], external=_netloc(status.url) != page_host
            )
            for status in statuses
        ]

    async def _status(self, url: str) -> LinkStatus:
        known = await self.cache.claim(url)
        if known is not None:
            return known
        try:
            status = await self._check(url)
        except BaseException:
            await self.cache.abandon(url)
            raise
        await self.cache.settle(url, status)
        return status

    async def _check(self, url: str) -> LinkStatus:
        first = await self._probe(url)
        if not needs_recheck(first):
            return _link_status(url, first, classify(first), checks=1)
        await self.cache.hold(url)
        await asyncio.sleep(self.recheck_after_s)  # "later in the sweep": the fault may pass
        second = await self._probe(url)
        outcome = settle_class(first, second)
        changed = first.error if first.error != second.error else None
        return _link_status(url, second, outcome, checks=2, first=changed)

    async def _probe(self, url: str) -> FetchResult:
        async with self._requests:
            return await self.prober.check(url)


def _link_status(
    url: str, result: FetchResult, outcome: str, checks: int, first: str | None = None
) -> LinkStatus:
    return LinkStatus(
        url=url,
        outcome=outcome,
        status=result.status,
        error=result.error,
        final_url=result.final_url,
        flag=external_flag(url, result),
        checks=checks,
        first=first,
        checked_at=result.fetched_at,
    )


def link_digest(url: str) -> bytes:
    """The short digest a LinkTally counts a URL by."""
    return hashlib.blake2b(url.encode(), digest_size=DIGEST_BYTES).digest()


def _merge(
    merged: dict[bytes, LinkStatus | str],
    statuses: Iterable[LinkStatus],
    tally: LinkTally | None = None,
) -> None:
    """Add a page's (or a column's) links to `merged`, by URL digest: a class counted in a tally,
    or a full status. The first class seen for a URL holds, except that unknown (e.g. a wait that
    ran out) gives way to any other; a full status gathers the pages the URL was found on."""
    for status in statuses:
        key = link_digest(status.url)
        seen = merged.get(key)
        if seen is None or (isinstance(seen, LinkStatus) and _gives_way(seen, status.outcome)):
            pages = seen.found_on if seen is not None else []
            merged[key] = seen = msgspec.structs.replace(status, found_on=[*pages])
        if isinstance(seen, LinkStatus):
            for page in status.found_on:
                if page not in seen.found_on and len(seen.found_on) < MAX_PAGES_LISTED:
                    seen.found_on.append(page)
    if tally is None:
        return
    for outcome in TALLIED:
        digests: bytes = getattr(tally, outcome)
        for start in range(0, len(digests), DIGEST_BYTES):
            key = digests[start : start + DIGEST_BYTES]
            seen = merged.get(key)
            if seen is None or (isinstance(seen, LinkStatus) and _gives_way(seen, outcome)):
                merged[key] = outcome


def _gives_way(seen: LinkStatus, outcome: str) -> bool:
    return seen.outcome == UNKNOWN and outcome != UNKNOWN


def _outcome(entry: LinkStatus | str) -> str:
    return entry.outcome if isinstance(entry, LinkStatus) else entry


def _shown(status: LinkStatus) -> bool:
    """A link the checkers show one by one: broken, unknown (it may give way to another page's
    class), or an outside link flagged as gone or moved."""
    return status.outcome not in TALLIED or (status.external and status.flag is not None)


def compact_links(statuses: Iterable[LinkStatus]) -> tuple[list[LinkStatus], LinkTally | None]:
    """What the crawler publishes about the links of a page or column: each URL once (merged as
    summarize_links merges them), the links shown one by one in full, the others as digests."""
    merged: dict[bytes, LinkStatus | str] = {}
    _merge(merged, statuses)
    shown: list[LinkStatus] = []
    counted: dict[str, list[bytes]] = {outcome: [] for outcome in TALLIED}
    for key, entry in merged.items():
        if isinstance(entry, LinkStatus) and _shown(entry):
            shown.append(entry)
        else:
            counted[_outcome(entry)].append(key)
    if not any(counted.values()):
        return shown, None
    return shown, LinkTally(**{outcome: b"".join(keys) for outcome, keys in counted.items()})


def summarize_links(home: HomeFacts, columns: Iterable[ColumnFacts]) -> LinkSummary:
    """A site's link counts over its home page and column pages, each distinct URL once.

    A broken link shown on the home page counts as a home-page link even when other pages show it
    too (the stricter count); `found_on` names at most MAX_PAGES_LISTED pages. The facts may hold
    their links in full or compacted (compact_links).
    """
    merged: dict[bytes, LinkStatus | str] = {}
    _merge(merged, home.links, home.link_tally)
    on_home = set(merged)
    for column in columns:
        _merge(merged, column.links, column.link_tally)
    counts = dict.fromkeys((OK, BROKEN, BLOCKED, TIMEOUT, UNKNOWN), 0)
    broken: list[LinkStatus] = []
    flagged: list[LinkStatus] = []
    broken_home = 0
    for key, entry in merged.items():
        counts[_outcome(entry)] += 1
        if not isinstance(entry, LinkStatus):
            continue
        if entry.outcome == BROKEN:
            broken.append(entry)
            broken_home += key in on_home
        if entry.external and entry.flag:
            flagged.append(entry)
    return LinkSummary(
        checked=len(merged),
        broken_home=broken_home,
        broken_other=len(broken) - broken_home,
        blocked=counts[BLOCKED],
        timeout=counts[TIMEOUT],
        unknown=counts[UNKNOWN],
        broken=broken,
        flagged=flagged,
    )
