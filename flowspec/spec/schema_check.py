"""JSON Schema (Draft 2020-12) errors as located diagnostics with plain messages.

jsonschema's own messages are written for programmers (``'x' is not one of
[...]``, a wall of text for ``oneOf``). Here each error names the key it is
about, what was expected and, where a near miss is likely, the closest valid
spelling. Errors under ``oneOf``/``anyOf`` are narrowed to the alternative the
value came closest to.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from yaml.nodes import ScalarNode

from flowspec.diagnostics import Diagnostic
from flowspec.spec.yamlload import MarkedDocument, join_pointer, split_pointer

# jsonschema types the attributes of a ValidationError as possibly unset; the
# errors handled here always have them, so they are read as Any.
_Error = Any

# A value under one of these keys may be a credential, written in the file or
# taken from the environment, so messages show its type but never the value.
_SECRET_KEYS = {"auth", "api_key", "api_keys", "password"}

# Keywords whose messages never quote the value.
_VALUE_FREE_MESSAGES = {"minLength", "minItems", "uniqueItems", "propertyNames"}

_VALIDATORS: dict[str, Draft202012Validator] = {}
_ANNOTATIONS = {"title", "description", "examples", "$comment", "default"}
_MAX_INLINE_DEPTH = 8

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing (null)",
}


def schema_diagnostics(document: MarkedDocument, schema: dict[str, Any]) -> list[Diagnostic]:
    """Validate ``document.data`` against ``schema``; return one located diagnostic per problem."""
    validator = _validator(schema)
    diagnostics: list[Diagnostic] = []
    for error in validator.iter_errors(document.data):
        diagnostics.extend(_diagnostics(document, error))
    return sorted(set(diagnostics))


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    key = schema.get("$id") or json.dumps(schema, sort_keys=True)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator = _VALIDATORS[key] = Draft202012Validator(_inline_refs(schema, schema))
    return validator


def _inline_refs(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """Return ``node`` with each local ``$ref`` replaced by the schema it points to.

    jsonschema looks a ``$ref`` up each time it is met, a third of the time spent
    on a large job file. The job-file schema has no recursive references; a
    schema that has them keeps its references below a fixed depth.
    """
    if isinstance(node, list):
        return [_inline_refs(item, root, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and depth < _MAX_INLINE_DEPTH:
        target = _inline_refs(_resolve_local(root, ref), root, depth + 1)
        siblings = {k: _inline_refs(v, root, depth) for k, v in node.items() if k != "$ref"}
        if set(siblings) <= _ANNOTATIONS and isinstance(target, dict):
            return {**target, **siblings}
        return {**siblings, "allOf": [target]}
    return {key: _inline_refs(value, root, depth) for key, value in node.items()}


def _resolve_local(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for token in split_pointer(ref[1:]):
        node = node[token]
    return node


def _diagnostics(document: MarkedDocument, error: _Error) -> list[Diagnostic]:
    keyword = error.validator
    path = list(error.absolute_path)
    pointer = join_pointer(path)
    if keyword in ("oneOf", "anyOf"):
        return _alternatives(document, error)
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        return [
            _at_key(document, [*path, key], f"unknown key '{key}'", _suggest(key, _known(error)))
            for key in _unexpected(error)
        ]
    if keyword == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in present]
        return [
            _at(document, pointer, f"missing required key '{name}'{_in(path)}") for name in missing
        ]
    if keyword == "dependentRequired":
        return _dependent_required(document, error, path)
    if _may_be_secret(path):
        # Hints are left out because some quote the value.
        return [_at(document, pointer, _secret_message(error, path))]
    return [_at(document, pointer, _message(error, path), _hint(document, error, pointer))]


def _may_be_secret(path: Sequence[str | int]) -> bool:
    return any(part in _SECRET_KEYS for part in path)


def _secret_message(error: _Error, path: list[str | int]) -> str:
    """Describe an invalid value that may be a secret without showing any part of it."""
    if error.validator == "type":
        expected = _type_names(error.validator_value)
        return f"{_name(path)} must be {expected}, not {_kind_only(error.instance)}"
    if error.validator in _VALUE_FREE_MESSAGES:
        return _message(error, path)
    return f"{_name(path)} is invalid (its value is not shown because it may be a secret)"


def _kind_only(instance: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if _JSON_TYPES[kind](instance):
            return name
    return "a value"


def _at(
    document: MarkedDocument, pointer: str, message: str, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(document.locate(pointer), message, hint)


def _at_key(
    document: MarkedDocument, path: Sequence[str | int], message: str, hint: str | None
) -> Diagnostic:
    return Diagnostic(document.locate_key(join_pointer(path)), message, hint)


def _in(path: Sequence[str | int]) -> str:
    return f" in {_describe(path)}" if path else " at the top level"


def _describe(path: Sequence[str | int]) -> str:
    """Return a path as a reader writes it: ``flows[2].input.xml``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = part
    return text or "the top level"


def _name(path: Sequence[str | int]) -> str:
    return f"'{_describe(path)}'" if path else "the document"


def _unexpected(error: _Error) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    known = _known(error)
    return [key for key in instance if key not in known]


def _known(error: _Error) -> list[str]:
    return list(error.schema.get("properties", {}))


