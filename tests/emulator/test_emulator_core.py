"""The first path through the emulator: authenticate, start, poll, read documents."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator.projects import INVOICE_XML, XML_HEADERS, demo_project, files


def find_documents(node: Any) -> list[dict[str, Any]]:
    """Return every object with ``type: document`` in ``node``, at any depth."""
    if isinstance(node, dict):
        found = [node] if node.get("type") == "document" else []
        return found + [d for value in node.values() for d in find_documents(value)]
    if isinstance(node, list):
        return [d for item in node for d in find_documents(item)]
    return []


def poll_until_done(client: httpx.Client, execution_id: str) -> dict[str, Any]:
    for _ in range(100):
        response = client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=2")
        progress: dict[str, Any] = response.json()
        if progress["status"] not in {"Queued", "Running"}:
            return progress
    raise AssertionError("the execution did not end")


def test_xml_start_over_http_ends_with_documents(emulator_server: Any) -> None:
    emulator = emulator_server(demo_project(), files=files())
    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        started = client.post(
            "api/v1/flows/executions?flowId=invoice", content=INVOICE_XML, headers=XML_HEADERS
        )
        assert started.status_code == 200
        assert started.json()["status"] == "Running"

        final = poll_until_done(client, started.json()["id"])
        documents = find_documents(final["model"])
        content = client.get(f"api/v1/documents/{documents[0]['id']}/content")

    assert final["status"] == "Success"
    assert len(documents) == 4
    assert content.headers["content-type"] == "application/pdf"
    assert content.content.startswith(b"%PDF-1.4")
    assert int(content.headers["content-length"]) == len(content.content)
