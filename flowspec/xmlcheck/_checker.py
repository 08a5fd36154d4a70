"""``XmlChecker``, which checks documents against XSDs and compiles each XSD once."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError
from flowspec.xmlcheck._parallel import check_in_processes, default_processes
from flowspec.xmlcheck._parsing import (
    parse_document,
    read_error,
    read_file,
    with_element_columns,
)
from flowspec.xmlcheck._schema import Schema, compile_schema_file

MAX_ERRORS_PER_FILE = 20


class XmlChecker:
    """Check XML documents against XSDs, compiling each XSD once per resolved path.

    One checker may be shared between threads.
    """

    def __init__(self, *, max_errors: int = MAX_ERRORS_PER_FILE) -> None:
        self.max_errors = max_errors
        self.compile_count = 0
        self._schemas: dict[Path, Schema | SpecError] = {}
        self._resolved: dict[tuple[Path, str], Path] = {}
        self._reported: set[Path] = set()
        self._lock = threading.Lock()

    def schema(self, xsd_path: Path) -> Schema:
        """Return the compiled XSD at ``xsd_path``, compiling it on first use.

        Raises ``SpecError`` located in the XSD files when the XSD is broken.
        """
        result = self._compiled(xsd_path)
        if isinstance(result, SpecError):
            raise result
        return result

    def check(self, xml_path: Path, xsd_path: Path | None = None) -> list[Diagnostic]:
        """Parse ``xml_path`` safely and validate it against ``xsd_path`` when given.

        A broken XSD's diagnostics come only with the first document checked
        against it. Later documents are then checked for well-formedness alone.
        """
        diagnostics: list[Diagnostic] = []
        schema = None
        if xsd_path is not None:
            schema, diagnostics = self._schema_reported_once(xsd_path)

        name = str(xml_path)
        try:
            data = read_file(xml_path)
        except OSError as exc:
            return [*diagnostics, read_error(name, exc)]
        return diagnostics + self.check_bytes(data, schema, name=name)

    def check_many(
        self, items: Sequence[tuple[Path, Path | None]], *, processes: int | None = None
    ) -> list[list[Diagnostic]]:
        """Check (XML file, XSD or None) pairs, in forked processes when there are many.

        Returns one diagnostics list per pair, in order, as ``check`` would.
        ``processes`` defaults to one per idle CPU (judged by the load
        average), as long as each gets at least 100 files. With 1, or where
        forking is unsafe (other threads running, no ``fork`` on the
        platform), every file is checked in this process.
        Each XSD is compiled once, in this process, before any worker starts.
        """
        if processes is None:
            processes = default_processes(len(items))

        schema_diagnostics: dict[Path, list[Diagnostic]] = {}
        for _, xsd_path in items:
            if xsd_path is not None and xsd_path not in schema_diagnostics:
                schema_diagnostics[xsd_path] = self._schema_reported_once(xsd_path)[1]

        results = check_in_processes(self, items, processes) if processes > 1 else None
        if results is None:
            results = [self.check(xml_path, xsd_path) for xml_path, xsd_path in items]

        # A broken XSD's diagnostics go with the first document checked against it.
        for index, (_, xsd_path) in enumerate(items):
            if xsd_path is not None and schema_diagnostics.get(xsd_path):
                results[index] = schema_diagnostics.pop(xsd_path) + results[index]
        return results

    def check_bytes(
        self, data: bytes, schema: Schema | Path | None = None, *, name: str = "<request body>"
    ) -> list[Diagnostic]:
        """Parse an in-memory document safely and validate it against ``schema`` when given.

        ``schema`` is a compiled ``Schema`` or the path of an XSD, which is
        compiled once and raises ``SpecError`` when broken. ``name`` is the
        file named in the diagnostics.
        """
        if isinstance(schema, Path):
            schema = self.schema(schema)

        tree, diagnostics = parse_document(data, name)
        if tree is not None and not diagnostics and schema is not None:
            diagnostics = with_element_columns(schema.validate(tree, name), data, tree)
        return _capped(diagnostics, name, self.max_errors)

    def _schema_reported_once(self, xsd_path: Path) -> tuple[Schema | None, list[Diagnostic]]:
        result = self._compiled(xsd_path)
        if not isinstance(result, SpecError):
            return result, []

        key = self._resolve(xsd_path)
        with self._lock:
            if key in self._reported:
                return None, []
            self._reported.add(key)
        return None, list(result.diagnostics)

    def _resolve(self, xsd_path: Path) -> Path:
        # Resolving costs a system call per path component, and the same XSD
        # path comes with each of thousands of files.
        working_folder = "" if xsd_path.is_absolute() else os.getcwd()
        resolved = self._resolved.get((xsd_path, working_folder))
        if resolved is None:
            resolved = self._resolved[xsd_path, working_folder] = xsd_path.resolve()
        return resolved

    def _compiled(self, xsd_path: Path) -> Schema | SpecError:
        key = self._resolve(xsd_path)
        with self._lock:
            cached = self._schemas.get(key)
            if cached is not None:
                return cached

            try:
                result: Schema | SpecError = compile_schema_file(xsd_path)
            except SpecError as exc:
                result = exc
            self.compile_count += 1
            self._schemas[key] = result
            return result


def _capped(diagnostics: list[Diagnostic], name: str, max_errors: int) -> list[Diagnostic]:
    if len(diagnostics) <= max_errors:
        return diagnostics

    hidden = len(diagnostics) - max_errors
    # Placed at the first error left out, so sorting by line keeps it last.
    first_hidden = diagnostics[max_errors].location
    note = Diagnostic(
        Location(name, first_hidden.line, first_hidden.column),
        f"{hidden} more error{'s' if hidden != 1 else ''} not shown; "
        f"only the first {max_errors} of each file are reported",
        severity="note",
        not_shown=hidden,
    )
    return [*diagnostics[:max_errors], note]
