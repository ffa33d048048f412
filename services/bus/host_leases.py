"""The arithmetic of per-host leases, shared by every process through one KV key per host.

A process does not ask the key for every request: it takes a *lease*, with one compare-and-set,
and spends it locally.

- Concurrency: the lease holds `slots` of the host's `concurrency`; the sum over all live leases
  never passes the limit. A slot in use is never taken back; a lease shrinks only to what its
  holder has in flight.
- Rate: the lease owns an *interval* `[start, end)` of the host's timeline, `n` request starts
  long (`end = start + n / rate`). Intervals never overlap (the key's `next_start` is the end of
  the last one granted), and the holder starts its requests at least `1 / rate` apart, the last
  no later than `end - 1 / rate`. So, summed over all processes, starts are `1 / rate` apart,
  exactly as with one global clock: no burst beyond one request per `1 / rate`. An interval its
  holder leaves unused is returned when no later one was granted, else it lapses.
- Fairness: an interval lasts `term_s`, divided among the processes contending for the host (so
  batches are small when many contend). A process that found no slot leaves a *wish* with the
  time it started waiting; free slots go to older wishes first, and a holder whose interval is
  over yields to waiting processes (it keeps only what it has in flight until its turn comes).
- Liveness: leases carry an expiry (`lease_ttl_s`, renewed by the holder); a dead process's
  lease and wish lapse, and the next reader ignores them.
- Back-off (429/503) pushes `next_start` later; a process sees it when it takes its next
  interval, so back-off reaches every process within one interval (`term_s` long, granted at
  most `term_s` ahead: 2 × `term_s` at worst).

Times are wall-clock seconds: processes on several machines need NTP.
"""

from __future__ import annotations

import math

import msgspec

from crawler.politeness import MAX_BACKOFF_S

EPSILON_S = 1e-6  # float rounding of start + k / rate must not lose the last start of an interval
# An interval granted on an idle host begins this much after the grant, so that its first start
# is not already late when the grant reaches its process (one KV round trip away).
GRACE_S = 0.02
MIN_STARTS = 3  # the smallest interval, in request starts, when the rate allows as many per term


class Lease(msgspec.Struct):
    slots: int  # concurrency slots held (in flight or ready to start)
    start: float  # the rate interval granted last
    end: float
    expiry: float  # the lease lapses then unless renewed (its holder died)


class Wish(msgspec.Struct):
    since: float  # when the process started waiting: older wishes are served first
    expiry: float


class HostState(msgspec.Struct):
    """The shared state of one host."""

    leases: dict[str, Lease] = {}
    wishes: dict[str, Wish] = {}
    next_start: float = 0.0  # end of the last interval granted: no later interval starts sooner
    last: str = ""  # the process that interval went to (only it may return the unused rest)
    backoff_s: float = 0.0  # current exponential back-off (0 after a success)


class Limits(msgspec.Struct, frozen=True):
    concurrency: int
    rate: float  # request starts per second
    term_s: float  # length of the interval one lease grants (divided among contenders)
    lease_ttl_s: float


class Want(msgspec.Struct, frozen=True):
    """What one process asks for, from its local state."""

    demand: int  # requests in flight plus those waiting to start
    in_flight: int  # started (or about to) under the slots this process holds
    next_local: float  # the earliest this process may start its next request (its own spacing)
    not_before: float  # back-off this process knows of
    interval: bool  # a new rate interval is wanted (the current one is spent)
    # With `interval` or `demand == 0` the process gives up its current interval: the unused
    # rest is returned if nobody was granted time after it.


class Grant(msgspec.Struct, frozen=True):
    slots: int  # held in the key: what is in flight, or more
    usable: int  # at most this many in flight at once from now on (its fair share)
    start: float  # the rate interval this process may use (start == end: none new)
    end: float
    wait_s: float  # nothing new granted: seconds until asking again may help (0: unknown)
    sure: bool  # wait_s is when a turn can come (else only a bound: a lease's expiry)
    contended: bool  # other processes hold or wait for this host


