"""Small request helpers for emulator tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator.projects import INVOICE_XML, XML_HEADERS


async def start(client: httpx.AsyncClient, flow: str, *, mode: str = "") -> str:
    """Start ``flow`` (XML input for ``invoice``) and return the execution id."""
    path = "executions/start" if mode == "start" else "executions"
    body, headers = (INVOICE_XML, XML_HEADERS) if flow == "invoice" else (b"", {})
    response = await client.post(
        f"api/v1/flows/{path}?flowId={flow}", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    execution_id: str = response.json()["id"]
    return execution_id


async def progress(client: httpx.AsyncClient, execution_id: str, timeout: float = 0) -> Any:
    """Return the progress of an execution, with a long poll of ``timeout`` seconds."""
    response = await client.get(
        f"api/v1/flows/executions/{execution_id}/progress?timeout={timeout}"
    )
    assert response.status_code == 200, response.text
    return response.json()


def find_documents(node: Any) -> list[dict[str, Any]]:
    """Return every object with ``type: document`` in ``node``, at any depth."""
    if isinstance(node, dict):
        found = [node] if node.get("type") == "document" else []
        return found + [d for value in node.values() for d in find_documents(value)]
    if isinstance(node, list):
        return [d for item in node for d in find_documents(item)]
    return []
