"""XSD compilation from local files only, and validation of parsed documents."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError
from flowspec.xmlcheck._parsing import (
    display_path,
    find_in_bytes,
    location,
    namespace_prefixes,
    new_parser,
    parse,
    read_error,
    read_file,
    readable,
    unique,
)

logger = logging.getLogger(__name__)

_XSD = "{http://www.w3.org/2001/XMLSchema}"
_REJECTED = "flowspec-rejected:"
_SCHEMA_REFERENCES = (f"{_XSD}include", f"{_XSD}import", f"{_XSD}redefine", f"{_XSD}override")


class Schema:
    """A compiled XSD, safe to share between threads."""

    def __init__(self, name: str, xsd: Any, prefixes: Mapping[str, str]) -> None:
        self.name = name
        self._xsd = xsd
        self._prefixes = dict(prefixes)
        # lxml stores the last validation's error log on the schema object.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Schema({self.name!r})"

    def validate(self, tree: Any, name: str) -> list[Diagnostic]:
        """Validate a parsed document, returning diagnostics located in ``name``."""
        with self._lock:
            try:
                if self._xsd.validate(tree):
                    return []
            except etree.LxmlError as exc:
                # lxml raises when libxml2 reports an internal failure, which is
                # not the same as finding the document invalid.
                return [Diagnostic(Location(name), f"XSD validation failed: {exc}")]
            entries = [e for e in self._xsd.error_log if e.level >= etree.ErrorLevels.ERROR]

        prefixes = {**self._prefixes, **namespace_prefixes(tree)}
        return [
            Diagnostic(location(name, entry.line, entry.column), readable(entry.message, prefixes))
            for entry in entries
        ]


def compile_schema_file(path: Path) -> Schema:
    """Compile the XSD at ``path``, resolving its includes and imports relative to it.

    Raises ``SpecError`` located in the XSD files when the XSD is broken.
    """
    try:
        data = read_file(path)
    except OSError as exc:
        raise SpecError([read_error(str(path), exc)]) from exc
    return compile_schema_bytes(data, name=str(path), base_path=path.resolve())


def compile_schema_bytes(
    data: bytes, *, name: str = "<schema>", base_path: Path | None = None
) -> Schema:
    """Compile an in-memory XSD. ``base_path`` is the file its schema locations are relative to.

    Without ``base_path``, relative ``schemaLocation`` values resolve against
    the working folder. Raises ``SpecError`` when the XSD is broken.
    """
    files = _SchemaFiles(base_path.parent if base_path else Path.cwd())
    main_url = str(base_path) if base_path else None
    files.add(data, name, main_url)
    if files.problems:
        raise SpecError(files.problems)

    # Entities are expanded only now, after ``_SchemaFiles`` made sure every
    # one is internal. libxml2's amplification limit bounds their size.
    parser = new_parser(resolve_entities="internal")
    tree, problems = parse(parser, data, name, base_url=main_url)
    if tree is None:
        raise SpecError(problems)
    root = tree.getroot()
    if root.tag != f"{_XSD}schema":
        message = f"not an XSD: the root element is {root.tag!r}, not xs:schema"
        hint = "give the path of an XSD file: its root element is xs:schema"
        raise SpecError([Diagnostic(location(name, root.sourceline, None), message, hint)])

    resolver = _VettedFileResolver(files)
    parser.resolvers.add(resolver)
    try:
        xsd = etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as exc:
        rejected = [_unexpected_load(url, name) for url in resolver.rejected]
        raise SpecError(rejected + _compile_diagnostics(exc.error_log, files, name)) from exc
    except etree.LxmlError as exc:
        raise SpecError([Diagnostic(Location(name), f"invalid XSD: {exc}")]) from exc
    if resolver.rejected:
        raise SpecError([_unexpected_load(url, name) for url in resolver.rejected])

    logger.debug("compiled XSD %s from %d file(s)", name, max(len(files.contents), 1))
    return Schema(name, xsd, namespace_prefixes(tree))


@dataclass
class _SchemaFiles:
    """The XSD files an XSD names through include, import, redefine and override.

    ``add`` parses each file safely and follows its schema locations, so the
    resolver can serve these bytes, and nothing else, while libxml2 compiles.
    """

    base_folder: Path
    contents: dict[str, bytes] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, data: bytes, name: str, url: str | None) -> None:
        tree, problems = parse(new_parser(), data, name, base_url=url)
        if tree is not None:
            problems = _external_entity_diagnostics(tree, data, name)
        if tree is None or problems:
            self.problems.extend(problems)
            return

        if url is not None:
            self.contents[url] = data
            self.display_names[url] = name
        for uri, prefix in namespace_prefixes(tree).items():
            self.prefixes.setdefault(uri, prefix)
        folder = Path(url).parent if url else self.base_folder
        for element in tree.getroot().iter(*_SCHEMA_REFERENCES):
            self._follow(element, folder, name)

    def _follow(self, element: Any, folder: Path, name: str) -> None:
        schema_location = element.get("schemaLocation")
        if not schema_location:
            return  # an import without a location only declares a namespace

        where = location(name, element.sourceline, None)
        scheme = urlsplit(schema_location).scheme
        if len(scheme) > 1 and scheme != "file":
            self.problems.append(_network_location(schema_location, where))
            return

        if any(character.isspace() or not character.isascii() for character in schema_location):
            self.problems.append(_unescaped_location(schema_location, where))
            return

        # schemaLocation is a URI reference, so "%20" stands for a space.
        path = (folder / unquote(urlsplit(schema_location).path)).resolve()
        if str(path) in self.contents:
            return
        try:
            data = read_file(path)
        except OSError as exc:
            message = f"schema location {schema_location!r} cannot be read: {exc.strerror or exc}"
            hint = f"check the path, which is relative to {folder}"
            self.problems.append(Diagnostic(where, message, hint=hint))
            return
        self.add(data, display_path(path), str(path))


def _external_entity_diagnostics(tree: Any, data: bytes, name: str) -> list[Diagnostic]:
    # Published XSDs (the W3C XML Signature schema among them) declare
    # internal entities, so only external ones, which read files, are rejected.
    docinfo = tree.docinfo
    if docinfo.system_url or docinfo.public_id:
        where = Location(name, *(find_in_bytes(data, "<!DOCTYPE") or (1, 1)))
        message = "the DOCTYPE names an external DTD, which flowspec never loads"
        return [Diagnostic(where, message, hint="remove the DOCTYPE")]

    dtd = docinfo.internalDTD
    external = [e.name for e in dtd.iterentities() if e.system_url] if dtd is not None else []
    if not external:
        return []
    where = Location(name, *(find_in_bytes(data, "<!ENTITY") or (1, 1)))
    message = f"the DOCTYPE declares external entities ({', '.join(external)}), which read files"
    return [Diagnostic(where, message, hint="remove them from the DOCTYPE")]


def _unescaped_location(schema_location: str, where: Location) -> Diagnostic:
    # libxml2 2.14 skips such a location without any message.
    escaped = quote(schema_location, safe="/:")
    return Diagnostic(
        where,
        f"schema location {schema_location!r} is not a valid URI: it contains spaces or "
        "non-ASCII characters, so libxml2 would skip it",
        hint=f"percent-encode them: schemaLocation={escaped!r}",
    )


def _network_location(schema_location: str, where: Location) -> Diagnostic:
    return Diagnostic(
        where,
        f"schema location {schema_location!r} is a URL; flowspec loads schemas only from "
        "local files",
        hint="save the file next to the XSD and point schemaLocation at the local copy",
    )


class _VettedFileResolver(etree.Resolver):  # type: ignore[misc]
    """Serve the files ``_SchemaFiles`` checked, and record any other request."""

    def __init__(self, files: _SchemaFiles) -> None:
        super().__init__()
        self.files = files
        self.rejected: list[str] = []

    def resolve(self, url: str, public_id: str | None, context: Any) -> Any:
        # libxml2 passes a path or a file: URL, percent-escaping spaces and
        # non-ASCII characters.
        path = str(Path(unquote(urlsplit(url).path)).resolve())
        data = self.files.contents.get(path)
        if data is None:
            self.rejected.append(url)
            return self.resolve_string(b"", context, base_url=_REJECTED + url)
        return self.resolve_string(data, context, base_url=path)


def _unexpected_load(url: str, name: str) -> Diagnostic:
    return Diagnostic(
        Location(name),
        f"compiling the XSD requested {url!r}, which is not a schema file named by "
        "include, import, redefine or override, so it was not loaded",
    )


def _compile_diagnostics(error_log: Any, files: _SchemaFiles, name: str) -> list[Diagnostic]:
    diagnostics = []
    for entry in error_log:
        filename = entry.filename or "<string>"
        if entry.level < etree.ErrorLevels.ERROR or filename.startswith(_REJECTED):
            continue  # the empty stand-in served for a rejected request has no useful errors
        file = files.display_names.get(filename, filename)
        if filename == "<string>":
            file = name  # an in-memory XSD compiled without a base path
        diagnostics.append(
            Diagnostic(
                location(file, entry.line, entry.column), readable(entry.message, files.prefixes)
            )
        )
    return unique(diagnostics) or [Diagnostic(Location(name), "invalid XSD")]
