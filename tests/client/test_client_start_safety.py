"""Starting an execution is not idempotent: a start is retried only when it created nothing.

Every test reads the emulator's own count of accepted starts, so a retry that
created a second execution would show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    KEY_AUTH,
    VALID_INVOICE,
    SleepRecorder,
    assert_no_secret,
    closed_port,
    in_process_client,
    served_client,
    write_test_project,
)

from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.emulator.testing import RunningEmulator
from flowspec.errors import ServerUnreachable, StartUnconfirmed

BuildEmulator = Callable[..., tuple[RunningEmulator, Any]]
ServeEmulator = Callable[..., RunningEmulator]


def _start_faults(kind: str, first: int = 1, **options: Any) -> dict[str, Any]:
    if kind == "hang_start":  # applies to starts only, so it takes no endpoint list
        return {kind: {"first": first, **options}}
    return {kind: {"endpoints": ["start"], "first": first, **options}}


def _assert_no_duplicate(emulator: RunningEmulator, starts: int) -> None:
    stats = emulator.stats()
    assert stats["starts"] == starts
    assert stats["duplicate_starts"] == []


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(_start_faults("server_error", 2, status=503), id="503"),
        pytest.param(_start_faults("rate_limit", 2, retry_after=2), id="429"),
    ],
)
async def test_start_retried_when_nothing_created(
    emulator_app: BuildEmulator, tmp_path: Path, faults: dict[str, Any]
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path, faults))
    sleep = SleepRecorder()
    async with in_process_client(emulator, sleep=sleep) as client:
        started = await client.start_execution("invoice", "xml", xml=VALID_INVOICE)

    assert started.attempts == 3
    assert len(sleep.delays) == 2
    _assert_no_duplicate(emulator, starts=1)


async def test_start_bad_gateway_unconfirmed(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    faults = _start_faults("server_error", status=502)
    emulator, _ = emulator_app(write_test_project(tmp_path, faults))
    sleep = SleepRecorder()
    async with in_process_client(emulator, sleep=sleep) as client:
        with pytest.raises(StartUnconfirmed) as caught:
            await client.start_execution("letter", "none")
        sent = client.request_count

    assert "502 Bad Gateway" in str(caught.value)
    assert "flowId=letter" in str(caught.value)
    assert sent == 1
    assert sleep.delays == []
    assert_no_secret(caught.value)


@pytest.mark.slow
async def test_start_never_answered_unconfirmed(
    emulator_server: ServeEmulator, tmp_path: Path
) -> None:
    emulator = emulator_server(write_test_project(tmp_path, _start_faults("hang_start", hang=3)))
    async with served_client(emulator, read_timeout=0.3) as client:
        with pytest.raises(StartUnconfirmed) as caught:
            await client.start_execution("letter", "none")
        sent = client.request_count

    assert "ReadTimeout" in str(caught.value)
    assert "not retried" in str(caught.value)
    assert sent == 1
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    _assert_no_duplicate(emulator, starts=1)
    assert_no_secret(caught.value)


async def test_start_cut_after_creating_unconfirmed(
    emulator_server: ServeEmulator, tmp_path: Path
) -> None:
    emulator = emulator_server(write_test_project(tmp_path, _start_faults("hang_start", hang=0)))
    async with served_client(emulator) as client:
        with pytest.raises(StartUnconfirmed, match="RemoteProtocolError"):
            await client.start_execution("invoice", "xml", xml=VALID_INVOICE)
        sent = client.request_count

    assert sent == 1
    _assert_no_duplicate(emulator, starts=1)


async def test_start_dropped_connection_not_retried(
    emulator_server: ServeEmulator, tmp_path: Path
) -> None:
    emulator = emulator_server(write_test_project(tmp_path, _start_faults("drop_connection")))
    sleep = SleepRecorder()
    async with served_client(emulator, sleep=sleep) as client:
        with pytest.raises(StartUnconfirmed):
            await client.start_execution("letter", "start")
        flow = await client.get_flow("letter")

    assert flow["id"] == "letter"
    assert sleep.delays == []
    assert emulator.stats()["requests"]["start"] == 1
    _assert_no_duplicate(emulator, starts=0)


async def test_start_refused_connection_retried() -> None:
    """Connection refused before sending is safe to retry; the emulator is not involved."""
    sleep = SleepRecorder()
    base_url = f"http://127.0.0.1:{closed_port()}/"
    client = SmartFlowsClient(base_url, KEY_AUTH, sleep=sleep, retry=RetryPolicy(max_attempts=3))
    async with client:
        with pytest.raises(ServerUnreachable, match="ConnectError"):
            await client.start_execution("letter", "none")

    assert len(sleep.delays) == 2


async def test_start_gateway_timeout_unconfirmed() -> None:
    """The emulator's proxy faults return 502 or 503 only, so 504 needs a mock transport."""
    starts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        starts.append(request)
        return httpx.Response(504, text="<html><h1>504 Gateway Time-out</h1></html>")

    sleep = SleepRecorder()
    transport = httpx.MockTransport(handler)
    client = SmartFlowsClient("http://127.0.0.1/", KEY_AUTH, transport=transport, sleep=sleep)
    async with client:
        with pytest.raises(StartUnconfirmed, match="504"):
            await client.start_execution("letter", "none")

    assert len(starts) == 1
    assert sleep.delays == []


async def test_repeated_starts_create_separate_executions(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    async with in_process_client(emulator) as client:
        first = await client.start_execution("letter", "none")
        second = await client.start_execution("letter", "none")

    assert first.progress["id"] != second.progress["id"]
    assert emulator.stats()["starts"] == 2
