"""Job files: loading YAML with source marks, the model, schema and semantic checks.

``load_job_files`` is the entry point: it loads every file, substitutes the
environment, checks the schema, the references between entries, the files
they name and the XML inputs, and raises one ``SpecError`` holding the
diagnostics of all files. ``check_job_files`` returns the same per file, for
callers (``flowspec validate``) that report files separately.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flowspec.diagnostics import Diagnostic
from flowspec.errors import SpecError
from flowspec.schemas import JOBFILE, load_schema
from flowspec.spec.build import Builder, EntryBuilder
from flowspec.spec.env import MASK, substitute
from flowspec.spec.graph import after_diagnostics, duplicate_name_diagnostics
from flowspec.spec.model import Entry, JobFile, XmlInput
from flowspec.spec.schema_check import schema_diagnostics
from flowspec.spec.yamlload import (
    MarkedDocument,
    decode,
    garbage_collection_paused,
    parse_yaml,
    read_bytes,
)

__all__ = ["FileCheck", "JobFile", "check_job_files", "load_job_files"]


class XmlCheck(Protocol):
    """What the spec needs of ``flowspec.xmlcheck.XmlChecker``."""

    def check_many(self, items: Sequence[tuple[Path, Path | None]]) -> list[list[Diagnostic]]: ...


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one job file: the model when it is valid, else diagnostics."""

    path: Path
    job: JobFile | None
    diagnostics: tuple[Diagnostic, ...]


def load_job_files(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    check_xml: bool = True,
) -> list[JobFile]:
    """Load and check job files; raise ``SpecError`` with every problem of every file."""
    checks = check_job_files(paths, environ=environ, check_xml=check_xml)
    diagnostics = [diagnostic for check in checks for diagnostic in check.diagnostics]
    if diagnostics:
        raise SpecError(diagnostics)
    return [check.job for check in checks if check.job is not None]


def check_job_files(
    paths: Sequence[Path],
    *,
    environ: Mapping[str, str] | None = None,
    check_xml: bool = True,
) -> list[FileCheck]:
    """Check each job file; never raises for a problem in the files."""
    environment = os.environ if environ is None else environ
    loaded = []
    for path in paths:
        with garbage_collection_paused():
            loaded.append(_check_file(Path(path), environment))
    if not check_xml:
        return [check for check, _ in loaded]

    # All XML files of all job files go to the checker at once, so that it
    # can spread them over idle cores.
    items = [_xml_items(entries) for _, entries in loaded]
    results = iter(_xml_checker().check_many([item for file in items for item in file]))
    checks = []
    for (check, _), file_items in zip(loaded, items, strict=True):
        checks.append(_with_xml(check, [next(results) for _ in file_items]))
    return checks


def _xml_checker() -> XmlCheck:
    from flowspec.xmlcheck import XmlChecker  # lxml loads only when XML is checked

    return XmlChecker()


def _check_file(path: Path, environ: Mapping[str, str]) -> tuple[FileCheck, list[Entry]]:
    """Check one job file without its XML; return the outcome and the entries built."""
    try:
        raw = read_bytes(path)
        document = parse_yaml(path, decode(path, raw))
    except SpecError as exc:
        return FileCheck(path, None, ordered(exc.diagnostics)), []

    sha256 = hashlib.sha256(raw).hexdigest()
    job, entries, diagnostics = _check_document(document, sha256, environ)
    return FileCheck(path, job, ordered(diagnostics)), entries


def _with_xml(check: FileCheck, results: list[list[Diagnostic]]) -> FileCheck:
    xml_diagnostics = ordered(diagnostic for result in results for diagnostic in result)
    if not xml_diagnostics:
        return check
    return FileCheck(check.path, None, check.diagnostics + xml_diagnostics)


def _check_document(
    document: MarkedDocument, sha256: str, environ: Mapping[str, str]
) -> tuple[JobFile | None, list[Entry], list[Diagnostic]]:
    """Return the model (None when invalid), the entries that could be built, and problems."""
    substituted = substitute(document, environ)
    document = substituted.document
    diagnostics = list(substituted.diagnostics)
    # A value whose substitution failed would only add a second, confusing error.
    unsubstituted = {diagnostic.location.pointer for diagnostic in diagnostics}
    for diagnostic in schema_diagnostics(document, load_schema(JOBFILE)):
        if diagnostic.location.pointer not in unsubstituted:
            diagnostics.append(diagnostic)

    data = document.data
    builder = Builder(document, substituted.secrets)
    server = builder.server(data.get("server"))
    run = builder.run_settings(data.get("run"))
    entries = _entries(builder, data)
    diagnostics.extend(builder.diagnostics)
    diagnostics.extend(duplicate_name_diagnostics(document, data.get("flows")))
    diagnostics.extend(after_diagnostics(document, data.get("flows")))

    if diagnostics or server is None:
        return None, entries, _without_secrets(diagnostics, substituted.secrets.values())
    name = data.get("name") if isinstance(data.get("name"), str) else document.path.stem
    job = JobFile(document.path, sha256, name, server, run, tuple(entries), data["version"])
    return job, entries, []


def _without_secrets(diagnostics: list[Diagnostic], secrets: Iterable[str]) -> list[Diagnostic]:
    """Mask every secret value that a message or hint quotes.

    A variable that holds ``api_key`` may also be referenced by mistake where
    a duration or a number belongs, and that value's error quotes it.
    """
    values = [value for value in secrets if value]
    if not values:
        return diagnostics
    return [_masked(diagnostic, values) for diagnostic in diagnostics]


def _masked(diagnostic: Diagnostic, values: list[str]) -> Diagnostic:
    message, hint = diagnostic.message, diagnostic.hint
    for value in values:
        # Messages quote values as repr() does. A value of under 4 characters
        # is masked only where quoted, because it also occurs inside words.
        forms = [repr(value), value] if len(value) >= 4 else [repr(value)]
        for form in forms:
            message = message.replace(form, MASK)
            hint = hint.replace(form, MASK) if hint is not None else None
    if (message, hint) == (diagnostic.message, diagnostic.hint):
        return diagnostic
    return dataclasses.replace(diagnostic, message=message, hint=hint)


def _entries(builder: Builder, data: dict[str, object]) -> list[Entry]:
    defaults = data.get("defaults")
    entry_builder = EntryBuilder(builder, defaults if isinstance(defaults, dict) else {})
    flows = data.get("flows")
    if not isinstance(flows, list):
        return []
    built = (entry_builder.build(index, item) for index, item in enumerate(flows))
    return [entry for entry in built if entry is not None]


def _xml_items(entries: Sequence[Entry]) -> list[tuple[Path, Path | None]]:
    """Return each (XML file, XSD) pair that the entries reference, once, in entry order."""
    items: dict[tuple[Path, Path | None], None] = {}
    for entry in entries:
        if isinstance(entry.input, XmlInput):
            items.update(dict.fromkeys((file, entry.input.schema) for file in entry.input.files))
    return list(items)


def ordered(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Return ``diagnostics`` without repeats, by file, then line and column (unplaced first)."""

    def key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
        location = diagnostic.location
        return (location.file, location.line or 0, location.column or 0, diagnostic.message)

    return tuple(sorted(dict.fromkeys(diagnostics), key=key))
