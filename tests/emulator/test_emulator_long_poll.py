"""The progress long poll over real HTTP, with the real clock and short flows."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.emulator.projects import demo_project, files


def client_for(emulator: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=emulator.url, headers=emulator.headers(), timeout=5)


async def wait_for_status(client: httpx.AsyncClient, execution_id: str, status: str) -> None:
    for _ in range(50):
        response = await client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=1")
        if response.json()["status"] == status:
            return
    raise AssertionError(f"execution never reached {status}")


async def test_poll_returns_when_progress_changes(emulator_server: Any) -> None:
    emulator = emulator_server(demo_project(), files=files())
    async with client_for(emulator) as client:
        started = (await client.post("api/v1/flows/executions?flowId=letter")).json()

        began = time.monotonic()
        polled = await client.get(f"api/v1/flows/executions/{started['id']}/progress?timeout=5")
        elapsed = time.monotonic() - began

    assert polled.json()["percentage"] > 0 or polled.json()["status"] == "Success"
    assert elapsed < 1


async def test_poll_holds_while_paused(emulator_server: Any) -> None:
    emulator = emulator_server(demo_project(), files=files())
    async with client_for(emulator) as client:
        execution_id = (await client.post("api/v1/flows/executions?flowId=form")).json()["id"]
        await wait_for_status(client, execution_id, "UserInput")

        began = time.monotonic()
        polled = await client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=0.3")
        elapsed = time.monotonic() - began

    assert polled.json()["status"] == "UserInput"
    assert elapsed >= 0.25


async def test_answer_wakes_pending_poll(emulator_server: Any) -> None:
    emulator = emulator_server(demo_project(), files=files())
    async with client_for(emulator) as client:
        execution_id = (await client.post("api/v1/flows/executions?flowId=form")).json()["id"]
        await wait_for_status(client, execution_id, "UserInput")
        url = f"api/v1/flows/executions/{execution_id}/progress"

        began = time.monotonic()
        poll = asyncio.create_task(client.get(f"{url}?timeout=10"))
        await asyncio.sleep(0.1)
        await client.post(url, json={"ea75_1cd7": "Initech"})
        woken = await poll
        elapsed = time.monotonic() - began

    assert woken.json()["status"] in {"Running", "Success"}
    assert elapsed < 2


async def test_invalid_timeout_gets_400(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    execution_id = (await client.post("api/v1/flows/executions?flowId=letter")).json()["id"]

    for value in ("soon", "-1", "9999"):
        url = f"api/v1/flows/executions/{execution_id}/progress?timeout={value}"
        assert (await client.get(url)).status_code == 400


async def test_cancel_wakes_queued_poll(emulator_server: Any) -> None:
    project = demo_project(capacity=1)
    project["flows"][0]["duration"] = "1h"
    emulator = emulator_server(project, files=files())
    async with client_for(emulator) as client:
        running = (await client.post("api/v1/flows/executions?flowId=letter")).json()["id"]
        queued = (await client.post("api/v1/flows/executions?flowId=letter")).json()["id"]
        await client.get(f"api/v1/flows/executions/{queued}/progress?timeout=0")

        began = time.monotonic()
        poll = asyncio.create_task(
            client.get(f"api/v1/flows/executions/{queued}/progress?timeout=10")
        )
        await asyncio.sleep(0.1)
        await client.delete(f"api/v1/flows/executions/{running}")
        woken = await poll
        elapsed = time.monotonic() - began

    assert woken.json()["status"] == "Running"
    assert elapsed < 2
