"""Read a project file with the strict YAML loader and check it against the project schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowspec.diagnostics import Diagnostic
from flowspec.schemas import EMULATOR_PROJECT, load_schema
from flowspec.spec.schema_check import schema_diagnostics
from flowspec.spec.yamlload import MarkedDocument, load_yaml


@dataclass(frozen=True)
class ProjectDocument:
    """A parsed project file: its data and the marks that locate each value."""

    marked: MarkedDocument

    @property
    def path(self) -> Path:
        """The project file."""
        return self.marked.path

    @property
    def data(self) -> Any:
        """The file's content as plain Python values."""
        return self.marked.data

    def diagnostic(self, pointer: str, message: str, *, hint: str | None = None) -> Diagnostic:
        """Return a diagnostic located at JSON pointer ``pointer``."""
        return Diagnostic(self.marked.locate(pointer), message, hint)

    def schema_diagnostics(self) -> list[Diagnostic]:
        """Return one diagnostic per place where the data breaks the project schema."""
        return schema_diagnostics(self.marked, load_schema(EMULATOR_PROJECT))


def read_project_document(path: Path) -> ProjectDocument:
    """Read the YAML project file at ``path``; raise ``SpecError`` if unreadable or invalid."""
    return ProjectDocument(load_yaml(path))
