"""Strict YAML loading with source marks, on top of PyYAML.

The documents follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1:
only ``true``/``false`` (any of three spellings) are booleans, ``0o17`` is
octal while ``017`` is decimal, and there are no sexagesimal numbers, dates or
merge keys. Every value keeps its place in the file, found again through a JSON
pointer with ``MarkedDocument.locate``.

PyYAML parses the text into events (with libyaml when it is installed). Our
own composer and builder (in ``yamlnodes``) turn the events into nodes and then
plain Python. They reject what a hand-written config file should never contain:
duplicate keys, several documents, tags of Python objects, tabs as indentation,
deep nesting and alias expansions beyond a fixed bound.
"""

from __future__ import annotations

import contextlib
import gc
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import SpecError
from flowspec.spec.yamlnodes import (
    MAX_DEPTH,
    MAX_NODES,
    Builder,
    Reference,
    compose,
    diagnostic,
    line_column,
    plain_scalar,
    target,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MarkedDocument",
    "Reference",
    "decode",
    "garbage_collection_paused",
    "join_pointer",
    "load_yaml",
    "parse_yaml",
    "plain_scalar",
    "read_bytes",
    "read_text",
    "split_pointer",
]

_BOM = "\ufeff"


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
    node = target(node)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == token:
                return key_node, value_node
        return None
    if isinstance(node, SequenceNode) and token.isdigit() and int(token) < len(node.value):
        return None, node.value[int(token)]
    return None


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
        root = compose(path, text)
        if not isinstance(target(root), MappingNode):
            message = "the top level must be a mapping of keys to values"
            raise SpecError([diagnostic(path, root.start_mark, message)])

        builder = Builder(path)
        data = builder.build(root)
    if builder.diagnostics:
        raise SpecError(builder.diagnostics)
    return MarkedDocument(path, data, root, tuple(builder.references))


@contextlib.contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document's objects are created.

    Loading allocates several objects per value, and almost none becomes garbage
    before the end. Each burst of allocations still triggers a collection that
    walks every object made so far, which took more than half of the loading time
    of a 5,000-entry job file. Cycles made meanwhile are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_text(path: Path) -> str:
    """Read ``path`` as UTF-8 (a byte order mark is dropped), or raise a located ``SpecError``."""
    return decode(path, read_bytes(path))


def read_bytes(path: Path) -> bytes:
    """Read ``path``, or raise ``SpecError`` saying why it cannot be read."""

    def unreadable(message: str) -> SpecError:
        return SpecError([Diagnostic(Location(str(path)), message)])

    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            # Reading a FIFO or a device can block for ever or never end.
            raise unreadable(
                "is not a regular file but a FIFO, socket or device; save it to a file"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise unreadable("file not found") from None
    except IsADirectoryError:
        raise unreadable("is a directory, not a file") from None
    except OSError as exc:
        raise unreadable(f"cannot be read: {exc.strerror or exc}") from None


def decode(path: Path, raw: bytes) -> str:
    """Decode the bytes of ``path`` as UTF-8 without a byte order mark, or raise ``SpecError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_column(raw[: exc.start].decode("utf-8", "replace"), None)
        message = f"invalid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
        hint = "save the file as UTF-8"
        raise SpecError([Diagnostic(Location(str(path), line, column), message, hint)]) from None
    return text[1:] if text.startswith(_BOM) else text
