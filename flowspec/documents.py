"""Finding an execution's documents and choosing where they are saved.

Document names come from the server and from the user's inputs, so every field
put into a ``save`` template is sanitized, and the finished path must still lie
inside the output folder.
"""

from __future__ import annotations

import mimetypes
import re
import string
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")
_MAX_FIELD_LENGTH = 120
#: Fields a ``save`` template may use.
TEMPLATE_FIELDS = (
    "run",
    "job",
    "entry",
    "input",
    "document",
    "document_id",
    "execution",
)


class UnsafePathError(ValueError):
    """A ``save`` template that leads outside the output folder or uses an unknown field."""


@dataclass(frozen=True)
class FoundDocument:
    """A document referenced in an execution's final ``model``."""

    id: str
    name: str


def find_documents(model: Any) -> list[FoundDocument]:
    """Return every object whose ``type`` is ``document``, at any depth, once per id, in order.

    The property that holds a document has no fixed name, so the search goes by
    type. A document without a display name is named after its id.
    """
    found: dict[str, FoundDocument] = {}
    for node in _walk(model):
        if node.get("type") != "document" or not isinstance(node.get("id"), str):
            continue
        name = node.get("displayName")
        document_id: str = node["id"]
        if document_id not in found:
            found[document_id] = FoundDocument(document_id, name if isinstance(name, str) else "")
    return list(found.values())


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))


def sanitize_field(value: str) -> str:
    """Make ``value`` safe as one path segment.

    Slashes, backslashes, NUL and control characters become ``_``, and ``..``
    shrinks to ``.``. Leading dots and spaces are dropped, so no hidden file or
    parent folder can result. The result is cut to 120 characters and is never empty.
    """
    cleaned = _UNSAFE.sub("_", value)
    while ".." in cleaned:
        cleaned = cleaned.replace("..", ".")
    cleaned = cleaned.lstrip(". ").rstrip(" ")
    return cleaned[:_MAX_FIELD_LENGTH] or "_"


def template_fields(template: str) -> list[str]:
    """Return the field names a ``save`` template uses."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def render_save_path(output_dir: Path, template: str, fields: Mapping[str, str]) -> Path:
    """Fill ``template`` with sanitized ``fields`` and return the path under ``output_dir``.

    Raises ``UnsafePathError`` for unknown fields or a result outside ``output_dir``.
    """
    unknown = [name for name in template_fields(template) if name not in fields]
    if unknown:
        raise UnsafePathError(
            f"save template {template!r} uses unknown field {unknown[0]!r}; "
            f"use {', '.join('{' + name + '}' for name in TEMPLATE_FIELDS)}"
        )

    safe = {name: sanitize_field(value) for name, value in fields.items()}
    relative = template.format_map(safe)
    root = output_dir.resolve()
    target = (root / relative).resolve()
    if target == root or not target.is_relative_to(root):
        raise UnsafePathError(
            f"save template {template!r} gives {relative!r}, which is outside the output "
            f"folder {output_dir}; keep the template relative and without '..'"
        )
    return target


def extension_for(content_type: str | None) -> str:
    """Return the usual file extension for a content type, or ``""`` when unknown."""
    if not content_type:
        return ""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _USUAL_EXTENSIONS:
        return _USUAL_EXTENSIONS[media_type]
    return mimetypes.guess_extension(media_type, strict=False) or ""


# Types for which ``mimetypes`` returns an unusual first choice on some systems
# (``application/xml`` gave ``.xsl`` on Debian 12 with Python 3.11).
_USUAL_EXTENSIONS = {
    "application/xml": ".xml",
    "text/xml": ".xml",
    "application/json": ".json",
    "text/plain": ".txt",
    "text/html": ".html",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


class PathClaims:
    """The document paths claimed during one suite, so two documents never share a file.

    Runs claim paths from concurrent tasks and from download threads, hence the lock.
    """

    def __init__(self) -> None:
        self._taken: set[Path] = set()
        self._lock = threading.Lock()

    def claim(self, path: Path) -> Path:
        """Claim ``path``, or ``stem-2.ext``, ``stem-3.ext``… when it is already claimed."""
        with self._lock:
            candidate = path
            number = 2
            while candidate in self._taken:
                candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
                number += 1
            self._taken.add(candidate)
            return candidate

    def release(self, path: Path) -> None:
        """Give up a claim, for a path that was renamed or never written."""
        with self._lock:
            self._taken.discard(path)
