"""Every endpoint the client calls, against the emulator in-process."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from client_support import (
    INVALID_INVOICE,
    VALID_INVOICE,
    in_process_client,
    write_test_project,
)
from starlette.types import ASGIApp, Receive, Scope, Send

import flowspec
from flowspec.client import USER_AGENT, ProgressPayload, SmartFlowsClient
from flowspec.diagnostics import Location
from flowspec.emulator.testing import RunningEmulator
from flowspec.errors import ApiError, NotFound
from flowspec.spec.model import TERMINAL_STATUSES, PluginInput

BuildEmulator = Callable[..., tuple[RunningEmulator, Any]]

PLUGIN = PluginInput(
    dataset="crm-accounts",
    entity="account",
    ids=("A-1", "A-2"),
    user="u-17",
    organization="org-1",
    location=Location("suite.yaml", 12, 7),
)


@pytest.fixture
def emulator(emulator_app: BuildEmulator, tmp_path: Path) -> RunningEmulator:
    emulator, _ = emulator_app(write_test_project(tmp_path / "project"))
    return emulator


class PathPrefix:
    """Serve an app under ``prefix``, as a reverse proxy in front of Smart Flows would.

    ``requests`` records each request's method, path, query string and headers.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix
        self.requests: list[tuple[str, str, str, dict[str, str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        headers = {name.decode(): value.decode() for name, value in scope["headers"]}
        self.requests.append((scope["method"], path, scope["query_string"].decode(), headers))
        if not path.startswith(self.prefix + "/"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such prefix"})
            return
        inner = dict(scope, path=path[len(self.prefix) :], raw_path=None)
        await self.app(inner, receive, send)


async def _run_to_end(client: SmartFlowsClient, execution_id: str) -> ProgressPayload:
    for _ in range(200):
        progress = await client.get_progress(execution_id, timeout=1)
        if progress["status"] in TERMINAL_STATUSES:
            return progress
    raise AssertionError(f"execution {execution_id} did not end")


XML_TYPE = 'application/xml; charset="utf-8"'
PLUGIN_QUERY = "&datasetId=crm-accounts"


@pytest.mark.parametrize(
    ("flow", "mode", "options", "path", "query", "content_type"),
    [
        pytest.param("letter", "none", {}, "", "", None, id="none"),
        pytest.param("invoice", "xml", {"xml": VALID_INVOICE}, "", "", XML_TYPE, id="xml"),
        pytest.param(
            "accounts",
            "plugin",
            {"plugin": PLUGIN},
            "",
            PLUGIN_QUERY,
            "application/json",
            id="plugin",
        ),
        pytest.param("letter", "start", {}, "/start", "", None, id="start-none"),
        pytest.param(
            "invoice", "start", {"xml": VALID_INVOICE}, "/start", "", XML_TYPE, id="start-xml"
        ),
        pytest.param(
            "accounts",
            "start",
            {"plugin": PLUGIN},
            "/start",
            PLUGIN_QUERY,
            "application/json",
            id="start-plugin",
        ),
    ],
)
async def test_start_every_mode_under_prefix(
    emulator: RunningEmulator,
    flow: str,
    mode: Any,
    options: dict[str, Any],
    path: str,
    query: str,
    content_type: str | None,
) -> None:
    app = PathPrefix(emulator.app, "/smartflows")
    base_url = "http://127.0.0.1/smartflows"
    async with in_process_client(emulator, app=app, base_url=base_url) as client:
        started = await client.start_execution(flow, mode, **options)
        final = await _run_to_end(client, started.progress["id"])

    method, sent_path, sent_query, headers = app.requests[0]
    assert method == "POST"
    assert sent_path == f"/smartflows/api/v1/flows/executions{path}"
    assert sent_query == f"flowId={flow}{query}"
    assert headers.get("content-type") == content_type
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"flowspec/{flowspec.__version__} ")
    assert started.progress["status"] == "Running"
    assert started.attempts == 1
    assert final["status"] == "Success"
    assert emulator.stats()["starts"] == 1


async def test_plugin_without_organization(emulator: RunningEmulator) -> None:
    plugin = replace(PLUGIN, organization=None, ids=("A-9",))
    async with in_process_client(emulator) as client:
        started = await client.start_execution("accounts", "plugin", plugin=plugin)

    assert started.progress["status"] == "Running"


async def test_invalid_xml_raises_api_error(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        with pytest.raises(ApiError) as caught:
            await client.start_execution("invoice", "xml", xml=INVALID_INVOICE)
        sent = client.request_count

    assert caught.value.status_code == 400
    assert "Total" in str(caught.value)
    assert sent == 1
    assert emulator.stats()["starts"] == 0


async def test_wrong_entity_raises_api_error(emulator: RunningEmulator) -> None:
    plugin = replace(PLUGIN, entity="contact")
    async with in_process_client(emulator) as client:
        with pytest.raises(ApiError) as caught:
            await client.start_execution("accounts", "plugin", plugin=plugin)

    assert caught.value.status_code == 400
    assert caught.value.method == "POST"


@pytest.mark.parametrize(
    ("mode", "message"),
    [pytest.param("xml", "XML input", id="xml"), pytest.param("plugin", "plug-in", id="plugin")],
)
async def test_mode_without_input_rejected(
    emulator: RunningEmulator, mode: Any, message: str
) -> None:
    async with in_process_client(emulator) as client:
        with pytest.raises(ValueError, match=message):
            await client.start_execution("invoice", mode)

        assert client.request_count == 0


async def test_unknown_flow_raises_not_found(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        with pytest.raises(NotFound) as caught:
            await client.get_flow("no-such-flow")
        sent = client.request_count

    assert caught.value.status_code == 404
    assert "flow no-such-flow not found" in str(caught.value)
    assert "/api/v1/flows/no-such-flow" in caught.value.url
    assert sent == 1


async def test_id_with_slash_stays_one_segment(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        with pytest.raises(NotFound) as caught:
            await client.get_flow("../datasets/invoice-data")

    assert "%2F" in caught.value.url


async def test_get_flow_and_dataset(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        flow = await client.get_flow("invoice")
        dataset = await client.get_dataset(flow["input"]["dataset"]["id"])

    assert flow["input"]["type"] == "user"
    content = dataset["content"]
    assert content["type"] == "schema"
    xsd = base64.b64decode(content["schemaContent"]["schemaContent"])
    assert b'name="Invoice"' in xsd


async def test_answer_user_input_resumes(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        started = await client.start_execution("onboarding", "none")
        execution_id = started.progress["id"]
        progress = started.progress
        while progress["status"] != "UserInput":
            progress = await client.get_progress(execution_id, timeout=1)
        keys = list(progress["schema"]["properties"])
        answered = await client.answer_user_input(execution_id, {"a1_b2": "ACME"})
        final = await _run_to_end(client, execution_id)

    assert keys == ["a1_b2"]
    assert answered["status"] in ("Running", "Success")
    assert final["status"] == "Success"


async def test_missing_answer_raises_api_error(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        started = await client.start_execution("onboarding", "none")
        execution_id = started.progress["id"]
        progress = started.progress
        while progress["status"] != "UserInput":
            progress = await client.get_progress(execution_id, timeout=1)
        with pytest.raises(ApiError) as caught:
            await client.answer_user_input(execution_id, {})

    assert caught.value.status_code == 400


async def test_cancel_execution(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        started = await client.start_execution("slow", "none")
        execution_id = started.progress["id"]
        await client.cancel_execution(execution_id)
        final = await client.get_progress(execution_id, timeout=1)
        details = await client.get_execution(execution_id)

    assert final["status"] == "Canceled"
    assert details["status"] == "Canceled"
    assert details["flow"]["id"] == "slow"


async def test_document_metadata(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        started = await client.start_execution("letter", "none")
        final = await _run_to_end(client, started.progress["id"])
        document_id = _document_ids(final)[0]
        metadata = await client.get_document(document_id)

    assert metadata["displayName"] == "Letter"
    assert metadata["contentType"] == "application/pdf"


async def test_calls_logged_at_info_polls_at_debug(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with in_process_client(emulator) as client:
        started = await client.start_execution("letter", "none")
        await client.get_progress(started.progress["id"], timeout=0)

    records = [record for record in caplog.records if record.name.startswith("flowspec.client")]
    start_line, poll_line = (record for record in records if "->" in record.getMessage())
    assert start_line.levelno == logging.INFO
    assert start_line.getMessage().startswith("POST /api/v1/flows/executions?flowId=letter -> 200")
    assert poll_line.levelno == logging.DEBUG
    assert "/progress?timeout=0 -> 200" in poll_line.getMessage()


async def test_request_count_counts_requests(emulator: RunningEmulator) -> None:
    async with in_process_client(emulator) as client:
        await client.get_flow("letter")
        await client.get_flow("invoice")

        assert client.request_count == 2


def _document_ids(progress: ProgressPayload) -> list[str]:
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "document":
                found.append(value["id"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(progress.get("model", {}))
    return found


async def test_vanished_execution_raises_not_found(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    faults = {"vanish": {"after_polls": 1}}
    emulator, _ = emulator_app(write_test_project(tmp_path / "vanish", faults))
    async with in_process_client(emulator) as client:
        started = await client.start_execution("slow", "none")
        execution_id = started.progress["id"]
        first = await client.get_progress(execution_id, timeout=0)
        with pytest.raises(NotFound) as caught:
            await client.get_progress(execution_id, timeout=0)

    assert first["status"] == "Running"
    assert execution_id in str(caught.value)
