"""Results retention per subject class on a real nats-server: probes carry a per-message TTL
(shorter than the stream's age limit, which verdicts keep), and the server accepts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.bus.jetstream import (
    RESULT_TTL_S,
    RESULTS_MAX_AGE_S,
    RESULTS_STREAM,
    Bus,
    EmbeddedServer,
)
from services.bus.schema import Site

pytestmark = pytest.mark.integration


async def test_probes_expire_sooner_than_verdicts(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    await server.start()
    try:
        bus = await Bus.connect(server.url)
        info = await bus.js.stream_info(RESULTS_STREAM)
        assert info.config.allow_msg_ttl and info.config.max_age == RESULTS_MAX_AGE_S
        site = Site("5206240001", "思南政府网", "http://127.0.0.1:9/", "520624")
        # The server refuses a Nats-TTL header on a stream without allow_msg_ttl: these land.
        await bus.publish("govsweep.results.probe.5206240001", site)
        await bus.publish("govsweep.results.verdict.s1.5206240001", site)
        probe = await bus.js.get_last_msg(RESULTS_STREAM, "govsweep.results.probe.5206240001")
        verdict = await bus.js.get_last_msg(
            RESULTS_STREAM, "govsweep.results.verdict.s1.5206240001"
        )
        assert (probe.headers or {}).get("Nats-TTL") == f"{RESULT_TTL_S['probe']}s"
        assert RESULT_TTL_S["probe"] < RESULTS_MAX_AGE_S
        assert "Nats-TTL" not in (verdict.headers or {})
        await bus.close()
    finally:
        await server.stop()
