"""Safe XML parsing and XSD validation, with compiled schemas cached.

Public names:

``XmlChecker``
    ``check(xml_path, xsd_path)`` and ``check_bytes(data, schema, name=...)``
    return a list of ``Diagnostic`` (empty when the document is valid).
    ``schema(xsd_path)`` compiles an XSD once per resolved path and raises
    ``SpecError`` when it is broken; ``compile_count`` counts compilations.
    A broken XSD is reported by ``check`` once, in the XSD file, not once per
    XML file.
``Schema``
    A compiled XSD. Build one outside any cache with ``compile_schema_file(path)``
    or ``compile_schema_bytes(data, name=..., base_path=...)``; both raise
    ``SpecError`` for a broken XSD.
``MAX_ERRORS_PER_FILE``
    The default number of errors reported per document; a note counts the rest.

Safety: documents and XSDs are parsed without DTD loading, entity expansion or
network access. A DOCTYPE that declares entities is rejected, because entities
can expand without bound (billion laughs) or read local files (XXE).
``xs:include``, ``xs:import`` and ``xs:redefine`` resolve only to existing
local files, relative to the XSD that names them; URLs with a scheme other
than ``file`` are rejected, never fetched. lxml exceptions never leave this
module: they become ``Diagnostic`` records or a ``SpecError``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError

MAX_ERRORS_PER_FILE = 20

_SAFE_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}
_CLARK_NAME = re.compile(r"\{([^{}]*)\}([\w.\-]+)")
_ENTITY_HINT = "remove the DOCTYPE; flowspec does not expand entities"


class Schema:
    """A compiled XSD, safe to share between threads."""

    def __init__(self, name: str, xsd: Any, prefixes: Mapping[str, str]) -> None:
        self.name = name
        self._xsd = xsd
        self._prefixes = dict(prefixes)
        # lxml keeps the last validation's error log on the schema object.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Schema({self.name!r})"


class XmlChecker:
    """Check XML documents against XSDs, compiling each XSD once per resolved path."""

    def __init__(self, *, max_errors: int = MAX_ERRORS_PER_FILE) -> None:
        self.max_errors = max_errors
        self.compile_count = 0
        self._schemas: dict[Path, Schema | SpecError] = {}
        self._reported: set[Path] = set()
        self._lock = threading.Lock()

    def schema(self, xsd_path: Path) -> Schema:
        """Return the compiled XSD at ``xsd_path``, compiling it on first use.

        Raises ``SpecError`` located in the XSD files when the XSD is broken.
        """
        result = self._compiled(xsd_path.resolve(), xsd_path)
        if isinstance(result, SpecError):
            raise result
        return result

    def check(self, xml_path: Path, xsd_path: Path | None = None) -> list[Diagnostic]:
        """Parse ``xml_path`` safely and validate it against ``xsd_path`` when given."""
        diagnostics: list[Diagnostic] = []
        schema = None
        if xsd_path is not None:
            schema, diagnostics = self._schema_reported_once(xsd_path)

        name = str(xml_path)
        try:
            data = xml_path.read_bytes()
        except OSError as exc:
            return [*diagnostics, _read_error(name, exc)]
        return diagnostics + self.check_bytes(data, schema, name=name)

    def check_bytes(
        self, data: bytes, schema: Schema | Path | None = None, *, name: str = "<request body>"
    ) -> list[Diagnostic]:
        """Parse an in-memory document safely and validate it against ``schema`` when given.

        ``schema`` is a compiled ``Schema`` or the path of an XSD (compiled once,
        raising ``SpecError`` when broken). ``name`` is the file named in diagnostics.
        """
        if isinstance(schema, Path):
            schema = self.schema(schema)

        tree, diagnostics = parse_safely(data, name)
        if tree is None or diagnostics or schema is None:
            return _capped(diagnostics, name, self.max_errors)
        return _capped(_validate(schema, tree, name), name, self.max_errors)

    def _schema_reported_once(self, xsd_path: Path) -> tuple[Schema | None, list[Diagnostic]]:
        key = xsd_path.resolve()
        result = self._compiled(key, xsd_path)
        if not isinstance(result, SpecError):
            return result, []

        with self._lock:
            if key in self._reported:
                return None, []
            self._reported.add(key)
        return None, list(result.diagnostics)

    def _compiled(self, key: Path, xsd_path: Path) -> Schema | SpecError:
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


def compile_schema_file(path: Path) -> Schema:
    """Compile the XSD at ``path``; includes and imports resolve relative to it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError([_read_error(str(path), exc)]) from exc
    return compile_schema_bytes(data, name=str(path), base_path=path.resolve())