def _suggest(value: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(value, [str(choice) for choice in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _dependent_required(
    document: MarkedDocument, error: _Error, path: list[str | int]
) -> list[Diagnostic]:
    diagnostics = []
    for key, needed in error.validator_value.items():
        if key not in error.instance:
            continue
        for name in needed:
            if name not in error.instance:
                message = f"'{key}' needs '{name}'{_in(path)}"
                diagnostics.append(_at_key(document, [*path, key], message, None))
    return diagnostics


def _message(error: _Error, path: list[str | int]) -> str:
    where = _name(path)
    if error.validator == "pattern":
        title = error.schema.get("title", "value")
        examples = error.schema.get("examples")
        expected = f" (expected e.g. {', '.join(examples)})" if examples else ""
        return f"{where}: {_show(error.instance)} is not a valid {title}{expected}"
    template = _MESSAGES.get(error.validator)
    if template is None:
        return f"{where}: {error.message}"
    return template(where, error.validator_value, error.instance)


_MESSAGES: dict[str, Callable[[str, Any, Any], str]] = {
    "type": lambda where, value, instance: (
        f"{where} must be {_type_names(value)}, not {_kind(instance)}"
    ),
    "enum": lambda where, value, instance: (
        f"{where} must be one of {', '.join(map(str, value))}, not {_show(instance)}"
    ),
    "const": lambda where, value, instance: (
        f"{where} must be {_show(value)}, not {_show(instance)}"
    ),
    "minimum": lambda where, value, instance: f"{where} must be at least {value}, not {instance}",
    "maximum": lambda where, value, instance: f"{where} must be at most {value}, not {instance}",
    "minLength": lambda where, value, instance: (
        f"{where} must not be empty"
        if value == 1
        else f"{where} must be at least {value} characters long"
    ),
    "minItems": lambda where, value, instance: (
        f"{where} must contain at least {value} item{'s' if value != 1 else ''}"
    ),
    "uniqueItems": lambda where, value, instance: f"{where} lists an item twice",
    "propertyNames": lambda where, value, instance: f"{where} has an empty key",
}


def _hint(document: MarkedDocument, error: _Error, pointer: str) -> str | None:
    instance = error.instance
    if error.validator == "enum" and isinstance(instance, str):
        return _suggest(instance, error.validator_value)
    if error.validator != "type":
        return None
    if isinstance(instance, str) and "${" in instance:
        return "a quoted ${VAR} stays a string; leave it unquoted to take the value's type"
    if error.schema.get("title") == "duration" and isinstance(instance, (int, float)):
        return f"give a unit: {instance}s, or e.g. {', '.join(error.schema['examples'])}"
    if "string" in error.validator_value and isinstance(instance, (bool, int, float)):
        node = document.node_at(pointer)
        written = node.value if isinstance(node, ScalarNode) else str(instance)
        return f"quote it to keep it text: '{written}'"
    return None


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "string": lambda instance: isinstance(instance, str),
    "integer": lambda instance: isinstance(instance, int) and not isinstance(instance, bool),
    "number": lambda instance: isinstance(instance, float),
    "boolean": lambda instance: isinstance(instance, bool),
    "null": lambda instance: instance is None,
}


def _type_names(value: str | list[str]) -> str:
    names = [value] if isinstance(value, str) else value
    return " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _kind(instance: Any) -> str:
    if isinstance(instance, bool):
        return f"{str(instance).lower()}"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if instance is None:
        return "empty"
    if isinstance(instance, int):
        return f"the integer {instance}"
    if isinstance(instance, float):
        return f"the number {instance}"
    return f"the string {_show(instance)}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _alternatives(document: MarkedDocument, error: _Error) -> list[Diagnostic]:
    """Report a failed ``oneOf``/``anyOf`` by the alternative the value came closest to."""
    path = list(error.absolute_path)
    branches = error.schema[error.validator]
    if all(set(branch) == {"required"} for branch in branches):
        if not isinstance(error.instance, dict):
            return []  # the type error reported beside this one is enough
        return [_one_of_keys(document, error, path, branches)]

    errors_by_branch: dict[Any, list[_Error]] = {}
    for sub in error.context or ():
        errors_by_branch.setdefault(sub.schema_path[0], []).append(sub)
    if not errors_by_branch:
        message = f"{_name(path)} matches more than one of the allowed forms"
        return [_at(document, join_pointer(path), message)]

    top_types = [_top_type(branch) for branch in errors_by_branch.values()]
    if all(top_types):
        expected = " or ".join(dict.fromkeys(_type_names(t) for t in top_types if t))
        kind = _kind_only(error.instance) if _may_be_secret(path) else _kind(error.instance)
        message = f"{_name(path)} must be {expected}, not {kind}"
        return [_at(document, join_pointer(path), message)]

    best = min(errors_by_branch.values(), key=_distance)
    diagnostics: list[Diagnostic] = []
    for sub in best:
        diagnostics.extend(_diagnostics(document, sub))
    return diagnostics


def _top_type(errors: list[_Error]) -> Any:
    """Return the types an alternative expected, when the value has none of them."""
    for error in errors:
        if error.validator == "type" and not error.relative_path:
            return error.validator_value
    return None


def _distance(errors: list[_Error]) -> tuple[int, int, int]:
    """Rank an alternative: a type mismatch at its top is farthest, then fewer, deeper errors."""
    wrong_type = any(e.validator == "type" and not e.relative_path for e in errors)
    depth = max(len(e.absolute_path) for e in errors)
    return (int(wrong_type), len(errors), -depth)


def _one_of_keys(
    document: MarkedDocument,
    error: _Error,
    path: list[str | int],
    branches: list[dict[str, list[str]]],
) -> Diagnostic:
    names = [name for branch in branches for name in branch["required"]]
    listed = " or ".join(f"'{name}'" for name in names)
    present = [name for name in names if name in (error.instance or {})]
    if len(present) > 1:
        message = f"{_name(path)} takes {listed}, not both"
        return _at_key(document, [*path, present[1]], message, None)
    return _at(document, join_pointer(path), f"{_name(path)} needs {listed}")
