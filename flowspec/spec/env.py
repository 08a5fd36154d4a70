"""Environment substitution in job files: ``${VAR}``, ``${VAR:-default}`` and ``$${``.

Substitution happens after YAML parsing, on string values only, so an
environment value can never change the document's structure. An unquoted
scalar that is exactly one reference takes the type its substituted text has
in YAML, so ``concurrency: ${N}`` gives an integer. A quoted one stays a string.

Secrets (``api_key`` and ``password``) may only come from the environment:
their value must be exactly one ``${VAR}`` reference, without a default, and
their value never appears in a message.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowspec.diagnostics import Diagnostic, Location
from flowspec.spec.yamlload import MarkedDocument, Reference, join_pointer, plain_scalar

SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("server", "auth", "api_key"),
    ("server", "auth", "login", "password"),
)
#: What the data contains in place of a secret, so no later message can show one.
MASK = "********"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(rf"\$\$\{{|\$\{{(?:(?P<name>{_NAME})(?::-(?P<default>[^}}]*))?\}})?")
_SECRET_REFERENCE = re.compile(rf"\$\{{(?P<name>{_NAME})\}}")
_SECRET_NAMES = {"api_key": "API key", "password": "password"}


@dataclass(frozen=True)
class Substituted:
    """A document after substitution, with every secret replaced by ``MASK`` in its data.

    ``secrets`` maps each secret's path to its value from the environment.
    """

    document: MarkedDocument
    secrets: dict[tuple[str, ...], str]
    diagnostics: tuple[Diagnostic, ...]


def substitute(document: MarkedDocument, environ: Mapping[str, str]) -> Substituted:
    """Replace every reference in ``document`` with its value from ``environ``."""
    secret_paths = {path for path in SECRET_PATHS if _get(document.data, path) is not _MISSING}
    if not document.references and not secret_paths:
        return Substituted(document, {}, ())

    data = _CopyOnWrite(document.data)
    diagnostics: list[Diagnostic] = []

    for reference in document.references:
        if tuple(reference.path) in secret_paths:
            continue
        data.set(reference.path, _substitute(document, reference, environ, diagnostics))

    secrets: dict[tuple[str, ...], str] = {}
    for path in sorted(secret_paths):
        value = _secret(document, path, environ, diagnostics)
        if value is not None:
            secrets[path] = value
        data.set(path, MASK)
    return Substituted(document.with_data(data.root), secrets, tuple(diagnostics))


def _substitute(
    document: MarkedDocument,
    reference: Reference,
    environ: Mapping[str, str],
    diagnostics: list[Diagnostic],
) -> Any:
    raw = str(reference.node.value)
    pieces: list[str] = []
    position = 0
    for match in _TOKEN.finditer(raw):
        pieces.append(raw[position : match.start()])
        position = match.end()
        if match.group(0) == "$${":
            pieces.append("${")
            continue
        name = match.group("name")
        if name is None:
            message = "invalid ${...} reference: expected ${NAME} or ${NAME:-default}"
            hint = "write $${ for a literal ${"
            diagnostics.append(_diagnostic(document, reference, match.start(), message, hint))
            continue
        value = environ.get(name)
        default = match.group("default")
        if not value and default is not None:
            value = default
        if value is None:
            message = f"environment variable {name} is not set"
            hint = f"set it, or give a default: ${{{name}:-value}}"
            diagnostics.append(_diagnostic(document, reference, match.start(), message, hint))
            value = ""
        pieces.append(value)
    pieces.append(raw[position:])
    text = "".join(pieces)

    whole = _TOKEN.fullmatch(raw)
    if reference.node.style is None and whole is not None and whole.group("name"):
        return plain_scalar(text)
    return text


def _secret(
    document: MarkedDocument,
    path: tuple[str, ...],
    environ: Mapping[str, str],
    diagnostics: list[Diagnostic],
) -> str | None:
    pointer = join_pointer(path)
    location = document.locate(pointer)
    raw = _get(document.data, path)
    match = _SECRET_REFERENCE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        message = f"'{path[-1]}' must come from the environment: write it as ${{VARIABLE}}"
        hint = "never write a secret in a job file; remove it from the file and its Git history"
        diagnostics.append(Diagnostic(location, message, hint))
        return None

    name = match.group("name")
    value = environ.get(name)
    if value is None:
        message = f"environment variable {name} is not set (it holds '{path[-1]}')"
        diagnostics.append(Diagnostic(location, message, f"set {name} before running flowspec"))
        return None
    if not value:
        message = f"environment variable {name} is empty (it holds '{path[-1]}')"
        hint = f"set {name} to the {_SECRET_NAMES.get(str(path[-1]), 'secret')}"
        diagnostics.append(Diagnostic(location, message, hint))
        return None
    if path[-1] == "api_key" and not _fits_header(value):
        # The key travels in the X-API-Key header, which HTTP limits to visible ASCII.
        message = (
            f"environment variable {name} (it holds 'api_key') contains whitespace, control"
            " characters or non-ASCII characters, which an HTTP header cannot carry"
        )
        hint = f"check how {name} is set: a copied key often picks up a newline or a space"
        diagnostics.append(Diagnostic(location, message, hint))
        return None
    return value


def _fits_header(value: str) -> bool:
    return all("!" <= character <= "~" for character in value)


def _diagnostic(
    document: MarkedDocument, reference: Reference, offset: int, message: str, hint: str
) -> Diagnostic:
    """Locate a problem at ``offset`` in the scalar, when the scalar is on one line."""
    location = document.locate(join_pointer(reference.path))
    node = reference.node
    one_line = node.start_mark.line == node.end_mark.line and node.style in (None, "'", '"')
    if location.column is not None and one_line:
        column = location.column + (0 if node.style is None else 1) + offset
        location = Location(location.file, location.line, column, location.pointer)
    return Diagnostic(location, message, hint)


class _Missing:
    pass


_MISSING = _Missing()


def _get(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and isinstance(part, str) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
        else:
            return _MISSING
    return data


class _CopyOnWrite:
    """Sets values deep in nested data, copying only the containers on the way.

    The document's own data stays as it was, and a large file with a few
    references costs a few shallow copies instead of a deep copy.
    """

    def __init__(self, root: Any) -> None:
        self.root = copy.copy(root)
        self._copied = {id(self.root)}

    def set(self, path: Sequence[str | int], value: Any) -> None:
        node = self.root
        for part in path[:-1]:
            child = node[part]
            if id(child) not in self._copied:
                child = node[part] = copy.copy(child)
                self._copied.add(id(child))
            node = child
        node[path[-1]] = value
