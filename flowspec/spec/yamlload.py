"""Strict YAML loading with source marks, on top of PyYAML.

The documents follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1:
only ``true``/``false`` (any of three spellings) are booleans, ``0o17`` is
octal while ``017`` is decimal, and there are no sexagesimal numbers, dates or
merge keys. Every value keeps its place in the file, found again through a JSON
pointer with ``MarkedDocument.locate``.

PyYAML composes the document into nodes (libyaml does it when available); our
own constructor turns nodes into plain Python, rejecting what a hand-written
config file should never contain: duplicate keys, several documents, tags of
Python objects, tabs as indentation and alias expansions beyond a fixed bound.
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError

# An alias bomb ("billion laughs") expands a few lines into billions of nodes.
# Counting every constructed node, aliases each time they are expanded, stops it
# after this many; a 5,000-entry job file has about 60,000.
MAX_NODES = 1_000_000

# Deeper nesting than any job file needs; it also keeps the builder's recursion shallow.
MAX_DEPTH = 64

_BOM = "\ufeff"
_TAG = "tag:yaml.org,2002:"


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit tags of the YAML 1.2 core schema (plain scalars only)."""


_CORE_IMPLICIT = {
    "null": (r"~|null|Null|NULL|", "~nN"),
    "bool": (r"true|True|TRUE|false|False|FALSE", "tTfF"),
    "int": (r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    "float": (
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+.0123456789",
    ),
}
for _name, (_pattern, _first) in _CORE_IMPLICIT.items():
    _first_chars: list[str | None] = list(_first)
    if _name == "null":
        _first_chars.append("")
    _CoreResolver.add_implicit_resolver(_TAG + _name, re.compile(f"^(?:{_pattern})$"), _first_chars)


def _parser_class() -> type[Any]:
    """Return an event parser class with the core resolver, libyaml's when present."""
    if getattr(yaml, "__with_libyaml__", False):

        class _CParser(yaml.cyaml.CParser, _CoreResolver):  # type: ignore[misc,name-defined]
            def __init__(self, stream: str) -> None:
                yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]
                _CoreResolver.__init__(self)

        return _CParser

    class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _CoreResolver):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _CoreResolver.__init__(self)

    return _PyParser


_PARSER = _parser_class()
_CORE = _CoreResolver()


class AliasNode(Node):
    """A ``*alias``: ``value`` is the anchored node, ``start_mark`` where the alias is written."""

    id = "alias"


@dataclass(frozen=True)
class Reference:
    """A string scalar that contains ``${``: where it is, and how it was written."""

    path: tuple[str | int, ...]
    node: ScalarNode


@dataclass(frozen=True)
class MarkedDocument:
    """A loaded YAML document: plain Python ``data`` plus the nodes that locate every value.

    ``references`` lists the string scalars that contain ``${``, for the
    environment substitution that job files apply on top.
    """

    path: Path
    data: Any
    root: Node = field(repr=False)
    references: tuple[Reference, ...] = ()

    def with_data(self, data: Any) -> MarkedDocument:
        """Return the same document with other ``data`` (e.g. after substitution)."""
        return replace(self, data=data)

    def locate(self, pointer: str) -> Location:
        """Return where the value at JSON ``pointer`` is; the parent mapping's place if missing."""
        node, _, _ = self._walk(pointer)
        return self._location(node.start_mark, pointer)

    def locate_key(self, pointer: str) -> Location:
        """Return where the key of the value at ``pointer`` is, or the value's place."""
        node, key_node, _ = self._walk(pointer)
        return self._location((key_node or node).start_mark, pointer)

    def node_at(self, pointer: str) -> Node | None:
        """Return the node at ``pointer``, or None when the path does not reach one."""
        node, _, complete = self._walk(pointer)
        return node if complete else None

    def _walk(self, pointer: str) -> tuple[Node, Node | None, bool]:
        node: Node = self.root
        key_node: Node | None = None
        for token in split_pointer(pointer):
            found = _child(node, token)
            if found is None:
                return node, key_node, False
            key_node, node = found
        return node, key_node, True

    def _location(self, mark: Any, pointer: str) -> Location:
        return Location(str(self.path), mark.line + 1, mark.column + 1, pointer or "/")


