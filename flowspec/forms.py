"""Answering a ``UserInput`` form from an entry's ``answers``, checked against the form's schema.

A form arrives as three parts of the progress: ``schema`` (a JSON Schema whose
``properties`` are the field keys), ``form`` (display groups whose ``items``
carry each field's ``key`` and ``title``) and ``model`` (the default values).
Users write answers by key or by title, so both are accepted here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormAnswer:
    """The values to send for one form, or the problems that keep it from being answered."""

    values: dict[str, Any]
    problems: tuple[str, ...] = ()
    #: Names in ``answers`` that matched a field of this form, by key or title.
    used: frozenset[str] = frozenset()
    #: Every field of this form, described as ``'Title' (key K)``.
    fields: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the values satisfy the form and may be sent."""
        return not self.problems


def answer_form(
    schema: dict[str, Any] | None,
    form: Any,
    defaults: Mapping[str, Any] | None,
    answers: Mapping[str, Any],
) -> FormAnswer:
    """Build the answer to a form from ``answers`` (by key or title) and the form's defaults.

    A required field with neither an answer nor a default, and any value the
    schema rejects, becomes a problem that names the field by title and key.
    """
    schema = schema or {}
    titles = field_titles(form)
    properties = schema.get("properties")
    keys = list(properties) if isinstance(properties, dict) else list(titles)
    required = schema.get("required")
    required_keys = set(required) if isinstance(required, list) else set()

    values: dict[str, Any] = {}
    missing: list[str] = []
    for key in keys:
        found, value = _lookup(key, titles.get(key), answers, defaults or {}, properties)
        if found:
            values[key] = to_json_value(value)
        elif key in required_keys:
            missing.append(describe_field(key, titles))
    used = _used_names(answers, keys, titles)
    fields = tuple(describe_field(key, titles) for key in keys)

    if missing:
        problem = f"no answer and no default for {', '.join(missing)}"
        unmatched = sorted(str(name) for name in answers if name not in used)
        if unmatched:
            # Most often one of these is the missing field, misspelt.
            problem += f" (answers that matched no field: {', '.join(map(repr, unmatched))})"
        return FormAnswer(values, (problem,), used, fields)
    return FormAnswer(values, tuple(_schema_problems(schema, values, titles)), used, fields)


def field_titles(form: Any) -> dict[str, str]:
    """Return each field's title by key, from form items nested in groups at any depth."""
    titles: dict[str, str] = {}
    for item in _walk_items(form):
        key, title = item.get("key"), item.get("title")
        if isinstance(key, str) and isinstance(title, str):
            titles.setdefault(key, title)
    return titles


def _walk_items(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from _walk_items(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk_items(child)


def _lookup(
    key: str,
    title: str | None,
    answers: Mapping[str, Any],
    defaults: Mapping[str, Any],
    properties: Any,
) -> tuple[bool, Any]:
    if key in answers:
        return True, answers[key]
    if title is not None and title in answers:
        return True, answers[title]
    if key in defaults and defaults[key] is not None:
        return True, defaults[key]
    field_schema = properties.get(key) if isinstance(properties, dict) else None
    if isinstance(field_schema, dict) and "default" in field_schema:
        return True, field_schema["default"]
    return False, None


def to_json_value(value: Any) -> Any:
    """Convert YAML values JSON cannot carry: dates and times become ISO 8601 strings."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    return value


def describe_field(key: str, titles: Mapping[str, str]) -> str:
    """Return ``'Title' (key K)`` for a field with a title, else ``key K``."""
    title = titles.get(key)
    return f"{title!r} (key {key})" if title else f"key {key}"


def _schema_problems(
    schema: dict[str, Any], values: dict[str, Any], titles: Mapping[str, str]
) -> Iterator[str]:
    validator_class = validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except SchemaError as exc:
        yield f"the server sent a form schema that is not valid JSON Schema: {exc.message}"
        return

    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())
    for error in sorted(validator.iter_errors(values), key=lambda error: list(error.path)):
        if error.path:
            where = describe_field(str(error.path[0]), titles)
            yield f"invalid answer for {where}: {error.message}"
        else:
            yield f"invalid answers: {error.message}"


def _used_names(
    answers: Mapping[str, Any], keys: list[str], titles: Mapping[str, str]
) -> frozenset[str]:
    known = set(keys) | {titles[key] for key in keys if key in titles}
    return frozenset(name for name in answers if name in known)


def unused_answers_message(
    answers: Mapping[str, Any], used: set[str], fields: list[str]
) -> str | None:
    """Describe the answers that no form of the execution had a field for, or return ``None``.

    A typo in an answer's name would otherwise leave the field at its default
    without a word, so the run records this message and logs it as a warning.
    """
    unused = sorted(str(name) for name in answers if name not in used)
    if not unused:
        return None
    names = ", ".join(repr(name) for name in unused)
    return f"answers matched no form field: {names}; the forms had {', '.join(fields)}"
