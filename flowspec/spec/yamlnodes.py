"""From YAML text to nodes and plain Python: the strict core of ``yamlload``.

PyYAML parses the text into events (with libyaml when it is installed). The
composer here turns events into nodes without recursion, keeping aliases and
bounding nesting; the builder turns nodes into plain Python under the YAML 1.2
core schema, counting every value it makes so that alias bombs stop early.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError
from flowspec.spec.yamlhints import syntax_hint

# An alias bomb ("billion laughs") expands a few lines into billions of values.
# Counting every key and value built, aliases each time they are expanded, stops
# it after this many. The 5,000-entry benchmark job file counts about 105,000.
MAX_NODES = 1_000_000

# Deeper nesting than any job file needs; it also keeps the builder's recursion shallow.
MAX_DEPTH = 64

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


def target(node: Node) -> Node:
    while isinstance(node, AliasNode):
        node = node.value
    return node


def plain_scalar(text: str) -> Any:
    """Return what ``text`` means as an unquoted YAML scalar (``8`` gives 8, ``true`` True)."""
    tag = _CORE.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    node = ScalarNode(tag, text)
    builder = Builder(Path())
    value = builder.build(node)
    return text if builder.diagnostics else value


def line_column(text: str, index: int | None) -> tuple[int, int]:
    before = text if index is None else text[:index]
    line = before.count("\n") + 1
    return line, len(before) - (before.rfind("\n") + 1) + 1


def compose(path: Path, text: str) -> Node:
    parser = _PARSER(text)
    try:
        root = _Composer(path, parser).compose()
    except yaml.MarkedYAMLError as exc:
        raise SpecError([_yaml_error(path, text, exc)]) from None
    except yaml.reader.ReaderError as exc:
        line, column = line_column(text, exc.position)
        message = f"character {_describe_char(exc.character)} is not allowed in YAML"
        raise SpecError([Diagnostic(Location(str(path), line, column), message)]) from None
    except yaml.YAMLError as exc:  # PyYAML's other errors carry no position
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
            message = "the file contains more than one YAML document (a second '---' or '...')"
            raise SpecError([diagnostic(self.path, event.start_mark, message)])
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
            raise SpecError([diagnostic(self.path, event.start_mark, message)])

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
            raise SpecError([diagnostic(self.path, event.start_mark, message)])
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
    if _line(text, mark.line)[mark.column : mark.column + 1] == "\t":
        message = "tab character where YAML does not allow one; indent with spaces"
    hint = _flow_reference_hint(text, exc) or syntax_hint(exc)
    return Diagnostic(_location(path, mark), message, hint)


def _flow_reference_hint(text: str, exc: yaml.MarkedYAMLError) -> str | None:
    """Return a hint when an unquoted ``${VAR}`` inside ``{ }`` or ``[ ]`` broke the syntax."""
    marks = [mark for mark in (exc.context_mark, exc.problem_mark) if mark is not None]
    if "flow" not in str(exc) or not any("${" in _line(text, mark.line) for mark in marks):
        return None
    return "inside { } or [ ], quote ${VAR} references: '${VAR}'"


def _line(text: str, line: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line] if line < len(lines) else ""


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


def diagnostic(path: Path, mark: Any, message: str) -> Diagnostic:
    return Diagnostic(_location(path, mark), message)


def _location(path: Path, mark: Any) -> Location:
    """Return the place of a PyYAML mark, whose line and column count from 0."""
    return Location(str(path), mark.line + 1, mark.column + 1)


class Builder:
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
            raise SpecError([diagnostic(self.path, node.start_mark, message)])
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
            self.diagnostics.append(diagnostic(self.path, node.start_mark, message))
            return None
        if len(self._path) >= 2 * MAX_DEPTH:
            message = f"aliases nest values more than {2 * MAX_DEPTH} levels deep"
            raise SpecError([diagnostic(self.path, node.start_mark, message)])
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
                self.diagnostics.append(diagnostic(self.path, key_node.start_mark, message))
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
            self.diagnostics.append(diagnostic(self.path, node.start_mark, message))
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
        self.diagnostics.append(diagnostic(self.path, node.start_mark, message))
        return str(node.value)

    def _unsupported_tag(self, node: Node) -> None:
        message = f"unsupported tag '{node.tag}': job files contain only plain YAML values"
        self.diagnostics.append(diagnostic(self.path, node.start_mark, message))