def split_pointer(pointer: str) -> list[str]:
    """Split a JSON pointer (RFC 6901) into its unescaped tokens."""
    if not pointer or pointer == "/":
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def join_pointer(path: Sequence[str | int]) -> str:
    """Build a JSON pointer from a path of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _child(node: Node, token: str) -> tuple[Node | None, Node] | None:
    """Return (key node, value node) of ``token`` in ``node``, seen through aliases."""
    node = _target(node)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == token:
                return key_node, value_node
        return None
    if isinstance(node, SequenceNode) and token.isdigit() and int(token) < len(node.value):
        return None, node.value[int(token)]
    return None


def _target(node: Node) -> Node:
    while isinstance(node, AliasNode):
        node = node.value
    return node


def load_yaml(path: Path) -> MarkedDocument:
    """Load one strict YAML document whose top level is a mapping.

    Raises ``SpecError`` with located diagnostics for anything malformed:
    unreadable or non-UTF-8 bytes, YAML syntax, tabs as indentation, several
    documents, an empty file, a non-mapping top level, nesting deeper than
    ``MAX_DEPTH``, duplicate keys, unsupported tags and alias expansions beyond
    ``MAX_NODES``.
    """
    text = read_text(path)
    return parse_yaml(path, text)


def parse_yaml(path: Path, text: str) -> MarkedDocument:
    """Parse ``text`` as the contents of ``path``; see ``load_yaml``."""
    with garbage_collection_paused():
        root = _compose(path, text)
        if not isinstance(_target(root), MappingNode):
            message = "the top level must be a mapping of keys to values"
            raise SpecError([_diagnostic(path, root.start_mark, message)])

        builder = _Builder(path)
        data = builder.build(root)
    if builder.diagnostics:
        raise SpecError(builder.diagnostics)
    return MarkedDocument(path, data, root, tuple(builder.references))


@contextlib.contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document's objects are created.

    Loading allocates several objects per value and almost none becomes garbage
    before the end, yet each burst of allocations triggers a collection that
    walks every object made so far: on a 5,000-entry job file, more than half of
    the loading time. Cycles made meanwhile are collected once it is enabled again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plain_scalar(text: str) -> Any:
    """Return what ``text`` means as an unquoted YAML scalar (``8`` gives 8, ``true`` True)."""
    tag = _CORE.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    node = ScalarNode(tag, text)
    builder = _Builder(Path())
    value = builder.build(node)
    return text if builder.diagnostics else value


def read_text(path: Path) -> str:
    """Read ``path`` as UTF-8 (a byte order mark is dropped), or raise a located ``SpecError``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Diagnostic(Location(str(path)), "file not found")]) from None
    except IsADirectoryError:
        raise SpecError([Diagnostic(Location(str(path)), "is a directory, not a file")]) from None
    except OSError as exc:
        message = f"cannot be read: {exc.strerror or exc}"
        raise SpecError([Diagnostic(Location(str(path)), message)]) from None
    return decode(path, raw)


