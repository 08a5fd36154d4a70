"""Read a project file into data plus source marks, and check it against the project schema.

NOTE: this reads YAML with ``yaml.safe_load`` and locates nodes with ``yaml.compose``;
it moves to the shared strict loader (``flowspec.spec.yamlload``) once that exists,
which also rejects duplicate keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError
from flowspec.schemas import EMULATOR_PROJECT, load_schema


@dataclass(frozen=True)
class ProjectDocument:
    """A parsed project file: its data and the YAML node tree that locates each value."""

    path: Path
    data: Any
    root: yaml.Node | None

    def locate(self, pointer: str) -> Location:
        """Return where the value at JSON pointer ``pointer`` (or its nearest parent) starts."""
        node = self.root
        for part in (p for p in pointer.split("/")[1:] if p):
            child = _child(node, part.replace("~1", "/").replace("~0", "~"))
            if child is None:
                break
            node = child
        if node is None:
            return Location(str(self.path), pointer=pointer or "/")
        mark = node.start_mark
        return Location(str(self.path), mark.line + 1, mark.column + 1, pointer or "/")

    def diagnostic(self, pointer: str, message: str, *, hint: str | None = None) -> Diagnostic:
        """Return a diagnostic located at JSON pointer ``pointer``."""
        return Diagnostic(self.locate(pointer), message, hint)

    def schema_diagnostics(self) -> Iterator[Diagnostic]:
        """Yield one diagnostic per place where the data breaks the project schema."""
        validator = jsonschema.Draft202012Validator(load_schema(EMULATOR_PROJECT))
        errors = sorted(validator.iter_errors(self.data), key=lambda e: list(e.absolute_path))
        for error in errors:
            pointer = "".join(f"/{part}" for part in error.absolute_path)
            yield self.diagnostic(pointer, _describe(error))


def read_project_document(path: Path) -> ProjectDocument:
    """Read the YAML project file at ``path``; raise ``SpecError`` if unreadable or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        message = f"cannot read the emulator project: {reason}"
        raise SpecError([Diagnostic(Location(str(path)), message)]) from exc

    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise SpecError([_yaml_diagnostic(path, exc)]) from exc
    return ProjectDocument(path, data if data is not None else {}, root)


def _child(node: yaml.Node | None, part: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        return node.value[int(part)]  # type: ignore[no-any-return]
    return None


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"{error.message} (check the spelling; unknown properties are errors)"
    if error.validator == "oneOf" and isinstance(error.instance, (str, int, float)):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"invalid value {error.instance!r}: {description or error.message}"
    return error.message


def _yaml_diagnostic(path: Path, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return Diagnostic(Location(str(path)), f"invalid YAML: {problem}")
    return Diagnostic(
        Location(str(path), mark.line + 1, mark.column + 1), f"invalid YAML: {problem}"
    )