def compile_schema_bytes(
    data: bytes, *, name: str = "<schema>", base_path: Path | None = None
) -> Schema:
    """Compile an in-memory XSD; ``base_path`` is the file relative schema locations start from.

    Without ``base_path``, relative ``schemaLocation`` values resolve against
    the working folder.
    """
    base_url = str(base_path) if base_path is not None else None
    resolver = _LocalSchemaResolver()
    parser = _new_parser()
    parser.resolvers.add(resolver)

    tree, problems = _parse(parser, data, name, base_url)
    if tree is None or problems:
        raise SpecError(problems)

    try:
        xsd = etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as exc:
        diagnostics = _schema_diagnostics(exc.error_log, base_url or name, name, resolver)
        raise SpecError(diagnostics) from exc
    if resolver.rejected:
        raise SpecError(resolver.unreported_diagnostics(name))

    prefixes = {uri: prefix or "" for prefix, uri in tree.getroot().nsmap.items()}
    return Schema(name, xsd, prefixes)


def parse_safely(data: bytes, name: str) -> tuple[Any | None, list[Diagnostic]]:
    """Parse a document without DTDs, entity expansion or network access.

    Returns the lxml tree (None when the bytes are not well-formed XML) and the
    problems found: syntax errors, encoding errors, and rejected entities.
    """
    return _parse(_document_parser(), data, name, name)


_thread_local = threading.local()


def _document_parser() -> Any:
    # An lxml parser must not be used by two threads at once; one per thread
    # also spares building a parser for every document.
    parser = getattr(_thread_local, "parser", None)
    if parser is None:
        parser = _new_parser()
        parser.resolvers.add(_RejectingResolver())
        _thread_local.parser = parser
    return parser


def _new_parser() -> Any:
    return etree.XMLParser(**_SAFE_PARSER_OPTIONS)


def _parse(
    parser: Any, data: bytes, name: str, base_url: str | None
) -> tuple[Any | None, list[Diagnostic]]:
    try:
        root = etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError:
        return None, _syntax_diagnostics(parser.error_log, data, name)
    except (etree.LxmlError, ValueError) as exc:
        # Raised for input lxml refuses before libxml2 sees it; the message names the cause.
        return None, [Diagnostic(Location(name, 1), f"not an XML document: {exc}")]

    tree = root.getroottree()
    return tree, _entity_diagnostics(tree, data, name)


def _syntax_diagnostics(error_log: Any, data: bytes, name: str) -> list[Diagnostic]:
    entries = [entry for entry in error_log if entry.level >= etree.ErrorLevels.ERROR]
    if any("amplification" in entry.message for entry in entries):
        return [_entity_declaration_diagnostic(data, name, "expands beyond the size limit")]

    diagnostics = [
        Diagnostic(_location(name, entry.line, entry.column), _readable(entry.message, {}))
        for entry in entries
    ]
    if not diagnostics:
        diagnostics = [Diagnostic(Location(name, 1), "not well-formed XML")]
    return _unique(diagnostics)


def _entity_diagnostics(tree: Any, data: bytes, name: str) -> list[Diagnostic]:
    docinfo = tree.docinfo
    if not docinfo.doctype:
        return []

    dtd = docinfo.internalDTD
    entity_names = [entity.name for entity in dtd.iterentities()] if dtd is not None else []
    if entity_names:
        listed = ", ".join(entity_names[:5]) + (", ..." if len(entity_names) > 5 else "")
        return [_entity_declaration_diagnostic(data, name, f"declares entities ({listed})")]

    # A DOCTYPE with an external DTD lets entity references through unexpanded.
    return [
        Diagnostic(
            _location(name, node.sourceline, None),
            f"entity reference &{node.name}; is not allowed: its DTD is never loaded",
            hint="replace it with the character or text it stands for",
        )
        for node in tree.getroot().iter(etree.Entity)
    ]


def _entity_declaration_diagnostic(data: bytes, name: str, what: str) -> Diagnostic:
    line, column = _find_in_bytes(data, "<!ENTITY") or _find_in_bytes(data, "<!DOCTYPE") or (1, 1)
    return Diagnostic(
        Location(name, line, column),
        f"the DOCTYPE {what}; entity declarations are rejected because entities "
        "can expand without bound or read local files",
        hint=_ENTITY_HINT,
    )


def _find_in_bytes(data: bytes, text: str) -> tuple[int, int] | None:
    """Return the line and column of ``text`` in a document of unknown encoding."""
    for codec, width in (("utf-8", 1), ("utf-16-le", 2), ("utf-16-be", 2)):
        index = data.find(text.encode(codec))
        if index < 0:
            continue
        newline = "\n".encode(codec)
        before = data[:index]
        line_start = before.rfind(newline) + len(newline) if newline in before else 0
        return before.count(newline) + 1, (index - line_start) // width + 1
    return None


def _validate(schema: Schema, tree: Any, name: str) -> list[Diagnostic]:
    with schema._lock:
        if schema._xsd.validate(tree):
            return []
        entries = [e for e in schema._xsd.error_log if e.level >= etree.ErrorLevels.ERROR]

    prefixes = {**schema._prefixes, **_document_prefixes(tree)}
    return [
        Diagnostic(_location(name, entry.line, entry.column), _readable(entry.message, prefixes))
        for entry in entries
    ]


