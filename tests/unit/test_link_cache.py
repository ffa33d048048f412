"""The link cache's batch format: what a crawler process writes for the other processes."""

from __future__ import annotations

import msgspec

from crawler.model import LinkStatus
from services.bus.schema import LinkBatch

AT = "2024-03-20T08:00:00+00:00"


def test_a_batch_gives_back_every_status_exactly() -> None:
    plain = [
        LinkStatus(f"http://a.gov.cn/{n}.html", "ok", status=200, checked_at=AT) for n in range(3)
    ]
    other = [
        LinkStatus(
            "http://a.gov.cn/moved",
            "ok",
            status=200,
            final_url="http://b.gov.cn/",
            flag="other_host",
            checked_at=AT,
        ),
        LinkStatus(
            "http://a.gov.cn/gone", "broken", status=404, error="http_404", checks=2, checked_at=AT
        ),
        LinkStatus(
            "http://a.gov.cn/later", "ok", status=200, checks=2, first="http_502", checked_at=AT
        ),
        LinkStatus("http://a.gov.cn/r", "ok", status=301, checked_at=AT),
    ]
    batch = LinkBatch.of([*plain, *other], {"http://a.gov.cn/slow": 1.5}, ["http://a.gov.cn/x"])
    wire = msgspec.json.encode(batch)
    back = msgspec.json.decode(wire, type=LinkBatch)
    assert sorted(back.final(), key=lambda s: s.url) == sorted(
        [*plain, *other], key=lambda s: s.url
    )
    assert (back.held, back.released) == ({"http://a.gov.cn/slow": 1.5}, ["http://a.gov.cn/x"])
    # The plain 200s travel as URLs under their second; the others in full.
    assert back.ok == {AT: [s.url for s in plain]} and back.statuses == other


def test_plain_statuses_take_a_fraction_of_the_bytes() -> None:
    plain = [
        LinkStatus(f"http://www.a.gov.cn/col/art_{n}.html", "ok", status=200, checked_at=AT)
        for n in range(100)
    ]
    compact = len(msgspec.json.encode(LinkBatch.of(plain, {}, [])))
    full = len(msgspec.json.encode(LinkBatch(statuses=plain)))
    assert compact < full / 2
    print(f"\n100 plain statuses: {compact} bytes batched, {full} in full")
