"""Credentials, a test project and client factories shared by the client tests."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.emulator.testing import RunningEmulator, write_project
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Login

API_KEY = "fs-key-5d0c83be41a7"
PASSWORD = "fs-pw-9e1f2a7c"
LIMITED_KEY = "fs-key-limited-0b6e"
# A JSON Web Token starts with "eyJ", the base64url form of '{"'. The emulator
# issues such tokens, so any of them in a message shows up.
SECRETS = (API_KEY, PASSWORD, LIMITED_KEY, "eyJ")

KEY_AUTH = Auth(api_key=Secret(API_KEY))
LOGIN_AUTH = Auth(login=Login("ada", Secret(PASSWORD)))

INVOICE_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Invoice">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Number" type="xs:string"/>
        <xs:element name="Total" type="xs:decimal"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""
VALID_INVOICE = b"<Invoice><Number>INV-1</Number><Total>12.50</Total></Invoice>"
INVALID_INVOICE = b"<Invoice><Number>INV-1</Number><Total>lots</Total></Invoice>"


def write_test_project(folder: Path, faults: Mapping[str, Any] | None = None) -> Path:
    """Write the client tests' emulator project (users, flows of every input type) to ``folder``."""
    data: dict[str, Any] = {
        "name": "client-tests",
        "users": [
            {"username": "ada", "password": PASSWORD, "api_keys": [API_KEY], "admin": True},
            {"username": "bob", "api_keys": [LIMITED_KEY], "flows": ["letter"]},
        ],
        "datasets": [{"id": "invoice-data", "schema": "invoice.xsd", "primary_entity": "Invoice"}],
        "plugin_datasets": [{"id": "crm-accounts", "entity": "account"}],
        "flows": [
            {"id": "letter", "duration": "50ms", "documents": [{"name": "Letter"}]},
            {"id": "invoice", "input": "user", "dataset": "invoice-data", "duration": "50ms"},
            {"id": "accounts", "input": "plugin", "dataset": "crm-accounts", "duration": "50ms"},
            {
                "id": "onboarding",
                "duration": "50ms",
                "user_input": {
                    "at": 10,
                    "fields": [{"key": "a1_b2", "title": "Customer name", "required": True}],
                },
                "documents": [{"name": "Plan", "content_type": "text/plain"}],
            },
            {"id": "slow", "duration": "60s"},
        ],
    }
    if faults:
        data["faults"] = dict(faults)
    return write_project(folder, data, files={"invoice.xsd": INVOICE_XSD})


class SleepRecorder:
    """An injected ``sleep`` that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def in_process_client(
    emulator: RunningEmulator,
    auth: Auth | None = KEY_AUTH,
    *,
    sleep: SleepRecorder | None = None,
    retry: RetryPolicy | None = None,
    base_url: str = "http://127.0.0.1/",
    app: Any = None,
) -> SmartFlowsClient:
    """Return a client that reaches the emulator app (or ``app`` wrapping it) in-process."""
    transport = httpx.ASGITransport(app=app or emulator.app)
    return SmartFlowsClient(
        base_url,
        auth,
        transport=transport,
        sleep=sleep or SleepRecorder(),
        retry=retry or RetryPolicy(),
        random=lambda: 1.0,
    )


def served_client(
    emulator: RunningEmulator,
    auth: Auth | None = KEY_AUTH,
    *,
    sleep: SleepRecorder | None = None,
    retry: RetryPolicy | None = None,
    read_timeout: float = 10.0,
) -> SmartFlowsClient:
    """Return a client that reaches a served emulator over real HTTP on loopback."""
    return SmartFlowsClient(
        emulator.url,
        auth,
        sleep=sleep or SleepRecorder(),
        retry=retry or RetryPolicy(),
        random=lambda: 1.0,
        read_timeout=read_timeout,
    )


def assert_no_secret(error: BaseException) -> None:
    """Fail when the error, or any error chained to it, shows a credential."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for text in (str(current), repr(current), *map(str, current.args)):
            for secret in SECRETS:
                assert secret not in text, f"{type(current).__name__} shows a credential"
        current = current.__cause__ or current.__context__


def closed_port() -> int:
    """Return a loopback port that nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
