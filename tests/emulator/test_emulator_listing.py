"""Execution details, named outputs, execution lists and the filter endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from flowspec.emulator.testing import ManualClock
from tests.emulator.helpers import progress, start
from tests.emulator.projects import INVOICE_XML, demo_project, files


def build(emulator_app: Any) -> tuple[Any, ManualClock]:
    clock = ManualClock()
    _, client = emulator_app(demo_project(), files=files(), clock=clock)
    return client, clock


async def test_details_show_state(emulator_app: Any) -> None:
    client, clock = build(emulator_app)
    execution_id = await start(client, "invoice")
    clock.advance(1)
    await progress(client, execution_id)

    details = (await client.get(f"api/v1/flows/executions/{execution_id}")).json()

    assert details["id"] == execution_id
    assert details["status"] == "Success"
    assert details["createdBy"] == "alice"
    assert details["createdAt"].endswith("Z")
    assert details["flow"] == {"id": "invoice", "displayName": "Invoice"}
    assert details["state"]["inputData"] == INVOICE_XML.decode()
    assert details["state"]["waitingFor"] is None
    assert [s["name"] for s in details["state"]["stages"]] == ["Started", "Success"]
    assert details["state"]["output"] is not None
    assert set(details["state"]) == {
        "inputData",
        "output",
        "stages",
        "iterations",
        "report",
        "waitingFor",
    }


async def test_status_returns_named_output(emulator_app: Any) -> None:
    client, clock = build(emulator_app)
    execution_id = await start(client, "invoice")
    base = f"api/v1/flows/executions/{execution_id}/status"

    running = (await client.get(f"{base}?output=archiveUrl")).json()
    clock.advance(1)
    done = (await client.get(f"{base}?output=archiveUrl")).json()
    unknown = await client.get(f"{base}?output=colour")

    assert running == {"id": execution_id, "status": "Running", "output": {"archiveUrl": None}}
    assert done["output"] == {"archiveUrl": "https://archive.example/inv"}
    assert unknown.status_code == 404


async def test_execution_lists_page(emulator_app: Any) -> None:
    client, _ = build(emulator_app)
    letters = [await start(client, "letter") for _ in range(3)]
    invoice = await start(client, "invoice")

    everything = (await client.get("api/v1/flows/executions?size=10")).json()
    per_flow = (await client.get("api/v1/flows/letter/executions?size=2&page=1")).json()

    assert [e["id"] for e in everything["content"]] == [invoice, *reversed(letters)]
    assert everything["totalElements"] == 4
    assert per_flow["totalElements"] == 3
    assert per_flow["totalPages"] == 2
    assert [e["id"] for e in per_flow["content"]] == [letters[0]]


async def test_execution_list_hides_other_flows(emulator_app: Any) -> None:
    client, _ = build(emulator_app)
    await start(client, "invoice")
    await start(client, "letter")

    page = await client.get("api/v1/flows/executions", headers={"X-API-Key": "bob-key-00001"})

    assert [e["flow"]["id"] for e in page.json()["content"]] == ["letter"]


def condition(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"condition": {"key": key, "operator": operator, "values": list(values)}}


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        pytest.param(
            {"type": "and", "nodes": [condition("displayName", "equals", "Invoice")]},
            {"invoice"},
            id="equals",
        ),
        pytest.param(
            {"type": "and", "nodes": [condition("displayName", "contains", "LETTER")]},
            {"letter"},
            id="contains-any-case",
        ),
        pytest.param(
            {
                "type": "or",
                "nodes": [
                    condition("flowId", "equals", "form"),
                    condition("status", "equals", "Success"),
                ],
            },
            {"form", "letter"},
            id="or",
        ),
        pytest.param(
            {
                "type": "and",
                "nodes": [
                    condition("status", "equals", "Success", "Running"),
                    {"group": {"type": "or", "nodes": [condition("flowId", "contains", "inv")]}},
                ],
            },
            {"invoice"},
            id="nested",
        ),
        pytest.param({"type": "and", "nodes": []}, {"invoice", "letter", "form"}, id="empty-and"),
        pytest.param(
            {
                "type": "and",
                "nodes": [
                    {"id": "n1", **condition("status", "in", "Success", "Error")},
                    {"id": "n2", **condition("createdAt", "greaterThan", "2019-01-01")},
                ],
            },
            {"letter"},
            id="in-with-node-ids",
        ),
        pytest.param(
            {"type": "and", "nodes": [condition("createdAt", "lessThanOrEqualTo", "2019-01-01")]},
            set(),
            id="created-before",
        ),
        pytest.param(
            {"type": "and", "nodes": [condition("createdAt", "greaterThan", "2019-01-01")]},
            {"invoice", "letter", "form"},
            id="created-after",
        ),
    ],
)
async def test_filter_tree_selects(
    emulator_app: Any, tree: dict[str, Any], expected: set[str]
) -> None:
    client, clock = build(emulator_app)
    await start(client, "letter")
    clock.advance(1)
    await start(client, "invoice")
    await start(client, "form")

    response = await client.post("api/v1/flows/executions/filter", json={"group": tree})

    assert response.status_code == 200
    assert {e["flow"]["id"] for e in response.json()["content"]} == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-group"),
        pytest.param({"group": {"type": "xor", "nodes": []}}, id="bad-type"),
        pytest.param({"group": {"type": "and", "nodes": [{"x": 1}]}}, id="bad-node"),
        pytest.param(
            {"group": {"type": "and", "nodes": [condition("colour", "equals", "x")]}}, id="bad-key"
        ),
        pytest.param(
            {"group": {"type": "and", "nodes": [condition("status", "like", "x")]}},
            id="bad-operator",
        ),
        pytest.param(
            {"group": {"type": "and", "nodes": [condition("createdAt", "lessThan", "zzz")]}},
            id="ordering-not-a-time",
        ),
        pytest.param(
            {"group": {"type": "and", "nodes": [condition("createdAt", "greaterThan", "2019-1")]}},
            id="ordering-short-month",
        ),
    ],
)
async def test_invalid_filter_gets_400(emulator_app: Any, body: dict[str, Any]) -> None:
    client, _ = build(emulator_app)

    response = await client.post("api/v1/flows/executions/filter", json=body)

    assert response.status_code == 400
    assert "invalid filter" in response.json()["message"]


async def test_created_at_filter_covers_whole_day(emulator_app: Any) -> None:
    client, _ = build(emulator_app)
    await start(client, "letter")
    listed = (await client.get("api/v1/flows/executions")).json()
    day = listed["content"][0]["createdAt"][:10]
    tree = {"type": "and", "nodes": [condition("createdAt", "lessThanOrEqualTo", day)]}

    response = await client.post("api/v1/flows/executions/filter", json={"group": tree})

    assert response.json()["totalElements"] == 1


async def test_list_filter_parameter_selects(emulator_app: Any) -> None:
    client, clock = build(emulator_app)
    await start(client, "letter")
    clock.advance(1)
    await start(client, "invoice")

    running = await client.get("api/v1/flows/executions?filter=status:Running")
    letters = await client.get("api/v1/flows/executions?filter=displayName:welcome,status:succ")
    invalid = await client.get("api/v1/flows/executions?filter=colour:red")

    assert [e["flow"]["id"] for e in running.json()["content"]] == ["invoice"]
    assert [e["flow"]["id"] for e in letters.json()["content"]] == ["letter"]
    assert invalid.status_code == 400


async def test_ordering_filter_names_bad_value(emulator_app: Any) -> None:
    client, _ = build(emulator_app)
    tree = {"type": "and", "nodes": [condition("createdAt", "lessThan", "2019-01-01", "soon")]}

    response = await client.post("api/v1/flows/executions/filter", json={"group": tree})

    assert response.status_code == 400
    assert response.json()["message"] == (
        "invalid filter at /group/nodes/0/condition/values/1: lessThan compares times, "
        "so 'soon' must be an ISO 8601 time such as 2019-01-01 or 2019-01-01T09:30:00Z"
    )
