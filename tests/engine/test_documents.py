from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.documents import (
    FoundDocument,
    PathClaims,
    UnsafePathError,
    extension_for,
    find_documents,
    render_save_path,
    sanitize_field,
)

FIELDS = {
    "run": "nightly/letter",
    "job": "nightly",
    "entry": "letter",
    "input": "",
    "document": "Letter",
    "document_id": "d-1",
    "execution": "e-1",
}


def test_find_documents_nested_and_deduplicated() -> None:
    model = {
        "block-1": {"document": {"id": "d-1", "displayName": "Letter", "type": "document"}},
        "block-2": [
            {"output": {"id": "d-2", "displayName": "Annex", "type": "document"}},
            {"copy": {"id": "d-1", "displayName": "Letter", "type": "document"}},
        ],
        "other": {"id": "x", "type": "text"},
    }

    assert find_documents(model) == [FoundDocument("d-1", "Letter"), FoundDocument("d-2", "Annex")]


def test_find_documents_without_display_name() -> None:
    assert find_documents([{"id": "d-9", "type": "document"}]) == [FoundDocument("d-9", "")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("a/b", "a_b", id="slash"),
        pytest.param("..", "_", id="parent"),
        pytest.param("../../etc/passwd", "_._etc_passwd", id="traversal"),
        pytest.param(".hidden", "hidden", id="leading-dot"),
        pytest.param("a\x00b\nc", "a_b_c", id="nul-and-control"),
        pytest.param("C:\\x", "C:_x", id="backslash"),
        pytest.param("", "_", id="empty"),
        pytest.param("x" * 300, "x" * 120, id="long"),
    ],
)
def test_sanitize_field(value: str, expected: str) -> None:
    assert sanitize_field(value) == expected


@given(st.text())
def test_sanitize_field_is_one_safe_segment(value: str) -> None:
    segment = sanitize_field(value)

    assert segment
    assert "/" not in segment
    assert "\x00" not in segment
    assert ".." not in segment
    assert not segment.startswith(".")


@given(document=st.text(), run=st.text())
def test_render_save_path_stays_inside(
    tmp_path_factory: pytest.TempPathFactory, document: str, run: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "out"
    path = render_save_path(root, "{run}/{document}", {**FIELDS, "run": run, "document": document})

    assert path.is_relative_to(root.resolve())
    assert path != root.resolve()


def test_render_save_path_default_template(tmp_path: Path) -> None:
    path = render_save_path(tmp_path, "{run}/{document}", FIELDS)

    assert path == tmp_path.resolve() / "nightly_letter" / "Letter"


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("../{document}", id="parent-in-template"),
        pytest.param("/etc/{document}", id="absolute-template"),
        pytest.param("{run}/{nope}", id="unknown-field"),
    ],
)
def test_render_save_path_rejects(tmp_path: Path, template: str) -> None:
    with pytest.raises(UnsafePathError):
        render_save_path(tmp_path, template, FIELDS)


def test_render_save_path_rejects_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "out"
    root.mkdir()
    (root / "link").symlink_to(outside)

    with pytest.raises(UnsafePathError):
        render_save_path(root, "link/{document}", FIELDS)


def test_path_claims_add_suffix() -> None:
    claims = PathClaims()

    first = claims.claim(Path("out/a/Letter.pdf"))
    second = claims.claim(Path("out/a/Letter.pdf"))
    third = claims.claim(Path("out/a/Letter.pdf"))

    assert first == Path("out/a/Letter.pdf")
    assert second == Path("out/a/Letter-2.pdf")
    assert third == Path("out/a/Letter-3.pdf")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("application/pdf", ".pdf", id="pdf"),
        pytest.param("application/pdf; charset=binary", ".pdf", id="parameters"),
        pytest.param(None, "", id="none"),
        pytest.param("application/x-unknown-thing", "", id="unknown"),
        pytest.param("application/xml", ".xml", id="xml-not-xsl"),
        pytest.param("Text/XML; charset=utf-8", ".xml", id="text-xml"),
        pytest.param("image/png", ".png", id="from-mimetypes"),
    ],
)
def test_extension_for(content_type: str | None, expected: str) -> None:
    assert extension_for(content_type) == expected
