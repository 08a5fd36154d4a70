"""TLS against a loopback HTTPS server whose certificate comes from a test CA (trustme)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trustme
import uvicorn
from client_support import KEY_AUTH, SleepRecorder, assert_no_secret
from starlette.types import Receive, Scope, Send

from flowspec.client import SmartFlowsClient
from flowspec.emulator.server import bind_socket
from flowspec.errors import ServerUnreachable

FLOW = b'{"id": "letter", "input": {"type": "none"}}'


async def _flow_app(scope: Scope, receive: Receive, send: Send) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": FLOW})


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Serve ``_flow_app`` over HTTPS on 127.0.0.1; yield the CA's PEM file and the base URL."""
    authority = trustme.CA()
    server_pem = tmp_path / "server.pem"
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(server_pem)
    ca_pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(ca_pem)

    with _https_server(server_pem) as url:
        yield ca_pem, url


@contextlib.contextmanager
def _https_server(certificate: Path) -> Iterator[str]:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        _flow_app, ssl_certfile=str(certificate), log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        yield f"https://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


async def test_ca_bundle_trusts_private_ca(https_server: tuple[Path, str]) -> None:
    ca_pem, url = https_server
    async with SmartFlowsClient(url, KEY_AUTH, ca_bundle=ca_pem) as client:
        flow = await client.get_flow("letter")

    assert flow["id"] == "letter"


async def test_unknown_ca_rejected_without_retry(https_server: tuple[Path, str]) -> None:
    _, url = https_server
    sleep = SleepRecorder()
    async with SmartFlowsClient(url, KEY_AUTH, sleep=sleep) as client:
        with pytest.raises(ServerUnreachable) as caught:
            await client.get_flow("letter")
        sent = client.request_count

    message = str(caught.value)
    assert "TLS certificate could not be verified" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert "server.ca_bundle" in message
    assert sent == 1
    assert sleep.delays == []
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("identity", "not_after", "hint"),
    [
        pytest.param(
            "localhost",
            None,
            "The certificate is not issued for 127.0.0.1: put a host name that the certificate"
            " names in server.base_url.",
            id="name-mismatch",
        ),
        pytest.param(
            "127.0.0.1",
            datetime(2020, 1, 1, tzinfo=timezone.utc),
            "The certificate has expired: the server's administrator must renew it.",
            id="expired",
        ),
    ],
)
async def test_certificate_problem_gets_its_hint(
    tmp_path: Path, identity: str, not_after: datetime | None, hint: str
) -> None:
    authority = trustme.CA()
    server_pem = tmp_path / "server.pem"
    certificate = authority.issue_cert(
        identity, not_before=datetime(2019, 1, 1, tzinfo=timezone.utc), not_after=not_after
    )
    certificate.private_key_and_cert_chain_pem.write_to_path(server_pem)
    ca_pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(ca_pem)

    with _https_server(server_pem) as url:
        async with SmartFlowsClient(url, KEY_AUTH, ca_bundle=ca_pem) as client:
            with pytest.raises(ServerUnreachable) as caught:
                await client.get_flow("letter")

    message = str(caught.value)
    assert message.endswith(hint)
    assert "server.ca_bundle" not in message
