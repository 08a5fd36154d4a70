"""Faults the emulator cannot produce, served by ``httpx.MockTransport``.

Each test's docstring names the fault it needs. Everything else runs against the emulator.
"""

from __future__ import annotations

import email.utils
import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from client_support import KEY_AUTH, PASSWORD, SleepRecorder, assert_no_secret

from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.errors import ApiError, ServerError, ServerUnreachable
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Login

BASE_URL = "http://127.0.0.1:9/"


def _client(
    transport: httpx.MockTransport,
    auth: Auth = KEY_AUTH,
    *,
    sleep: SleepRecorder | None = None,
    retry: RetryPolicy | None = None,
) -> SmartFlowsClient:
    return SmartFlowsClient(
        BASE_URL,
        auth,
        transport=transport,
        sleep=sleep or SleepRecorder(),
        retry=retry or RetryPolicy(),
    )


async def test_retry_after_http_date_honoured() -> None:
    """The emulator sends ``Retry-After`` only in seconds; this needs an HTTP-date."""
    answers = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 429:
            when = email.utils.formatdate(time.time() + 20, usegmt=True)
            return httpx.Response(429, headers={"Retry-After": when})
        return httpx.Response(200, json={"id": "f", "input": {"type": "none"}})

    sleep = SleepRecorder()
    async with _client(httpx.MockTransport(handler), sleep=sleep) as client:
        flow = await client.get_flow("f")

    assert flow["id"] == "f"
    assert len(sleep.delays) == 1
    assert 18.0 <= sleep.delays[0] <= 20.0


async def test_success_without_json_raises_api_error() -> None:
    """A proxy returning 200 with an HTML page cannot be set up in the emulator."""

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/html"}
        return httpx.Response(200, text="<html>Sign in</html>", headers=headers)

    async with _client(httpx.MockTransport(handler)) as client:
        with pytest.raises(ApiError, match="not JSON") as caught:
            await client.get_flow("f")

    assert "Smart Flows server" in str(caught.value)
    assert_no_secret(caught.value)


async def test_login_without_token_raises_api_error() -> None:
    """The emulator always issues a token; this needs a login response without one."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"user": {}, "tokens": []})

    auth = Auth(login=Login("ada", Secret(PASSWORD)))
    async with _client(httpx.MockTransport(handler), auth) as client:
        with pytest.raises(ApiError, match="no token") as caught:
            await client.get_flow("f")

    assert_no_secret(caught.value)


async def test_login_picks_token_of_scope() -> None:
    """The emulator issues one token; this needs several scopes to choose from."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            tokens = [{"scope": "designer", "token": "t-1"}, {"scope": "api", "token": "t-2"}]
            return httpx.Response(200, json={"tokens": tokens})
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={"id": "f", "input": {"type": "none"}})

    auth = Auth(login=Login("ada", Secret(PASSWORD), scope="api"))
    async with _client(httpx.MockTransport(handler), auth) as client:
        await client.get_flow("f")

    assert seen == ["Bearer t-2"]


class _BrokenStream(httpx.AsyncByteStream):
    """A body that sends ``good`` bytes and then loses the connection."""

    def __init__(self, good: bytes) -> None:
        self._good = good

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._good
        raise httpx.ReadError("connection reset by peer")


async def test_download_restarts_after_drop_midway(tmp_path: Path) -> None:
    """The emulator drops connections before a response, not in the middle of a body."""
    content = b"%PDF-1.7\n" + bytes(range(256)) * 1000
    streams = iter([_BrokenStream(content[:5000]), httpx.ByteStream(content)])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=next(streams), headers={"content-type": "application/pdf"}
        )

    destination = tmp_path / "out" / "doc.pdf"
    sleep = SleepRecorder()
    async with _client(httpx.MockTransport(handler), sleep=sleep) as client:
        downloaded = await client.download_document("d-1", destination)

    assert destination.read_bytes() == content
    assert downloaded.size == len(content)
    assert downloaded.sha256 == hashlib.sha256(content).hexdigest()
    assert len(sleep.delays) == 1
    assert sorted(path.name for path in destination.parent.iterdir()) == ["doc.pdf"]


async def test_download_drop_every_time_leaves_no_file(tmp_path: Path) -> None:
    """As above: a body cut off on every try needs a stream that fails midway."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_BrokenStream(b"partial"))

    destination = tmp_path / "doc.pdf"
    policy = RetryPolicy(max_attempts=3)
    async with _client(httpx.MockTransport(handler), sleep=SleepRecorder(), retry=policy) as client:
        with pytest.raises(ServerUnreachable, match="all 3 tries") as caught:
            await client.download_document("d-1", destination)

    assert list(tmp_path.iterdir()) == []
    assert "ReadError" in str(caught.value)
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("status", "content_type", "template"),
    [
        pytest.param(400, "application/json", '{"message": "key %s is not valid"}', id="json"),
        pytest.param(503, "text/html", "<h1>Bad key %s</h1>", id="html-retried"),
        pytest.param(500, "text/plain", "rejected X-API-Key: %s", id="text"),
    ],
)
async def test_echoed_api_key_redacted(status: int, content_type: str, template: str) -> None:
    """A server that echoes the request's key in its error body; the emulator never does."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = template % request.headers["X-API-Key"]
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    async with _client(httpx.MockTransport(handler), retry=RetryPolicy(max_attempts=2)) as client:
        with pytest.raises(ServerError) as caught:
            await client.get_flow("f")

    assert "********" in str(caught.value)
    assert_no_secret(caught.value)


async def test_echoed_password_and_token_redacted() -> None:
    """A server that echoes the login password, then the bearer token, in error bodies."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"tokens": [{"scope": "s", "token": "tok-abc-123"}]})
        token = request.headers["Authorization"].removeprefix("Bearer ")
        return httpx.Response(400, json={"message": f"token {token}, password {PASSWORD}"})

    auth = Auth(login=Login(username="u", password=Secret(PASSWORD)))
    async with _client(httpx.MockTransport(handler), auth) as client:
        with pytest.raises(ApiError) as caught:
            await client.get_flow("f")

    message = str(caught.value)
    assert "tok-abc-123" not in message
    assert PASSWORD not in message
    assert message.endswith("token ********, password ********")
