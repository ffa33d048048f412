"""The lease arithmetic of services.bus.host_leases, without a server: what one compare-and-set
grants, and that the limits hold for the sum of every process whatever order they ask in."""

from __future__ import annotations

import random

from services.bus.host_leases import (
    GRACE_S,
    MIN_STARTS,
    HostState,
    Lease,
    Limits,
    Want,
    Wish,
    backed_off,
    last_start,
    settle,
)

LIMITS = Limits(concurrency=2, rate=4.0, term_s=1.0, lease_ttl_s=60.0)
NOW = 1_000_000.0


def want(demand: int, in_flight: int = 0, next_local: float = 0.0, interval: bool = True) -> Want:
    return Want(demand, in_flight, next_local, not_before=0.0, interval=interval)


def test_one_process_gets_its_slots_and_a_terms_worth_of_starts() -> None:
    state = HostState()
    grant = settle(state, "a", want(5), LIMITS, NOW)
    assert grant.slots == 2  # the whole concurrency: nobody else wants the host
    # 4 starts at 4/s, from a moment after the grant (it has to reach the process first)
    assert (grant.start, grant.end) == (NOW + GRACE_S, NOW + GRACE_S + 1.0)
    assert state.next_start == grant.end
    assert state.leases["a"].slots == 2 and state.leases["a"].expiry == NOW + 60.0
    assert not grant.contended


def test_a_second_process_waits_and_its_wish_is_kept() -> None:
    state = HostState()
    settle(state, "a", want(5), LIMITS, NOW)
    grant = settle(state, "b", want(3), LIMITS, NOW + 0.1)
    assert grant.slots == 0 and grant.start == grant.end  # nothing: a holds both slots
    assert grant.contended
    assert abs(grant.wait_s - (0.9 + GRACE_S)) < 1e-9  # until a's interval ends
    assert grant.sure
    assert state.wishes["b"].since == NOW + 0.1


def test_a_holder_past_its_interval_yields_to_a_waiting_process() -> None:
    state = HostState()
    settle(state, "a", want(5), LIMITS, NOW)
    settle(state, "b", want(3), LIMITS, NOW + 0.1)
    later = NOW + 1.0
    # a's interval is over, 2 requests in flight, more queued: it keeps those two in the key,
    # but may run only its share (1) from now on.
    grant_a = settle(state, "a", want(5, in_flight=2), LIMITS, later)
    assert (grant_a.slots, grant_a.usable) == (2, 1)
    # Two contenders: half a term's starts (2), raised to MIN_STARTS (3), not 4.
    assert MIN_STARTS == 3 and abs(grant_a.end - grant_a.start - 0.75) < 1e-9
    # One of a's requests ends: a gives that slot back and b takes it.
    settle(state, "a", want(4, in_flight=1, interval=False), LIMITS, later + 0.1)
    assert state.leases["a"].slots == 1
    grant_b = settle(state, "b", want(3), LIMITS, later + 0.1)
    assert grant_b.slots == 1 and grant_b.start < grant_b.end
    assert "b" not in state.wishes


def test_when_waiting_processes_fill_the_slots_a_holder_yields_entirely() -> None:
    state = HostState()
    settle(state, "a", want(5), LIMITS, NOW)
    for pid in "bcd":
        settle(state, pid, want(3), LIMITS, NOW + 0.1)
    grant = settle(state, "a", want(5, in_flight=2), LIMITS, NOW + 1.0)
    assert (grant.slots, grant.usable) == (2, 0) and grant.start == grant.end
    assert state.wishes["a"].since == NOW + 1.0  # behind b, c and d


def test_the_oldest_wish_is_served_first() -> None:
    state = HostState()
    state.wishes = {
        "late": Wish(since=NOW - 1.0, expiry=NOW + 4.0),
        "early": Wish(since=NOW - 2.0, expiry=NOW + 4.0),
    }
    state.leases = {"holder": Lease(slots=1, start=NOW - 1.5, end=NOW - 0.5, expiry=NOW + 60.0)}
    # One slot free, and "early" waited longest: "late" gets nothing.
    assert settle(state, "late", want(1), LIMITS, NOW).slots == 0
    assert settle(state, "early", want(1), LIMITS, NOW).slots == 1