def decode(path: Path, raw: bytes) -> str:
    """Decode the bytes of ``path`` as UTF-8 without a byte order mark, or raise ``SpecError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column(raw[: exc.start].decode("utf-8", "replace"), None)
        message = f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at this place"
        hint = "save the file as UTF-8"
        raise SpecError([Diagnostic(Location(str(path), line, column), message, hint)]) from None
    return text[1:] if text.startswith(_BOM) else text


def _line_column(text: str, index: int | None) -> tuple[int, int]:
    before = text if index is None else text[:index]
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def _compose(path: Path, text: str) -> Node:
    parser = _PARSER(text)
    try:
        root = _Composer(path, parser).compose()
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_yaml_error(path, text, exc)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        message = f"character {_describe_char(exc.character)} is not allowed in YAML"
        raise SpecError([Diagnostic(Location(str(path), line, column), message)]) from None
    except yaml.YAMLError as exc:  # NOTE: PyYAML's other errors carry no position.
        raise SpecError([Diagnostic(Location(str(path)), f"invalid YAML: {exc}")]) from None
    finally:
        parser.dispose()

    if root is None:
        raise SpecError([Diagnostic(Location(str(path), 1, 1), "the file has no YAML document")])
    _check_tabs(path, text)
    return root


class _Composer:
    """Composes parser events into nodes without recursion, so deep nesting cannot crash.

    Unlike PyYAML's composer it keeps aliases as ``AliasNode``, so the place an
    alias is used can be reported, and it bounds nesting at ``MAX_DEPTH``.
    """

    def __init__(self, path: Path, parser: Any) -> None:
        self.path = path
        self.parser = parser
        self.anchors: dict[str, Node] = {}
        # Open collections, each with the key node still waiting for its value.
        self.stack: list[list[Any]] = []

    def compose(self) -> Node | None:
        parser = self.parser
        parser.get_event()  # stream start
        if parser.check_event(yaml.StreamEndEvent):
            return None
        parser.get_event()  # document start

        root: Node | None = None
        while root is None:
            root = self._step(parser.get_event())
        parser.get_event()  # document end

        if not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()
            message = "the file holds more than one YAML document (a second '---' or '...')"
            raise SpecError([_diagnostic(self.path, event.start_mark, message)])
        return root

    def _step(self, event: Any) -> Node | None:
        """Take one event; return the root node once it is complete."""
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            node = self.stack.pop()[0]
            node.end_mark = event.end_mark
        elif isinstance(event, yaml.AliasEvent):
            node = self._alias(event)
        elif isinstance(event, yaml.ScalarEvent):
            node = self._scalar(event)
        else:
            self._open(event)
            return None
        return self._attach(node)

    def _attach(self, node: Node) -> Node | None:
        if not self.stack:
            return node
        top = self.stack[-1]
        parent = top[0]
        if isinstance(parent, SequenceNode):
            parent.value.append(node)
        elif top[1] is None:
            top[1] = node
        else:
            parent.value.append((top[1], node))
            top[1] = None
        return None

    def _open(self, event: Any) -> None:
        if len(self.stack) >= MAX_DEPTH:
            message = f"values are nested more than {MAX_DEPTH} levels deep"
            raise SpecError([_diagnostic(self.path, event.start_mark, message)])

        kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self._anchor(event, node)
        self.stack.append([node, None])

    def _scalar(self, event: Any) -> ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(ScalarNode, event.value, event.implicit)
        # libyaml gives plain scalars the style '', PyYAML's own parser None.
        style = event.style or None
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=style)
        self._anchor(event, node)
        return node

    def _alias(self, event: Any) -> AliasNode:
        target = self.anchors.get(event.anchor)
        if target is None:
            message = f"alias '*{event.anchor}' refers to no anchor '&{event.anchor}' before it"
            raise SpecError([_diagnostic(self.path, event.start_mark, message)])
        return AliasNode("alias", target, event.start_mark, event.end_mark)

    def _anchor(self, event: Any, node: Node) -> None:
        # YAML 1.2 lets a later anchor of the same name replace an earlier one.
        if event.anchor is not None:
            self.anchors[event.anchor] = node


def _describe_char(character: Any) -> str:
    if isinstance(character, int):
        return f"0x{character:02x}"
    return f"U+{ord(character):04X}" if isinstance(character, str) and character else "?"


def _yaml_error(path: Path, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        message = f"{exc.problem} ({exc.context} at line {exc.context_mark.line + 1})"
    if mark is None:
        return Diagnostic(Location(str(path)), message)
    if _char_at(text, mark.line, mark.column) == "\t":
        message = "tab character where YAML does not allow one; indent with spaces"
    return _diagnostic(path, mark, message)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    if line >= len(lines) or column >= len(lines[line]):
        return ""
    return lines[line][column]


_TAB_LINE = re.compile(r"^ *\t", re.MULTILINE)


def _check_tabs(path: Path, text: str) -> None:
    """Reject tabs in the indentation before a token (block scalar content is not indentation)."""
    if not _TAB_LINE.search(text):
        return

    lines = text.splitlines()
    scanner = _PARSER(text)
    try:
        while scanner.check_token():
            mark = scanner.get_token().start_mark
            before = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
            if "\t" in before and not before.strip(" \t"):
                column = before.index("\t") + 1
                message = "tab character used for indentation; indent with spaces"
                raise SpecError([Diagnostic(Location(str(path), mark.line + 1, column), message)])
    finally:
        scanner.dispose()


def _diagnostic(path: Path, mark: Any, message: str) -> Diagnostic:
    return Diagnostic(Location(str(path), mark.line + 1, mark.column + 1), message)


class _Builder:
    """Turns composed nodes into plain Python, collecting diagnostics instead of stopping."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.references: list[Reference] = []
        self.count = 0
        self._path: list[str | int] = []
        self._open: set[int] = set()
        self._scalars: dict[str, Callable[[ScalarNode], Any]] = {
            _TAG + "str": lambda node: node.value,
            _TAG + "null": lambda node: None,
            _TAG + "bool": lambda node: node.value.lower() == "true",
            _TAG + "int": self._int,
            _TAG + "float": self._float,
        }

    def build(self, node: Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            message = f"the document expands to more than {MAX_NODES:,} values (an alias bomb?)"
            raise SpecError([_diagnostic(self.path, node.start_mark, message)])
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, AliasNode):
            return self._alias(node)
        if isinstance(node, SequenceNode):
            return self._sequence(node)
        return self._mapping(cast(MappingNode, node))

    def _alias(self, node: AliasNode) -> Any:
        if id(node.value) in self._open:
            message = "this alias refers to a collection that contains it"
            self.diagnostics.append(_diagnostic(self.path, node.start_mark, message))
            return None
        if len(self._path) >= 2 * MAX_DEPTH:
            message = f"aliases nest values more than {2 * MAX_DEPTH} levels deep"
            raise SpecError([_diagnostic(self.path, node.start_mark, message)])
        return self.build(node.value)

    def _scalar(self, node: ScalarNode) -> Any:
        convert = self._scalars.get(node.tag)
        if convert is None:
            self._unsupported_tag(node)
            return node.value
        value = convert(node)
        if isinstance(value, str) and "${" in value:
            self.references.append(Reference(tuple(self._path), node))
        return value

    def _sequence(self, node: SequenceNode) -> list[Any]:
        if node.tag != _TAG + "seq":
            self._unsupported_tag(node)
        self._open.add(id(node))
        items: list[Any] = []
        path = self._path
        for index, child in enumerate(node.value):
            path.append(index)
            items.append(self.build(child))
            path.pop()
        self._open.discard(id(node))
        return items

    def _mapping(self, node: MappingNode) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            self._unsupported_tag(node)
        self._open.add(id(node))
        mapping: dict[str, Any] = {}
        path = self._path
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if key in mapping:
                message = f"duplicate key '{key}' (each key may appear once in a mapping)"
                self.diagnostics.append(_diagnostic(self.path, key_node.start_mark, message))
                continue
            path.append(key)
            mapping[key] = self.build(value_node)
            path.pop()
        self._open.discard(id(node))
        return mapping

    def _key(self, node: Node) -> str | None:
        self.count += 1
        if not isinstance(node, ScalarNode):
            message = "a mapping key must be a single value, not a list, mapping or alias"
            self.diagnostics.append(_diagnostic(self.path, node.start_mark, message))
            return None
        # Keys stay as written: JSON objects, and so the schema, have string keys only.
        return str(node.value)

    def _int(self, node: ScalarNode) -> int | str:
        text = node.value
        try:
            if text.startswith("0o"):
                return int(text[2:], 8)
            if text.startswith("0x"):
                return int(text[2:], 16)
            return int(text, 10)
        except ValueError:
            return self._not_a(node, "an integer")

    def _float(self, node: ScalarNode) -> float | str:
        text = node.value.lower()
        if text.endswith(".inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text.endswith(".nan"):
            return math.nan
        try:
            return float(text)
        except ValueError:
            return self._not_a(node, "a number")

    def _not_a(self, node: ScalarNode, kind: str) -> str:
        message = f"'{node.value}' is tagged as {kind} but is not one"
        self.diagnostics.append(_diagnostic(self.path, node.start_mark, message))
        return str(node.value)

    def _unsupported_tag(self, node: Node) -> None:
        message = f"unsupported tag '{node.tag}': job files hold only plain YAML values"
        self.diagnostics.append(_diagnostic(self.path, node.start_mark, message))
