"""The safe lxml parser, document parsing, and lxml errors turned into diagnostics."""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import etree

from flowspec.diagnostics import Diagnostic, Location

# Every parse: no DTD loading, no entity expansion, no network access.
# Compiling an XSD changes only ``resolve_entities``, to "internal" (see ``_schema``).
SAFE_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}
ENTITY_HINT = "remove the entity declarations from the DOCTYPE"

_DOCUMENT_ENTITIES = (
    "XML documents must not declare entities, because entities can expand without bound "
    "or read local files"
)
_HUGE_SUFFIX = re.compile(r",? *(use|try) XML_PARSE_HUGE( option)?")
_HUGE_HINT = (
    "flowspec keeps libxml2's limits for untrusted input (libxml2 2.14): 256 levels "
    "of nesting, and about 10 MB per text node or attribute value"
)
_ELEMENT_NAME = re.compile(r"Element '([^']+)'")
_CLARK_NAME = re.compile(r"\{([^{}]*)\}([\w.\-]+)")
_thread_local = threading.local()


def new_parser(**options: Any) -> Any:
    """Build an lxml parser with the safe options, overridden by ``options``."""
    return etree.XMLParser(**{**SAFE_PARSER_OPTIONS, **options})


def parse_document(data: bytes, name: str) -> tuple[Any | None, list[Diagnostic]]:
    """Parse an XML document without DTDs, entity expansion or network access.

    Returns the lxml tree (None when the bytes are not well-formed XML) and the
    problems found: syntax and encoding errors, and any entity declaration or
    reference, which documents must not contain.
    """
    tree, problems = parse(_document_parser(), data, name, base_url=name, document=True)
    if tree is None or problems:
        return tree, problems
    return tree, entity_diagnostics(tree, data, name)


def parse(
    parser: Any, data: bytes, name: str, *, base_url: str | None, document: bool = False
) -> tuple[Any | None, list[Diagnostic]]:
    """Parse ``data`` with ``parser``, returning the tree, or None and the syntax errors.

    ``document`` is true for XML documents, which must not declare entities,
    and false for XSD files, which may declare internal ones.
    """
    try:
        root = etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError:
        return None, syntax_diagnostics(parser.error_log, data, name, document=document)
    except (etree.LxmlError, ValueError) as exc:
        # lxml raises these for input it rejects before libxml2 parses it.
        return None, [Diagnostic(Location(name, 1), f"not an XML document: {exc}")]
    return root.getroottree(), []


def _document_parser() -> Any:
    # An lxml parser must not be used by two threads at once. One parser per
    # thread also saves building a parser for every document.
    parser = getattr(_thread_local, "parser", None)
    if parser is None:
        parser = new_parser()
        parser.resolvers.add(_RejectingResolver())
        _thread_local.parser = parser
    return parser


class _RejectingResolver(etree.Resolver):  # type: ignore[misc]
    """A resolver that loads nothing, so a document never pulls in another file."""

    def resolve(self, url: str, public_id: str | None, context: Any) -> Any:
        return self.resolve_string(b"", context)


def syntax_diagnostics(
    error_log: Any, data: bytes, name: str, *, document: bool
) -> list[Diagnostic]:
    """Convert a failed parse's error log into diagnostics located in ``name``."""
    entries = [entry for entry in error_log if entry.level >= etree.ErrorLevels.ERROR]
    if any("amplification" in entry.message for entry in entries):
        message = (
            "the DOCTYPE declares entities that expand past libxml2's size limit, "
            "as in an entity expansion bomb"
        )
        return [entity_declaration_diagnostic(data, name, message)]
    # A reference to a declared external entity fails the parse before the
    # declarations can be inspected, so the declaration is reported instead.
    declared = find_in_bytes(data, "<!ENTITY") is not None
    if document and declared and any("entity" in e.message.lower() for e in entries):
        message = f"the DOCTYPE declares entities; {_DOCUMENT_ENTITIES}"
        return [entity_declaration_diagnostic(data, name, message)]

    diagnostics = [_syntax_diagnostic(entry, data, name) for entry in entries]
    return unique(diagnostics) or [Diagnostic(Location(name, 1), "not well-formed XML")]


def _syntax_diagnostic(entry: Any, data: bytes, name: str) -> Diagnostic:
    where = location(name, entry.line, entry.column)
    message = readable(entry.message, {})

    # libxml2 calls content that starts with a NUL byte "empty".
    if message.startswith("Document is empty") and data.strip():
        message = "not an XML document: the content starts with binary data, not a '<'"
    # The option libxml2 suggests is one flowspec keeps off on purpose.
    if "XML_PARSE_HUGE" in message:
        message = _HUGE_SUFFIX.sub("", message)
        return Diagnostic(where, message, hint=_HUGE_HINT)
    return Diagnostic(where, message)


