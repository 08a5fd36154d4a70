"""Retries with backoff: which failures are retried, how long the client waits, when it stops."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    KEY_AUTH,
    SleepRecorder,
    assert_no_secret,
    closed_port,
    in_process_client,
    served_client,
    write_test_project,
)

from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.emulator.testing import RunningEmulator
from flowspec.errors import ServerUnreachable

BuildEmulator = Callable[..., tuple[RunningEmulator, Any]]
ServeEmulator = Callable[..., RunningEmulator]


def _flow_faults(kind: str, first: int, **options: Any) -> dict[str, Any]:
    return {kind: {"endpoints": ["flows"], "first": first, **options}}


@pytest.mark.parametrize(
    ("faults", "expected_delays"),
    [
        pytest.param(_flow_faults("rate_limit", 2, retry_after=3), [3.0, 3.0], id="429"),
        pytest.param(_flow_faults("server_error", 2, status=502), [0.5, 1.0], id="502-html"),
        pytest.param(
            _flow_faults("server_error", 4, status=503), [0.5, 1.0, 2.0, 4.0], id="503-html"
        ),
    ],
)
async def test_retryable_status_retried(
    emulator_app: BuildEmulator,
    tmp_path: Path,
    faults: dict[str, Any],
    expected_delays: list[float],
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, faults))
    sleep = SleepRecorder()
    async with in_process_client(emulator, sleep=sleep) as client:
        flow = await client.get_flow("letter")
        sent = client.request_count

    assert flow["id"] == "letter"
    assert sleep.delays == expected_delays
    assert sent == len(expected_delays) + 1


async def test_backoff_capped_at_max_delay(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, _flow_faults("server_error", 6)))
    sleep = SleepRecorder()
    policy = RetryPolicy(max_attempts=7, base_delay=0.5, max_delay=1.5)
    async with in_process_client(emulator, sleep=sleep, retry=policy) as client:
        await client.get_flow("letter")

    assert sleep.delays == [0.5, 1.0, 1.5, 1.5, 1.5, 1.5]


async def test_jitter_stays_under_ceiling(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, _flow_faults("server_error", 9)))
    sleep = SleepRecorder()
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=4.0)
    client = SmartFlowsClient(
        "http://127.0.0.1/",
        KEY_AUTH,
        transport=httpx.ASGITransport(app=emulator.app),
        retry=policy,
        sleep=sleep,
        random=random.Random(7).random,
    )
    async with client:
        await client.get_flow("letter")

    ceilings = [min(4.0, 0.5 * 2**n) for n in range(9)]
    assert len(sleep.delays) == 9
    for delay, ceiling in zip(sleep.delays, ceilings, strict=True):
        assert 0.0 <= delay <= ceiling
    assert len(set(sleep.delays)) == 9


async def test_retries_exhausted_raise_unreachable(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, _flow_faults("server_error", 99)))
    sleep = SleepRecorder()
    policy = RetryPolicy(max_attempts=3)
    async with in_process_client(emulator, sleep=sleep, retry=policy) as client:
        with pytest.raises(ServerUnreachable) as caught:
            await client.get_flow("letter")
        sent = client.request_count

    message = str(caught.value)
    assert "GET http://127.0.0.1/api/v1/flows/letter failed on all 3 tries" in message
    assert "last error: 503 Service Unavailable (503 Service Temporarily Unavailable)." in message
    assert sent == 3
    assert len(sleep.delays) == 2
    assert_no_secret(caught.value)


async def test_retry_logged_as_warning(
    emulator_app: BuildEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, _flow_faults("rate_limit", 1)))
    async with in_process_client(emulator) as client:
        await client.get_flow("letter")

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "GET /api/v1/flows/letter failed (429 Too Many Requests)" in message
    assert "retrying in 1.00 s (attempt 2 of 5)" in message


async def test_dropped_connection_retried(emulator_server: ServeEmulator, tmp_path: Path) -> None:
    emulator = emulator_server(write_test_project(tmp_path, _flow_faults("drop_connection", 2)))
    sleep = SleepRecorder()
    async with served_client(emulator, sleep=sleep) as client:
        flow = await client.get_flow("letter")

    assert flow["id"] == "letter"
    assert sleep.delays == [0.5, 1.0]
    assert emulator.stats()["requests"]["get_flow"] == 3


async def test_poll_dropped_connection_retried(
    emulator_server: ServeEmulator, tmp_path: Path
) -> None:
    faults = {"drop_connection": {"endpoints": ["progress"], "first": 1}}
    emulator = emulator_server(write_test_project(tmp_path, faults))
    sleep = SleepRecorder()
    async with served_client(emulator, sleep=sleep) as client:
        started = await client.start_execution("letter", "none")
        progress = await client.get_progress(started.progress["id"], timeout=0)

    assert progress["id"] == started.progress["id"]
    assert len(sleep.delays) == 1


async def test_refused_connection_raises_unreachable() -> None:
    port = closed_port()
    sleep = SleepRecorder()
    client = SmartFlowsClient(f"http://127.0.0.1:{port}/", KEY_AUTH, sleep=sleep)
    async with client:
        with pytest.raises(ServerUnreachable) as caught:
            await client.get_flow("letter")

    message = str(caught.value)
    assert f"GET http://127.0.0.1:{port}/api/v1/flows/letter failed on all 5 tries" in message
    assert "ConnectError" in message
    assert "server URL" in message
    assert len(sleep.delays) == 4
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert_no_secret(caught.value)


async def test_gateway_timeout_retried_for_reads() -> None:
    """The emulator's proxy faults return 502 or 503 only, so 504 needs a mock transport."""
    statuses = iter([504, 504, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 504:
            return httpx.Response(status, text="<html><h1>504 Gateway Time-out</h1></html>")
        return httpx.Response(200, json={"id": "letter", "input": {"type": "none"}})

    sleep = SleepRecorder()
    transport = httpx.MockTransport(handler)
    client = SmartFlowsClient("http://127.0.0.1/", KEY_AUTH, transport=transport, sleep=sleep)
    async with client:
        flow = await client.get_flow("letter")

    assert flow["id"] == "letter"
    assert len(sleep.delays) == 2
