"""Flows, data sets and their lists."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.emulator.projects import INVOICE_XSD, demo_project, files


async def test_flow_definition_shows_input(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    invoice = (await client.get("api/v1/flows/invoice")).json()
    letter = (await client.get("api/v1/flows/letter")).json()
    account = (await client.get("api/v1/flows/account")).json()

    assert invoice["input"] == {
        "id": "invoice",
        "type": "user",
        "dataset": {"id": "invoice-data", "displayName": "Invoice data"},
        "displayName": "Invoice data",
    }
    assert invoice["primaryEntity"] == "Invoice"
    assert invoice["outputs"][0]["displayName"] == "archiveUrl"
    assert letter["input"] == {"id": "letter", "type": "none"}
    assert account["primaryEntity"] == "account"
    assert account["input"]["type"] == "plugin"
    assert invoice["displayName"] == "Invoice"
    assert "primaryTemplate" in invoice


async def test_unknown_flow_gets_404(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.get("api/v1/flows/ghost")

    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", ["account", "signing", "invoice", "form", "letter"], id="default-order"),
        pytest.param(
            "?sort=displayName,desc", ["letter", "form", "invoice", "signing", "account"], id="desc"
        ),
        pytest.param("?sort=id,asc&size=2", ["account", "form"], id="by-id"),
        pytest.param("?size=2&page=2", ["letter"], id="last-page"),
        pytest.param("?filter=displayName:inv", ["invoice"], id="filter"),
        pytest.param("?filter=displayName:o,id:g", ["signing"], id="two-filters"),
    ],
)
async def test_flow_list_pages(emulator_app: Any, query: str, expected: list[str]) -> None:
    _, client = emulator_app(demo_project(), files=files())

    page = (await client.get(f"api/v1/flows{query}")).json()

    assert [flow["id"] for flow in page["content"]] == expected
    assert page["totalElements"] == (len(expected) if "filter" in query else 5)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("?sort=colour,asc", id="unknown-sort"),
        pytest.param("?sort=id,up", id="bad-direction"),
        pytest.param("?page=-1", id="negative-page"),
        pytest.param("?size=0", id="zero-size"),
        pytest.param("?filter=colour:red", id="bad-filter"),
    ],
)
async def test_flow_list_rejects_bad_query(emulator_app: Any, query: str) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.get(f"api/v1/flows{query}")

    assert response.status_code == 400


async def test_dataset_carries_xsd_base64(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    dataset = (await client.get("api/v1/datasets/invoice-data")).json()
    content = dataset["content"]["schemaContent"]

    assert dataset["content"]["type"] == "schema"
    assert base64.b64decode(content["schemaContent"]).decode() == INVOICE_XSD
    assert content["wrapperElementName"] == "Invoices"
    assert content["primaryEntity"] == "Invoice"


async def test_plugin_datasets_are_listed(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    listed = (await client.get("api/v1/datasets/plugin")).json()
    one = await client.get("api/v1/datasets/crm-accounts")
    missing = await client.get("api/v1/datasets/ghost")

    assert [d["id"] for d in listed] == ["crm-accounts"]
    assert one.json()["content"]["entity"] == "account"
    assert missing.status_code == 404


async def test_unknown_path_gets_json_404(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    missing = await client.get("api/v1/nothing-here")
    wrong_method = await client.put("api/v1/flows/letter")

    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405