def test_a_dead_process_lease_and_wish_lapse() -> None:
    state = HostState()
    state.leases = {"dead": Lease(slots=2, start=NOW - 31.0, end=NOW - 30.0, expiry=NOW - 0.01)}
    state.wishes = {"gone": Wish(since=NOW - 10.0, expiry=NOW - 0.01)}
    grant = settle(state, "a", want(2), LIMITS, NOW)
    assert grant.slots == 2
    assert set(state.leases) == {"a"} and state.wishes == {}


def test_an_unused_interval_is_returned_when_nobody_came_after() -> None:
    state = HostState()
    settle(state, "a", want(1), LIMITS, NOW)  # interval [NOW, NOW + 1), 4 starts
    # a started one request (next allowed at NOW + 0.25) and went idle.
    settle(state, "a", Want(0, 0, NOW + 0.25, 0.0, interval=False), LIMITS, NOW + 0.1)
    assert state.next_start == NOW + 0.25
    assert "a" not in state.leases


def test_an_interval_after_anothers_is_not_returned() -> None:
    state = HostState()
    limits = Limits(concurrency=4, rate=4.0, term_s=1.0, lease_ttl_s=60.0)
    settle(state, "a", want(1), limits, NOW)
    settle(state, "b", want(1), limits, NOW)  # b's interval follows a's
    settle(state, "a", Want(0, 0, NOW + 0.25, 0.0, interval=False), limits, NOW + 0.1)
    assert state.next_start == NOW + GRACE_S + 1.0 + 0.75  # b's end stands (3 starts)


def test_back_off_delays_the_next_interval_and_a_far_one_is_not_held() -> None:
    state = HostState()
    backed_off(state, 10.0, NOW)  # Retry-After: 10
    grant = settle(state, "a", want(1), LIMITS, NOW)
    assert grant.slots == 0 and grant.start == grant.end
    assert grant.sure and abs(grant.wait_s - 9.0) < 1e-9  # until a term before it lapses
    grant = settle(state, "a", want(1), LIMITS, NOW + 9.5)
    assert grant.start == NOW + 10.0


def test_the_sum_of_all_processes_holds_whatever_the_order() -> None:
    """Four processes asking in random order with random demand, each starting requests as its
    lease allows (inside its interval, 1/rate apart): at no point do live leases hold more
    than the concurrency, and over all processes no two starts are closer than 1/rate."""
    rng = random.Random(14)
    state = HostState()
    in_flight = dict.fromkeys("abcd", 0)
    interval = dict.fromkeys("abcd", (0.0, 0.0))
    next_local = dict.fromkeys("abcd", 0.0)
    starts: list[float] = []
    now = NOW
    for _ in range(5000):
        now += rng.random() * 0.05
        pid = rng.choice("abcd")
        in_flight[pid] = rng.randint(0, in_flight[pid])  # requests end at random
        demand = in_flight[pid] + rng.randint(0, 3)
        ask = Want(demand, in_flight[pid], next_local[pid], 0.0, interval=rng.random() < 0.7)
        grant = settle(state, pid, ask, LIMITS, now)
        assert grant.slots >= in_flight[pid]
        if grant.start < grant.end:
            interval[pid] = (grant.start, grant.end)
        elif demand == 0 or ask.interval:
            interval[pid] = (0.0, 0.0)  # given up
        live = [lease for lease in state.leases.values() if lease.expiry > now]
        assert sum(lease.slots for lease in live) <= LIMITS.concurrency
        # Start what the lease allows: a free slot and a start left in the interval.
        start, end = interval[pid]
        while in_flight[pid] < min(grant.usable, demand):
            at = max(now, next_local[pid], start)
            if at > last_start(end, LIMITS.rate):
                break
            starts.append(at)
            next_local[pid] = at + 1.0 / LIMITS.rate
            in_flight[pid] += 1
    assert len(starts) > 300
    starts.sort()
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 1.0 / LIMITS.rate - 1e-5


def test_the_last_start_leaves_one_spacing_before_the_next_interval() -> None:
    assert abs(last_start(NOW + 1.0, 4.0) - (NOW + 0.75)) < 1e-5
