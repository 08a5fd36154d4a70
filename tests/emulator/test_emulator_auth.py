"""Authentication: API keys, login tokens, 401 and 403."""

from __future__ import annotations

from typing import Any

import pytest

from flowspec.emulator.testing import ManualClock
from tests.emulator.projects import demo_project, files


async def test_missing_credentials_get_401(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.get("api/v1/flows/letter", headers={"X-API-Key": ""})
    del client.headers["X-API-Key"]
    missing = await client.get("api/v1/flows/letter")

    assert response.status_code == 401
    assert missing.status_code == 401
    assert missing.json() == {
        "status": 401,
        "error": "Unauthorized",
        "message": "missing credentials: send an X-API-Key or Authorization: Bearer header",
    }


async def test_unknown_api_key_gets_401(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.get("api/v1/flows/letter", headers={"X-API-Key": "not-a-key-123"})

    assert response.status_code == 401
    assert "not-a-key-123" not in response.text


async def test_project_api_key_is_accepted(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.get("api/v1/flows/letter", headers={"X-API-Key": "bob-key-00001"})

    assert response.status_code == 200


async def test_flow_outside_rights_gets_403(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    bob = {"X-API-Key": "bob-key-00001"}

    flow = await client.get("api/v1/flows/invoice", headers=bob)
    start = await client.post("api/v1/flows/executions?flowId=invoice", headers=bob)
    listed = await client.get("api/v1/flows", headers=bob)

    assert flow.status_code == 403
    assert start.status_code == 403
    assert [f["id"] for f in listed.json()["content"]] == ["letter"]


async def test_login_methods_need_no_credentials(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    del client.headers["X-API-Key"]

    response = await client.get("api/v1/authenticate")

    assert response.status_code == 200
    assert response.json()["login"]["enabled"] is True


async def login(client: Any, password: str = "wonderland") -> Any:
    body = {"username": "alice", "password": password, "scope": "api"}
    return await client.post("api/v1/authenticate/login", json=body)


async def test_login_token_authenticates(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    del client.headers["X-API-Key"]

    answer = (await login(client)).json()
    token = answer["tokens"][0]["token"]
    response = await client.get(
        "api/v1/flows/invoice", headers={"Authorization": f"Bearer {token}"}
    )

    assert answer["user"]["username"] == "alice"
    assert answer["tokens"][0]["scope"] == "api"
    assert token.count(".") == 2
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"username": "alice", "password": "wrong"}, id="wrong-password"),
        pytest.param({"username": "nobody", "password": "wonderland"}, id="unknown-user"),
    ],
)
async def test_bad_login_gets_401(emulator_app: Any, body: dict[str, str]) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.post("api/v1/authenticate/login", json=body)

    assert response.status_code == 401


async def test_malformed_login_gets_400(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    response = await client.post("api/v1/authenticate/login", json=["alice"])

    assert response.status_code == 400


async def test_tampered_token_gets_401(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())
    token = (await login(client)).json()["tokens"][0]["token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}AA"
    del client.headers["X-API-Key"]

    response = await client.get(
        "api/v1/flows/letter", headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 401


async def test_token_expires_after_lifetime(emulator_app: Any) -> None:
    clock = ManualClock()
    _, client = emulator_app(demo_project(token_lifetime="10s"), files=files(), clock=clock)
    token = (await login(client)).json()["tokens"][0]["token"]
    del client.headers["X-API-Key"]
    bearer = {"Authorization": f"Bearer {token}"}

    fresh = await client.get("api/v1/flows/letter", headers=bearer)
    clock.advance(10.5)
    expired = await client.get("api/v1/flows/letter", headers=bearer)

    assert fresh.status_code == 200
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]
