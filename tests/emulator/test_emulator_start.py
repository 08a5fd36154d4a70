"""Starting executions: the four modes, and 400 when a request does not fit the flow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.emulator.projects import INVOICE_XML, PLUGIN_BODY, XML_HEADERS, demo_project, files

PLUGIN_QUERY = "flowId=account&datasetId=crm-accounts"
JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        pytest.param("executions?flowId=letter", b"", {}, id="none"),
        pytest.param("executions?flowId=letter", b"ignored", {}, id="none-ignores-body"),
        pytest.param("executions?flowId=invoice", INVOICE_XML, XML_HEADERS, id="xml"),
        pytest.param(
            f"executions?{PLUGIN_QUERY}",
            json.dumps(PLUGIN_BODY).encode(),
            JSON_HEADERS,
            id="plugin",
        ),
        pytest.param("executions/start?flowId=form", b"", {}, id="start"),
        pytest.param("executions/start?flowId=invoice", INVOICE_XML, XML_HEADERS, id="start-xml"),
    ],
)
async def test_start_modes_are_accepted(
    emulator_app: Any, path: str, body: bytes, headers: dict[str, str]
) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.post(f"api/v1/flows/{path}", content=body, headers=headers)

    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "Running"
    assert answer["percentage"] == 0
    assert len(answer["id"]) == 36


@pytest.mark.parametrize(
    ("path", "body", "headers", "expected"),
    [
        pytest.param("executions", b"", {}, "missing flowId", id="no-flow-id"),
        pytest.param(
            "executions?flowId=invoice", b"", XML_HEADERS, "input type 'user'", id="xml-missing"
        ),
        pytest.param(
            "executions?flowId=invoice",
            INVOICE_XML,
            JSON_HEADERS,
            "invalid Content-Type",
            id="xml-wrong-content-type",
        ),
        pytest.param(
            "executions?flowId=invoice",
            b"<Invoice><Number>1</Number></Invoice>",
            XML_HEADERS,
            "does not satisfy data set invoice-data",
            id="xml-invalid",
        ),
        pytest.param(
            "executions?flowId=invoice", b"<Invoice>", XML_HEADERS, "invoice-data", id="xml-broken"
        ),
        pytest.param(
            "executions?flowId=invoice&datasetId=crm-accounts",
            INVOICE_XML,
            XML_HEADERS,
            "fits only flows with input type 'plugin'",
            id="plugin-on-user-flow",
        ),
        pytest.param(
            "executions?flowId=letter&datasetId=crm-accounts",
            json.dumps(PLUGIN_BODY).encode(),
            JSON_HEADERS,
            "fits only flows with input type 'plugin'",
            id="plugin-on-none-flow",
        ),
        pytest.param(
            "executions?flowId=account",
            json.dumps(PLUGIN_BODY).encode(),
            JSON_HEADERS,
            "send the datasetId",
            id="plugin-without-dataset",
        ),
        pytest.param(
            "executions?flowId=account&datasetId=ghost",
            json.dumps(PLUGIN_BODY).encode(),
            JSON_HEADERS,
            "not a plug-in data set",
            id="plugin-unknown-dataset",
        ),
    ],
)
async def test_mismatched_start_gets_400(
    emulator_app: Any, path: str, body: bytes, headers: dict[str, str], expected: str
) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.post(f"api/v1/flows/{path}", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert expected in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("not json", "not valid JSON", id="not-json"),
        pytest.param([], "invalid plug-in body", id="not-object"),
        pytest.param({**PLUGIN_BODY, "id": "A-1"}, "'id' must be a non-empty list", id="id-string"),
        pytest.param({**PLUGIN_BODY, "id": []}, "'id' must be a non-empty list", id="id-empty"),
        pytest.param({"id": ["A-1"], "entity": "account"}, "missing 'userId'", id="no-user"),
        pytest.param({**PLUGIN_BODY, "records": 1}, "unknown keys records", id="unknown-key"),
        pytest.param({**PLUGIN_BODY, "entity": "contact"}, "does not match", id="wrong-entity"),
        pytest.param(
            {**PLUGIN_BODY, "organizationUniqueName": 5}, "organizationUniqueName", id="bad-org"
        ),
    ],
)
async def test_malformed_plugin_body_gets_400(emulator_app: Any, body: Any, expected: str) -> None:
    _, client = emulator_app(demo_project(), files=files())
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()

    response = await client.post(
        f"api/v1/flows/executions?{PLUGIN_QUERY}", content=raw, headers=JSON_HEADERS
    )

    assert response.status_code == 400
    assert expected in response.json()["message"]


async def test_unknown_flow_start_gets_404(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.post("api/v1/flows/executions?flowId=ghost")

    assert response.status_code == 404


async def test_repeated_start_creates_two_executions(emulator_app: Any) -> None:
    emulator, client = emulator_app(demo_project(), files=files())
    path = "api/v1/flows/executions?flowId=invoice"

    first = await client.post(path, content=INVOICE_XML, headers=XML_HEADERS)
    second = await client.post(path, content=INVOICE_XML, headers=XML_HEADERS)
    stats = (await client.get("__emulator/stats")).json()

    assert first.json()["id"] != second.json()["id"]
    assert stats["starts"] == 2
    assert stats["duplicate_starts"][0]["flowId"] == "invoice"
    assert stats["duplicate_starts"][0]["count"] == 2
    assert emulator.stats()["requests"]["start"] == 2


async def test_distinct_starts_are_not_duplicates(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    await client.post("api/v1/flows/executions?flowId=letter")
    await client.post("api/v1/flows/executions/start?flowId=letter")
    stats = (await client.get("__emulator/stats")).json()

    assert stats["starts"] == 2
    assert stats["duplicate_starts"] == []


async def test_xml_with_entities_gets_400(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Invoice [<!ENTITY x "ACME">]>\n'
        b"<Invoice><Number>1</Number><Customer>&x;</Customer><Amount>1</Amount></Invoice>"
    )

    response = await client.post(
        "api/v1/flows/executions?flowId=invoice", content=body, headers=XML_HEADERS
    )

    assert response.status_code == 400
    assert "entit" in response.json()["message"]