def _document_prefixes(tree: Any) -> dict[str, str]:
    return {uri: prefix or "" for prefix, uri in tree.getroot().nsmap.items()}


def _schema_diagnostics(
    error_log: Any, base_url: str, name: str, resolver: _LocalSchemaResolver
) -> list[Diagnostic]:
    diagnostics = []
    for entry in error_log:
        if entry.level < etree.ErrorLevels.ERROR or entry.filename == "<string>":
            continue  # "<string>" is the empty stand-in served for a rejected location
        file = name if entry.filename == base_url else entry.filename
        message, hint = resolver.explain(entry.message)
        diagnostics.append(Diagnostic(_location(file, entry.line, entry.column), message, hint))
    diagnostics.extend(resolver.unreported_diagnostics(name))
    return _unique(diagnostics) or [Diagnostic(Location(name), "invalid XSD")]


class _LocalSchemaResolver(etree.Resolver):  # type: ignore[misc]
    """Serve schema locations from local files; reject URLs and missing files."""

    def __init__(self) -> None:
        super().__init__()
        self.rejected: dict[str, _Rejection] = {}
        self._reported: set[str] = set()

    def resolve(self, url: str, public_id: str | None, context: Any) -> Any:
        loaded = _read_local_schema(url)
        if isinstance(loaded, _Rejection):
            self.rejected[url] = loaded
            return self.resolve_string(b"", context)
        path, data = loaded
        return self.resolve_string(data, context, base_url=str(path))

    def explain(self, message: str) -> tuple[str, str | None]:
        """Replace libxml2's "failed to load" message by the reason the location was rejected."""
        for url, rejection in self.rejected.items():
            if url in message:
                self._reported.add(url)
                return rejection.reason, rejection.hint
        return _readable(message, {}), None

    def unreported_diagnostics(self, file: str) -> list[Diagnostic]:
        return [
            Diagnostic(Location(file), rejection.reason, hint=rejection.hint)
            for url, rejection in self.rejected.items()
            if url not in self._reported
        ]


@dataclass(frozen=True)
class _Rejection:
    """Why a schema location was not loaded, and what to do about it."""

    reason: str
    hint: str


def _read_local_schema(url: str) -> tuple[Path, bytes] | _Rejection:
    """Return the path and bytes of a local schema file, or why it is rejected."""
    parts = urlsplit(url)
    if len(parts.scheme) > 1 and parts.scheme != "file":
        return _Rejection(
            f"schema location {url!r} is a network URL; flowspec never fetches schemas",
            "save the file next to the XSD and point schemaLocation at the local copy",
        )

    path = Path(unquote(parts.path) if parts.scheme == "file" else url)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _Rejection(
            f"schema location {url!r} cannot be read: {exc.strerror or exc}",
            "check the schemaLocation path, which is relative to the XSD that names it",
        )
    # libxml2 parses included schemas with entity substitution on, so an
    # included file must not declare entities or name a DTD.
    if _find_in_bytes(data, "<!DOCTYPE") is not None:
        return _Rejection(
            f"schema location {url!r} has a DOCTYPE, which XSD files never need", _ENTITY_HINT
        )
    return path, data


class _RejectingResolver(etree.Resolver):  # type: ignore[misc]
    """Load nothing: documents never pull in external files."""

    def resolve(self, url: str, public_id: str | None, context: Any) -> Any:
        return self.resolve_string(b"", context)


def _capped(diagnostics: list[Diagnostic], name: str, max_errors: int) -> list[Diagnostic]:
    if len(diagnostics) <= max_errors:
        return diagnostics
    hidden = len(diagnostics) - max_errors
    note = Diagnostic(
        Location(name),
        f"{hidden} more error{'s' if hidden != 1 else ''} not shown "
        f"(only the first {max_errors} of each file are reported)",
        severity="note",
    )
    return [*diagnostics[:max_errors], note]


def _readable(message: str, prefixes: Mapping[str, str]) -> str:
    """Shorten ``{namespace}name`` to ``prefix:name`` with the prefixes the files declare."""

    def shorten(match: re.Match[str]) -> str:
        prefix = prefixes.get(match.group(1))
        if prefix is None:
            return match.group(0)
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    return _CLARK_NAME.sub(shorten, message.strip())


def _location(file: str, line: int | None, column: int | None) -> Location:
    # libxml2 reports 0 when it does not know the line or column.
    return Location(file, line or None, column or None)


def _read_error(name: str, exc: OSError) -> Diagnostic:
    return Diagnostic(
        Location(name), f"cannot read file: {exc.strerror or exc}", hint="check the path"
    )


def _unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(diagnostics))
