"""Document downloads: streamed to disk, atomic, hashed, with the older content path as fallback."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    API_KEY,
    assert_no_secret,
    in_process_client,
    served_client,
    write_test_project,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from flowspec.client import ProgressPayload, SmartFlowsClient
from flowspec.emulator.server import serve_app_in_thread
from flowspec.emulator.testing import RunningEmulator
from flowspec.errors import FlowspecError, NotFound
from flowspec.spec.model import TERMINAL_STATUSES

BuildEmulator = Callable[..., tuple[RunningEmulator, Any]]
ServeEmulator = Callable[..., RunningEmulator]


async def _finished_document(client: SmartFlowsClient, flow: str, mode: Any = "none") -> str:
    started = await client.start_execution(flow, mode)
    progress: ProgressPayload = started.progress
    while progress["status"] not in TERMINAL_STATUSES:
        progress = await client.get_progress(started.progress["id"], timeout=1)
    documents = [
        value["document"]["id"]
        for value in progress.get("model", {}).values()
        if isinstance(value, dict) and isinstance(value.get("document"), dict)
    ]
    assert len(documents) == 1
    return documents[0]


async def test_download_over_http(emulator_server: ServeEmulator, tmp_path: Path) -> None:
    emulator = emulator_server(write_test_project(tmp_path / "project"))
    destination = tmp_path / "out" / "letter.pdf"
    destination.parent.mkdir()
    destination.write_bytes(b"from an earlier run")
    async with served_client(emulator) as client:
        document_id = await _finished_document(client, "letter")
        downloaded = await client.download_document(document_id, destination)
    async with httpx.AsyncClient(headers={"X-API-Key": API_KEY}) as raw:
        response = await raw.get(f"{emulator.url}api/v1/documents/{document_id}/content")

    content = destination.read_bytes()
    assert content == response.content
    assert content.startswith(b"%PDF")
    assert downloaded.path == destination
    assert downloaded.size == len(content)
    assert downloaded.sha256 == hashlib.sha256(content).hexdigest()
    assert downloaded.content_type == "application/pdf"
    assert [path.name for path in destination.parent.iterdir()] == ["letter.pdf"]


class OlderDocumentPaths:
    """Return 404 for ``/documents/{id}/content``, as servers with only the older path do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path.startswith("/api/v1/documents/") and path.endswith("/content"):
            body = b'{"status": 404, "error": "Not Found", "message": "no such endpoint"}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


async def test_download_falls_back_to_older_path(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path / "project"))
    app = OlderDocumentPaths(emulator.app)
    destination = tmp_path / "plan.txt"
    async with in_process_client(emulator, app=app) as client:
        document_id = await _finished_document(client, "onboarding", "start")
        downloaded = await client.download_document(document_id, destination)

    assert downloaded.size == destination.stat().st_size
    assert downloaded.content_type is not None
    assert downloaded.content_type.startswith("text/plain")
    assert emulator.stats()["requests"]["document_content"] == 1


async def test_download_unknown_document_raises(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path / "project"))
    destination = tmp_path / "kept.pdf"
    destination.write_bytes(b"kept")
    async with in_process_client(emulator) as client:
        with pytest.raises(NotFound) as caught:
            await client.download_document("no-such-document", destination)
        sent = client.request_count

    assert "/api/v1/documents/content/no-such-document" in str(caught.value)
    assert sent == 2
    assert destination.read_bytes() == b"kept"
    assert [path.name for path in tmp_path.iterdir() if path.name != "project"] == ["kept.pdf"]
    assert_no_secret(caught.value)


async def test_download_to_unwritable_place_raises(
    emulator_app: BuildEmulator, tmp_path: Path
) -> None:
    emulator, _ = emulator_app(write_test_project(tmp_path / "project"))
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    async with in_process_client(emulator) as client:
        document_id = await _finished_document(client, "letter")
        with pytest.raises(FlowspecError, match="cannot save document") as caught:
            await client.download_document(document_id, blocker / "letter.pdf")

    assert str(blocker / "letter.pdf") in str(caught.value)


CHUNK = 64 * 1024
CHUNKS = 128


class StreamingDocument:
    """Serve an 8 MiB document in chunks; before the last one, wait until the client wrote some.

    A client that held the body in memory would write nothing before the end,
    so ``written_before_end`` would stay 0.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written_before_end = 0
        self.content = bytes(range(256)) * (CHUNK * CHUNKS // 256)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"application/pdf"),
            (b"content-length", str(len(self.content)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index in range(CHUNKS - 1):
            chunk = self.content[index * CHUNK : (index + 1) * CHUNK]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        for _ in range(500):
            self.written_before_end = self._partial_size()
            if self.written_before_end >= len(self.content) // 2:
                break
            await asyncio.sleep(0.01)
        last = self.content[(CHUNKS - 1) * CHUNK :]
        await send({"type": "http.response.body", "body": last, "more_body": False})

    def _partial_size(self) -> int:
        return sum(path.stat().st_size for path in self.folder.glob(".big.pdf.*"))


async def test_download_streams_to_disk(tmp_path: Path) -> None:
    server = StreamingDocument(tmp_path)
    destination = tmp_path / "big.pdf"
    with serve_app_in_thread(server) as url:
        async with SmartFlowsClient(url, None) as client:
            downloaded = await client.download_document("big", destination)

    assert server.written_before_end >= len(server.content) // 2
    assert downloaded.size == len(server.content)
    assert downloaded.sha256 == hashlib.sha256(server.content).hexdigest()
    assert destination.read_bytes() == server.content