def settle(state: HostState, pid: str, want: Want, limits: Limits, now: float) -> Grant:
    """Apply `pid`'s request to `state` (in place) and say what it was granted."""
    leases = {p: lease for p, lease in state.leases.items() if lease.expiry > now and p != pid}
    wishes = {p: wish for p, wish in state.wishes.items() if wish.expiry > now and p != pid}
    mine = state.leases.get(pid)
    my_wish = state.wishes.get(pid)
    gives_up = want.interval or want.demand == 0  # its interval is spent or it is idle
    if gives_up and state.last == pid and mine is not None and mine.end > want.next_local:
        # Nobody was granted time after this process: the unused rest of its interval returns.
        state.next_start = min(state.next_start, max(now, want.next_local, mine.start))

    free = limits.concurrency - sum(lease.slots for lease in leases.values())
    since = my_wish.since if my_wish is not None else now
    older = sum(1 for p, wish in wishes.items() if (wish.since, p) < (since, pid))
    contenders = len(leases.keys() | wishes.keys()) + 1
    share = max(1, limits.concurrency // contenders)
    entitled = min(want.demand, share, free - older)
    usable = max(0, entitled)
    slots = max(want.in_flight, usable)
    start = max(state.next_start, now + GRACE_S, want.not_before, want.next_local)

    begin, end = (mine.start, mine.end) if mine is not None else (now, now)
    granted_interval = False
    wait_s, sure = 0.0, False
    if want.interval and entitled >= 1 and start <= now + limits.term_s + GRACE_S:
        begin, end = start, start + starts_per_term(limits, contenders) / limits.rate
        state.next_start = end
        state.last = pid
        granted_interval = True
    elif want.interval:
        usable = 0
        slots = want.in_flight  # no turn now: hold nothing idle while others wait
        wait_s, sure = _wake_in(leases, start, limits, now)

    if slots > 0:
        state.leases = {**leases, pid: Lease(slots, begin, end, now + limits.lease_ttl_s)}
    else:
        state.leases = leases
    if (
        want.demand > want.in_flight
        and not granted_interval
        and (want.interval or my_wish is not None)
    ):
        # Rewritten only when half its life is gone: a waiting process re-reads without writing.
        if my_wish is None or my_wish.expiry - now <= limits.term_s * 2:
            my_wish = Wish(since, now + limits.term_s * 4)
        wishes[pid] = my_wish
    state.wishes = wishes
    return Grant(
        slots=slots,
        usable=usable,
        start=start if granted_interval else end,
        end=end,
        wait_s=wait_s,
        sure=sure,
        contended=contenders > 1,
    )


def _wake_in(
    leases: dict[str, Lease], start: float, limits: Limits, now: float
) -> tuple[float, bool]:
    """How long a process that got nothing may sleep before the state can have changed for it,
    and whether that moment is sure: back-off lets an interval begin, or a holder's interval
    ends (it yields then). A holder past its interval gives its slots back when its requests
    end, which nobody can tell: its lease's expiry is then only a bound (the caller waits a
    short, doubling pause if that is sooner). (0, False): nothing known."""
    if start > now + limits.term_s + GRACE_S:
        return start - limits.term_s - now, True
    ends = [lease.end - now for lease in leases.values() if lease.end > now]
    if ends:
        return min(ends), True
    return min((lease.expiry - now for lease in leases.values()), default=0.0), False


def doubled(backoff_s: float) -> float:
    return min(MAX_BACKOFF_S, max(1.0, backoff_s * 2))


def delay(retry_after_s: float | None, backoff_s: float) -> float:
    return min(MAX_BACKOFF_S, retry_after_s if retry_after_s is not None else backoff_s)


def backed_off(state: HostState, retry_after_s: float | None, now: float) -> HostState:
    """The shared back-off doubles on every 429/503 from any process."""
    state.backoff_s = doubled(state.backoff_s)
    state.next_start = max(state.next_start, now + delay(retry_after_s, state.backoff_s))
    state.last = ""  # the time up to the back-off's end is nobody's to return
    return state


def end_backoff(state: HostState) -> HostState:
    state.backoff_s = 0.0
    return state


def last_start(end: float, rate: float) -> float:
    """The latest a request may start in an interval ending at `end`."""
    return end - 1.0 / rate + EPSILON_S


def starts_per_term(limits: Limits, contenders: int) -> int:
    """The request starts in one interval: a term's worth, shared among the contenders, but
    no fewer than MIN_STARTS (a turn costs a few writes: wish, grant, giving slots back)."""
    full = max(1, math.floor(limits.rate * limits.term_s + 0.5))
    return max(min(MIN_STARTS, full), math.floor(full / contenders + 0.5))