def entity_diagnostics(tree: Any, data: bytes, name: str) -> list[Diagnostic]:
    """Reject entity declarations, and entity references left by an unloaded DTD."""
    docinfo = tree.docinfo
    if not docinfo.doctype:
        return []

    dtd = docinfo.internalDTD
    entity_names = [entity.name for entity in dtd.iterentities()] if dtd is not None else []
    if entity_names:
        listed = ", ".join(entity_names[:5]) + (", ..." if len(entity_names) > 5 else "")
        message = f"the DOCTYPE declares entities ({listed}); {_DOCUMENT_ENTITIES}"
        return [entity_declaration_diagnostic(data, name, message)]

    return [
        Diagnostic(
            location(name, node.sourceline, None),
            f"entity reference &{node.name}; is not allowed: its DTD is never loaded",
            hint="replace it with the character or text it represents",
        )
        for node in tree.getroot().iter(etree.Entity)
    ]


def entity_declaration_diagnostic(data: bytes, name: str, message: str) -> Diagnostic:
    """Report ``message`` at the first entity declaration of ``data``."""
    line, column = find_in_bytes(data, "<!ENTITY") or find_in_bytes(data, "<!DOCTYPE") or (1, 1)
    return Diagnostic(Location(name, line, column), message, hint=ENTITY_HINT)


def with_element_columns(diagnostics: list[Diagnostic], data: bytes, tree: Any) -> list[Diagnostic]:
    """Add the column of the element's start tag to validation errors, which libxml2 omits.

    The column is the first start tag with the element's local name on the
    error's line, so it is exact for documents with one element per line.
    """
    lines: list[str] | None = None
    located = []
    for diagnostic in diagnostics:
        where = diagnostic.location
        element = _ELEMENT_NAME.match(diagnostic.message)
        if where.line is None or where.column is not None or element is None:
            located.append(diagnostic)
            continue

        if lines is None:
            encoding = tree.docinfo.encoding or "utf-8"
            lines = data.decode(encoding, errors="replace").split("\n")
        local_name = element.group(1).rpartition(":")[2]
        column = _start_tag_column(lines, where.line, local_name)
        located.append(replace(diagnostic, location=replace(where, column=column)))
    return located


def _start_tag_column(lines: list[str], line: int, local_name: str) -> int | None:
    if line > len(lines):
        return None
    start_tag = re.compile(rf"<(?:[\w.\-]+:)?{re.escape(local_name)}(?=[\s/>]|$)")
    match = start_tag.search(lines[line - 1])
    return match.start() + 1 if match else None


def find_in_bytes(data: bytes, text: str) -> tuple[int, int] | None:
    """Return the line and column of ASCII ``text`` in UTF-8 or UTF-16 ``data``."""
    for codec, width in (("utf-8", 1), ("utf-16-le", 2), ("utf-16-be", 2)):
        index = data.find(text.encode(codec))
        if index < 0:
            continue

        newline = "\n".encode(codec)
        before = data[:index]
        line_start = before.rfind(newline) + len(newline) if newline in before else 0
        return before.count(newline) + 1, (index - line_start) // width + 1
    return None


def readable(message: str, prefixes: Mapping[str, str]) -> str:
    """Shorten ``{namespace}name`` to ``prefix:name`` with the prefixes the files declare."""

    def shorten(match: re.Match[str]) -> str:
        prefix = prefixes.get(match.group(1))
        if prefix is None:
            return match.group(0)
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    # Values quoted from the document may span lines; one diagnostic stays one line.
    one_line = message.strip().replace("\r", "\\r").replace("\n", "\\n")
    return _CLARK_NAME.sub(shorten, one_line)


def namespace_prefixes(tree: Any) -> dict[str, str]:
    """Map each namespace declared on the root element to its prefix ("" for the default)."""
    return {uri: prefix or "" for prefix, uri in tree.getroot().nsmap.items()}


def location(file: str, line: int | None, column: int | None) -> Location:
    """Build a location; libxml2 reports 0 for an unknown line or column."""
    return Location(file, line or None, column or None)


class NotARegularFile(OSError):
    """The path names a device, FIFO or socket, which could block or never end."""


class FileTooLarge(OSError):
    """The file is larger than ``MAX_FILE_BYTES``."""


#: Largest XML or XSD file read. lxml's tree takes about 20 times the file's
#: size (a 57 MB document took 1.2 GB), and document-generation inputs are
#: rarely above a few megabytes, so this bound keeps a stray dump from
#: exhausting memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_file(path: Path) -> bytes:
    """Read a regular file; raise ``OSError`` for anything else.

    Opening without blocking keeps a FIFO from waiting for a writer, and the
    type check keeps a device such as /dev/zero from being read forever.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotARegularFile(errno.EINVAL, "not a regular file", str(path))
        size = os.fstat(descriptor).st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            message = f"file is {size / (1024 * 1024):.1f} MiB, above the {limit} MiB limit"
            raise FileTooLarge(errno.EFBIG, message, str(path))
        file = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise

    with file:
        return file.read()


def read_error(name: str, exc: OSError) -> Diagnostic:
    """Describe a file that could not be read."""
    hint = "split the document into smaller ones" if isinstance(exc, FileTooLarge) else None
    return Diagnostic(
        Location(name), f"cannot read file: {exc.strerror or exc}", hint=hint or "check the path"
    )


def display_path(path: Path) -> str:
    """Name ``path`` relative to the working folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Drop repeated diagnostics, keeping the first of each in order."""
    return list(dict.fromkeys(diagnostics))
