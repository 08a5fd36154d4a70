"""The execution state machine, driven by a manual clock."""

from __future__ import annotations

from typing import Any

import pytest

from flowspec.emulator.testing import ManualClock
from tests.emulator.helpers import find_documents, progress, start
from tests.emulator.projects import demo_project, files


def build(emulator_app: Any, **overrides: Any) -> tuple[Any, Any, ManualClock]:
    clock = ManualClock()
    emulator, client = emulator_app(demo_project(**overrides), files=files(), clock=clock)
    return emulator, client, clock


async def test_progress_rises_through_steps(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "invoice")

    seen = []
    for _ in range(12):
        seen.append(await progress(client, execution_id))
        clock.advance(0.01)

    percentages = [p["percentage"] for p in seen]
    assert percentages == sorted(percentages)
    assert percentages[0] == 0
    assert seen[-1]["status"] == "Success"
    assert seen[-1]["percentage"] == 100
    messages = [p["message"] for p in seen if p["status"] == "Running"]
    assert messages[0] == "Read data"
    assert "Generate document" in messages
    assert messages[-1] == "Convert to PDF"
    assert seen[0]["currentData"] == {"id": "invoice", "displayName": "Invoice"}


async def test_documents_nest_at_varying_depth(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "invoice")
    clock.advance(1)

    final = await progress(client, execution_id)
    documents = find_documents(final["model"])
    top_level = [value for value in final["model"].values() if isinstance(value, dict)]

    assert [d["displayName"] for d in documents] == ["Invoice", "Summary", "Data", "Note"]
    assert {"document"} < {key for value in top_level for key in value} | {"document"}
    assert "output" in {key for value in top_level for key in value}
    assert "files" in {key for value in top_level for key in value}


@pytest.mark.parametrize(
    ("outcome", "documents"),
    [
        pytest.param("Success", 1, id="success"),
        pytest.param("Warning", 1, id="warning"),
        pytest.param("Error", 0, id="error"),
        pytest.param("Interrupted", 0, id="interrupted"),
    ],
)
async def test_outcome_ends_execution(emulator_app: Any, outcome: str, documents: int) -> None:
    project = demo_project()
    project["flows"][0]["outcome"] = outcome
    clock = ManualClock()
    _, client = emulator_app(project, files=files(), clock=clock)
    execution_id = await start(client, "letter")
    clock.advance(0.2)

    final = await progress(client, execution_id)

    assert final["status"] == outcome
    assert len(find_documents(final["model"])) == documents


async def test_max_run_time_interrupts(emulator_app: Any) -> None:
    project = demo_project()
    project["flows"][4]["max_run_time"] = "300ms"
    clock = ManualClock()
    _, client = emulator_app(project, files=files(), clock=clock)
    execution_id = await start(client, "signing")

    clock.advance(0.1)
    waiting = await progress(client, execution_id)
    clock.advance(0.25)
    interrupted = await progress(client, execution_id)

    assert waiting["status"] == "Waiting"
    assert interrupted["status"] == "Interrupted"


async def test_user_input_shows_form(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "form")
    clock.advance(0.05)

    paused = await progress(client, execution_id)
    clock.advance(5)
    still = await progress(client, execution_id)

    assert paused["status"] == "UserInput"
    assert still["status"] == "UserInput"
    assert set(paused["schema"]["properties"]) == {"ea75_1cd7", "f00d_0001", "f00d_0002"}
    assert paused["schema"]["required"] == ["ea75_1cd7"]
    items = paused["form"][0]["items"]
    assert items[0] == {
        "key": "ea75_1cd7",
        "title": "Customer name",
        "type": "string",
        "description": "",
    }
    assert paused["model"] == {"ea75_1cd7": "ACME", "f00d_0001": "2027-01-01", "f00d_0002": 3}


