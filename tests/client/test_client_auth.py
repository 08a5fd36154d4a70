"""API keys, login tokens and their renewal, against the emulator in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from client_support import (
    API_KEY,
    LIMITED_KEY,
    LOGIN_AUTH,
    PASSWORD,
    assert_no_secret,
    in_process_client,
    write_test_project,
)

from flowspec.client import SmartFlowsClient
from flowspec.emulator.testing import ManualClock, RunningEmulator
from flowspec.errors import AuthenticationFailed
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Login

BuildEmulator = Callable[..., tuple[RunningEmulator, Any]]

EXPIRING_FIRST_TOKEN = {"token_expiry": {"lifetime": "1s", "first": 1}}


def _logins(emulator: RunningEmulator) -> int:
    count: int = emulator.stats()["requests"].get("login", 0)
    return count


async def test_api_key_authenticates(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    async with in_process_client(emulator) as client:
        flow = await client.get_flow("letter")

    assert flow["id"] == "letter"
    assert _logins(emulator) == 0


async def test_login_sends_bearer_token(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    async with in_process_client(emulator, LOGIN_AUTH) as client:
        await client.get_flow("letter")
        await client.get_flow("invoice")
        sent = client.request_count

    assert _logins(emulator) == 1
    assert sent == 3


async def test_expired_token_triggers_one_relogin(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    clock = ManualClock()
    emulator, _ = emulator_app(write_test_project(tmp_path, EXPIRING_FIRST_TOKEN), clock=clock)
    async with in_process_client(emulator, LOGIN_AUTH) as client:
        await client.get_flow("letter")
        clock.advance(5)
        flow = await client.get_flow("letter")
        sent = client.request_count

    assert flow["id"] == "letter"
    assert _logins(emulator) == 2
    assert sent == 5  # login, get, rejected get, login, get


async def test_concurrent_rejections_share_one_login(
    emulator_app: BuildEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    emulator, _ = emulator_app(write_test_project(tmp_path, EXPIRING_FIRST_TOKEN), clock=clock)
    async with in_process_client(emulator, LOGIN_AUTH) as client:
        await asyncio.gather(*(client.get_flow("letter") for _ in range(20)))
        logins_before_expiry = _logins(emulator)
        clock.advance(5)
        flows = await asyncio.gather(*(client.get_flow("letter") for _ in range(20)))

    relogin_lines = [record for record in caplog.records if "logging in again" in record.message]
    assert logins_before_expiry == 1
    assert _logins(emulator) == 2
    assert all(flow["id"] == "letter" for flow in flows)
    assert len(relogin_lines) == 1


async def test_token_rejected_twice_raises(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    every_token_expired = {"token_expiry": {"lifetime": 0}}
    emulator, _ = emulator_app(write_test_project(tmp_path, every_token_expired))
    async with in_process_client(emulator, LOGIN_AUTH) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.get_flow("letter")
        sent = client.request_count

    assert _logins(emulator) == 2
    assert sent == 4  # login, rejected get, login, rejected get
    assert "GET http://127.0.0.1/api/v1/flows/letter failed with 401" in str(caught.value)
    assert_no_secret(caught.value)


async def test_wrong_password_raises(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    auth = Auth(login=Login("ada", Secret(PASSWORD + "-wrong")))
    async with in_process_client(emulator, auth) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.get_flow("letter")

    message = str(caught.value)
    assert "POST http://127.0.0.1/api/v1/authenticate/login failed with 401" in message
    assert "user name and password" in message
    assert PASSWORD not in message
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("abc\ndefghijk-s3cr3t", id="newline"),
        pytest.param("k\u00e9y-s3cr3t-1234", id="non-ascii"),
    ],
)
async def test_api_key_unfit_for_header_raises(
    emulator_app: BuildEmulator, tmp_path: Path, key: str
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    async with in_process_client(emulator, Auth(api_key=Secret(key))) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.get_flow("letter")
        sent = client.request_count

    assert "X-API-Key header cannot carry" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    assert sent == 0


async def test_wrong_api_key_raises(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    auth = Auth(api_key=Secret(API_KEY + "-revoked"))
    async with in_process_client(emulator, auth) as client:
        with pytest.raises(AuthenticationFailed) as caught:
            await client.get_flow("letter")
        sent = client.request_count

    message = str(caught.value)
    assert "GET http://127.0.0.1/api/v1/flows/letter failed with 401" in message
    assert "API key" in message
    assert API_KEY not in message
    assert sent == 1
    assert_no_secret(caught.value)


async def test_forbidden_flow_raises(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    auth = Auth(api_key=Secret(LIMITED_KEY))
    async with in_process_client(emulator, auth) as client:
        allowed = await client.get_flow("letter")
        with pytest.raises(AuthenticationFailed, match="403") as caught:
            await client.get_flow("invoice")

    assert allowed["id"] == "letter"
    assert "permissions" in str(caught.value)
    assert_no_secret(caught.value)


async def test_no_credentials_raises(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    async with in_process_client(emulator, None) as client:
        with pytest.raises(AuthenticationFailed, match="401"):
            await client.get_flow("letter")


def test_client_repr_hides_credentials() -> None:
    client = SmartFlowsClient("https://host.example/", LOGIN_AUTH)

    assert repr(client) == "SmartFlowsClient('https://host.example/')"
    assert PASSWORD not in repr(client._session.auth)


async def test_rejected_login_not_repeated(emulator_app: BuildEmulator, tmp_path: Path) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path))
    auth = Auth(login=Login("ada", Secret(PASSWORD + "-wrong")))
    async with in_process_client(emulator, auth) as client:
        results = await asyncio.gather(
            *(client.get_flow("letter") for _ in range(10)), return_exceptions=True
        )
        with pytest.raises(AuthenticationFailed):
            await client.get_flow("letter")

    assert _logins(emulator) == 1
    assert all(isinstance(result, AuthenticationFailed) for result in results)
    for result in results:
        assert isinstance(result, BaseException)
        assert_no_secret(result)
