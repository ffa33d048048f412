"""Credentials on a real nats-server with user/password: a wrong login is refused with one clear
line (and no secret in it); the right one connects, and the roles' logs never show the secret."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.bus.jetstream import JOBS_STREAM, Bus, BusError, _free_port, nats_server_binary
from services.config import NatsConfig

pytestmark = pytest.mark.integration

SECRET = "s3cret-pass"


@pytest.fixture
async def nats_with_login(tmp_path: Path):
    port = _free_port()
    proc = subprocess.Popen(
        [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(tmp_path),
            "--user",
            "gov",
            "--pass",
            SECRET,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    yield f"nats://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def run_role(url: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services", "run", "checker"],
        env={**os.environ, "GOVSWEEP_NATS_URL": url, "GOVSWEEP_METRICS_PORT": "-1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_wrong_password_is_refused_with_one_line(nats_with_login: str) -> None:
    done = await asyncio.to_thread(
        run_role, nats_with_login, {"GOVSWEEP_NATS_USER": "gov", "GOVSWEEP_NATS_PASSWORD": "nope"}
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"govsweep: cannot connect to NATS at {nats_with_login}: nats: 'Authorization Violation'"
    ]


async def test_password_in_the_url_is_not_printed(nats_with_login: str) -> None:
    url = nats_with_login.replace("nats://", "nats://gov:nope@")
    done = await asyncio.to_thread(run_role, url, {})
    assert done.returncode == 2
    assert "nope" not in done.stderr and "***@127.0.0.1" in done.stderr
    assert len(done.stderr.splitlines()) == 1


async def test_right_login_connects_and_declares(nats_with_login: str) -> None:
    with pytest.raises(BusError):
        await Bus.connect(nats_with_login)  # no login at all
    bus = await Bus.connect(nats_with_login, NatsConfig(user="gov", password=SECRET))
    try:
        assert bus.is_ready()
        assert (await bus.js.stream_info(JOBS_STREAM)).config.name == JOBS_STREAM
    finally:
        await bus.close()