async def test_answer_resumes_to_success(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "form")
    clock.advance(0.05)
    await progress(client, execution_id)

    answer = await client.post(
        f"api/v1/flows/executions/{execution_id}/progress",
        json={"ea75_1cd7": "Globex", "f00d_0002": 7},
    )
    clock.advance(0.2)
    final = await progress(client, execution_id)
    document = find_documents(final["model"])[0]
    content = await client.get(f"api/v1/documents/{document['id']}/content")

    assert answer.status_code == 200
    assert answer.json()["status"] == "Running"
    assert final["status"] == "Success"
    assert final["model"]["ea75_1cd7"] == "Globex"
    assert final["model"]["f00d_0001"] is None
    assert b"ea75_1cd7: Globex" in content.content


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param({"ea75_1cd7": 5}, "is not of type", id="wrong-type"),
        pytest.param(
            {"ea75_1cd7": "x", "colour": "red"}, "Additional properties", id="unknown-key"
        ),
        pytest.param({"f00d_0002": 1}, "'ea75_1cd7' is a required property", id="missing-required"),
        pytest.param({"ea75_1cd7": "x", "f00d_0001": "soon"}, "is not a 'date'", id="bad-date"),
        pytest.param(["x"], "is not of type 'object'", id="not-object"),
    ],
)
async def test_invalid_form_values_get_400(emulator_app: Any, answers: Any, expected: str) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "form")
    clock.advance(0.05)
    await progress(client, execution_id)

    response = await client.post(f"api/v1/flows/executions/{execution_id}/progress", json=answers)

    assert response.status_code == 400
    assert expected in response.json()["message"]


async def test_answer_when_not_asked_gets_400(emulator_app: Any) -> None:
    _, client, _ = build(emulator_app)
    execution_id = await start(client, "letter")

    response = await client.post(f"api/v1/flows/executions/{execution_id}/progress", json={})

    assert response.status_code == 400


async def test_start_mode_skips_user_input(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "form", mode="start")

    statuses = []
    for _ in range(12):
        statuses.append((await progress(client, execution_id))["status"])
        clock.advance(0.01)
    final = await progress(client, execution_id)

    assert "UserInput" not in statuses
    assert final["status"] == "Success"
    assert final["model"]["ea75_1cd7"] == "ACME"


async def test_callback_resumes_waiting(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "signing")
    clock.advance(0.06)
    waiting = await progress(client, execution_id)
    details = (await client.get(f"api/v1/flows/executions/{execution_id}")).json()
    callback_id = details["state"]["waitingFor"]["callbackId"]

    del client.headers["X-API-Key"]
    resumed = await client.post(f"api/v1/flows/callback/{callback_id}")
    again = await client.post(f"api/v1/flows/callback/{callback_id}")
    unknown = await client.post("api/v1/flows/callback/ghost")

    assert waiting["status"] == "Waiting"
    assert waiting["message"] == "Waiting for signatures"
    assert resumed.json()["status"] == "Running"
    assert again.status_code == 400
    assert unknown.status_code == 404


async def test_waiting_resumes_where_it_paused(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "signing")
    clock.advance(0.06)
    details = (await client.get(f"api/v1/flows/executions/{execution_id}")).json()
    clock.advance(10)
    await client.post(f"api/v1/flows/callback/{details['state']['waitingFor']['callbackId']}")

    clock.advance(0.04)
    running = await progress(client, execution_id)
    clock.advance(0.02)
    done = await progress(client, execution_id)

    assert running["status"] == "Running"
    assert running["percentage"] == 90
    assert done["status"] == "Success"


async def test_cancel_running_execution(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "letter")

    response = await client.delete(f"api/v1/flows/executions/{execution_id}")
    clock.advance(1)
    final = await progress(client, execution_id)

    assert response.json()["status"] == "Canceled"
    assert final["status"] == "Canceled"
    assert find_documents(final["model"]) == []


async def test_cancel_ended_execution_keeps_status(emulator_app: Any) -> None:
    _, client, clock = build(emulator_app)
    execution_id = await start(client, "letter")
    clock.advance(1)

    response = await client.delete(f"api/v1/flows/executions/{execution_id}")

    assert response.json()["status"] == "Success"


async def test_unknown_execution_gets_404(emulator_app: Any) -> None:
    _, client, _ = build(emulator_app)

    for path in ("", "/progress", "/status"):
        response = await client.get(f"api/v1/flows/executions/0000{path}")
        assert response.status_code == 404
    assert (await client.delete("api/v1/flows/executions/0000")).status_code == 404
