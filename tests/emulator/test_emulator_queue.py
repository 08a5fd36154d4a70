"""Capacity: executions beyond it wait as Queued and start first in, first out."""

from __future__ import annotations

import random
from typing import Any

import pytest

from flowspec.emulator.executions import StartInput
from flowspec.emulator.store import ExecutionStore
from flowspec.emulator.testing import ManualClock, project_from
from tests.emulator.helpers import progress, start
from tests.emulator.projects import demo_project, files


def queued_app(emulator_app: Any) -> tuple[Any, Any, ManualClock]:
    clock = ManualClock()
    emulator, client = emulator_app(demo_project(capacity=1), files=files(), clock=clock)
    return emulator, client, clock


async def test_start_beyond_capacity_is_queued(emulator_app: Any) -> None:
    _, client, _ = queued_app(emulator_app)

    first = await start(client, "letter")
    second = await start(client, "letter")

    assert (await progress(client, first))["status"] == "Running"
    queued = await progress(client, second)
    assert queued["status"] == "Queued"
    assert queued["percentage"] == 0


async def test_queue_starts_in_order_when_slots_free(emulator_app: Any) -> None:
    _, client, clock = queued_app(emulator_app)
    ids = [await start(client, "letter") for _ in range(3)]

    clock.advance(0.15)
    middle = [(await progress(client, i))["status"] for i in ids]
    clock.advance(0.1)
    after = [(await progress(client, i))["status"] for i in ids]

    assert middle == ["Success", "Running", "Queued"]
    assert after == ["Success", "Success", "Running"]


async def test_queued_start_time_is_slot_release(emulator_app: Any) -> None:
    _, client, clock = queued_app(emulator_app)
    first = await start(client, "letter")
    second = await start(client, "letter")

    clock.advance(10)
    details = [(await client.get(f"api/v1/flows/executions/{i}")).json() for i in (first, second)]

    first_end = details[0]["state"]["stages"][-1]
    second_start = details[1]["state"]["stages"][0]
    assert first_end["name"] == "Success"
    assert second_start == {"name": "Started", "at": first_end["at"]}
    assert details[1]["status"] == "Success"


async def test_cancel_queued_execution_frees_queue(emulator_app: Any) -> None:
    _, client, clock = queued_app(emulator_app)
    ids = [await start(client, "letter") for _ in range(3)]

    canceled = await client.delete(f"api/v1/flows/executions/{ids[1]}")
    clock.advance(0.15)

    assert canceled.json()["status"] == "Canceled"
    assert (await progress(client, ids[2]))["status"] == "Running"


async def test_cancel_running_starts_next(emulator_app: Any) -> None:
    _, client, _ = queued_app(emulator_app)
    first = await start(client, "letter")
    second = await start(client, "letter")

    await client.delete(f"api/v1/flows/executions/{first}")

    assert (await progress(client, second))["status"] == "Running"


async def test_vanished_holder_frees_slot(emulator_app: Any) -> None:
    project = demo_project(capacity=1, faults={"vanish": {"after_polls": 0, "first": 1}})
    _, client = emulator_app(project, files=files(), clock=ManualClock())
    first = await start(client, "letter")
    second = await start(client, "letter")

    gone = await client.get(f"api/v1/flows/executions/{first}/progress?timeout=0")
    listed = (await client.get("api/v1/flows/executions")).json()

    assert gone.status_code == 404
    assert (await progress(client, second))["status"] == "Running"
    assert [e["id"] for e in listed["content"]] == [second]


def test_thousand_executions_finish_in_order(tmp_path: Any) -> None:
    project = project_from(demo_project(capacity=10), tmp_path, files())
    clock = ManualClock()
    store = ExecutionStore(project, clock, random.Random(0))
    flow = project.flows["letter"]
    executions = [store.create(flow, StartInput("none"), "alice") for _ in range(1000)]

    clock.advance(5.05)
    halfway = [e.status for e in store.all()]
    clock.advance(5.0)
    ended = [e.status for e in store.all()]

    starts = [e.started_at for e in executions]
    assert halfway.count("Success") == 500
    assert halfway.count("Running") == 10
    assert ended == ["Success"] * 1000
    assert starts == sorted(starts)
    assert starts[999] == pytest.approx(starts[0] + 99 * 0.1)
