"""httpx stays inside the client: every call raises flowspec's errors, never httpx's."""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from client_support import (
    KEY_AUTH,
    SleepRecorder,
    assert_no_secret,
    closed_port,
    served_client,
    write_test_project,
)

import flowspec
from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.emulator.testing import RunningEmulator
from flowspec.errors import FlowspecError, ServerError, ServerUnreachable, StartUnconfirmed

ServeEmulator = Callable[..., RunningEmulator]
Call = Callable[[SmartFlowsClient, Path], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "get_flow": lambda client, _: client.get_flow("letter"),
    "get_dataset": lambda client, _: client.get_dataset("invoice-data"),
    "start_execution": lambda client, _: client.start_execution("letter", "none"),
    "get_progress": lambda client, _: client.get_progress("e-1", timeout=0),
    "answer_user_input": lambda client, _: client.answer_user_input("e-1", {"a1_b2": "x"}),
    "cancel_execution": lambda client, _: client.cancel_execution("e-1"),
    "get_execution": lambda client, _: client.get_execution("e-1"),
    "get_document": lambda client, _: client.get_document("d-1"),
    "download_document": lambda client, folder: client.download_document("d-1", folder / "d"),
}


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in CALLS])
async def test_refused_connection_translated(name: str, tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/"
    policy = RetryPolicy(max_attempts=2)
    async with SmartFlowsClient(base_url, KEY_AUTH, retry=policy, sleep=SleepRecorder()) as client:
        with pytest.raises(ServerUnreachable) as caught:
            await CALLS[name](client, tmp_path)

    assert base_url in str(caught.value)
    assert_no_secret(caught.value)


EXPECTED_AFTER_DROP: dict[str, type[FlowspecError]] = {
    "start_execution": StartUnconfirmed,
    "answer_user_input": ServerError,
}


@pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in CALLS])
async def test_dropped_connection_translated(
    name: str, emulator_server: ServeEmulator, tmp_path: Path
) -> None:
    faults = {"drop_connection": {"probability": 1.0}}
    emulator = emulator_server(write_test_project(tmp_path / "project", faults))
    expected = EXPECTED_AFTER_DROP.get(name, ServerUnreachable)
    async with served_client(emulator, retry=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(FlowspecError) as caught:
            await CALLS[name](client, tmp_path)

    assert type(caught.value) is expected
    # A socket closed before the response shows as RemoteProtocolError, or as
    # ReadError when the close races the request body on a loaded machine.
    assert "RemoteProtocolError" in str(caught.value) or "ReadError" in str(caught.value)
    assert_no_secret(caught.value)


def test_httpx_imported_only_by_client_and_emulator() -> None:
    package = Path(flowspec.__file__).parent
    importers = set()
    for source in package.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "httpx" or name.startswith("httpx.") for name in names):
                importers.add(source.relative_to(package).parts[0])

    assert importers <= {"client", "emulator"}
