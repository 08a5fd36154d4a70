"""Document metadata and content: real bytes of the declared type, built from the input."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.emulator import documents
from flowspec.emulator.testing import ManualClock
from tests.emulator.helpers import find_documents, progress
from tests.emulator.projects import (
    INVOICE_XML,
    OTHER_INVOICE_XML,
    PLUGIN_BODY,
    XML_HEADERS,
    demo_project,
    files,
)


async def finished_documents(emulator_app: Any, body: bytes = INVOICE_XML) -> tuple[Any, list[Any]]:
    clock = ManualClock()
    _, client = emulator_app(demo_project(), files=files(), clock=clock)
    started = await client.post(
        "api/v1/flows/executions?flowId=invoice", content=body, headers=XML_HEADERS
    )
    clock.advance(1)
    final = await progress(client, started.json()["id"])
    return client, find_documents(final["model"])


async def test_metadata_describes_document(emulator_app: Any) -> None:
    client, found = await finished_documents(emulator_app)

    metadata = (await client.get(f"api/v1/documents/{found[0]['id']}")).json()

    assert metadata["displayName"] == "Invoice"
    assert metadata["contentType"] == "application/pdf"
    assert metadata["createdAt"] < metadata["expiration"]


async def test_both_content_paths_serve_bytes(emulator_app: Any) -> None:
    client, found = await finished_documents(emulator_app)
    document_id = found[0]["id"]

    current = await client.get(f"api/v1/documents/{document_id}/content")
    older = await client.get(f"api/v1/documents/content/{document_id}")

    assert current.content == older.content
    assert current.headers["content-type"] == "application/pdf"
    assert current.headers["content-length"] == str(len(current.content))
    assert 'filename="Invoice.pdf"' in current.headers["content-disposition"]


async def test_unknown_document_gets_404(emulator_app: Any) -> None:
    _, client = emulator_app(demo_project(), files=files())

    assert (await client.get("api/v1/documents/ghost")).status_code == 404
    assert (await client.get("api/v1/documents/ghost/content")).status_code == 404


async def test_document_of_other_flow_gets_403(emulator_app: Any) -> None:
    client, found = await finished_documents(emulator_app)

    response = await client.get(
        f"api/v1/documents/{found[0]['id']}/content", headers={"X-API-Key": "bob-key-00001"}
    )

    assert response.status_code == 403


async def test_content_shows_input_values(emulator_app: Any) -> None:
    client, found = await finished_documents(emulator_app)
    by_name = {d["displayName"]: d["id"] for d in found}

    text = (await client.get(f"api/v1/documents/{by_name['Note']}/content")).text
    summary = (await client.get(f"api/v1/documents/{by_name['Summary']}/content")).json()
    data = (await client.get(f"api/v1/documents/{by_name['Data']}/content")).content

    assert "Number: INV-1" in text
    assert {"label": "Customer", "value": "ACME"} in summary["values"]
    assert ElementTree.fromstring(data).get("title") == "Invoice: Data"


async def test_different_input_gives_different_bytes(emulator_app: Any) -> None:
    client_one, first = await finished_documents(emulator_app)
    client_two, second = await finished_documents(emulator_app, OTHER_INVOICE_XML)

    one = await client_one.get(f"api/v1/documents/{first[0]['id']}/content")
    two = await client_two.get(f"api/v1/documents/{second[0]['id']}/content")

    assert one.content != two.content
    assert b"INV-2" in two.content


async def test_plugin_records_appear_in_docx(emulator_app: Any) -> None:
    clock = ManualClock()
    _, client = emulator_app(demo_project(), files=files(), clock=clock)
    started = await client.post(
        "api/v1/flows/executions?flowId=account&datasetId=crm-accounts", json=PLUGIN_BODY
    )
    clock.advance(1)
    found = find_documents((await progress(client, started.json()["id"]))["model"])

    content = (await client.get(f"api/v1/documents/{found[0]['id']}/content")).content
    archive = zipfile.ZipFile(io.BytesIO(content))

    assert archive.testzip() is None
    assert "word/document.xml" in archive.namelist()
    assert b"Record: A-2" in archive.read("word/document.xml")


def pdf_objects_at_xref_offsets(pdf: bytes) -> list[bytes]:
    """Return the bytes at each offset the cross-reference table lists."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))  # type: ignore[union-attr]
    table = pdf[start:].split(b"trailer")[0].split(b"\n")
    assert table[0] == b"xref"
    entries = [line for line in table[2:] if line.endswith(b" n ")]
    return [pdf[int(entry[:10]) :][:8] for entry in entries]


@given(
    st.text(max_size=30),
    st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=8),
)
def test_pdf_xref_offsets_point_at_objects(title: str, lines: list[tuple[str, str]]) -> None:
    pdf = documents.render(documents.PDF, title, lines)

    starts = pdf_objects_at_xref_offsets(pdf)

    assert pdf.startswith(b"%PDF-1.4")
    assert starts == [b"%d 0 obj\n" % number for number in range(1, 6)]


@pytest.mark.parametrize("content_type", sorted(documents.FILE_EXTENSIONS))
def test_render_is_deterministic(content_type: str) -> None:
    lines = [("Number", "INV-1"), ("Customer", "Ä & <b>")]

    first = documents.render(content_type, "Invoice", lines)

    assert first == documents.render(content_type, "Invoice", lines)
    assert first != documents.render(content_type, "Invoice", [("Number", "INV-2")])


def test_json_and_xml_escape_values() -> None:
    lines = [('a"b', "<x> & y")]

    parsed = json.loads(documents.render(documents.JSON, "T", lines))
    element = ElementTree.fromstring(documents.render(documents.XML, "T", lines))

    assert parsed["values"][0] == {"label": 'a"b', "value": "<x> & y"}
    assert element[0].get("label") == 'a"b'
    assert element[0].text == "<x> & y"
