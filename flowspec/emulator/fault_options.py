"""Parse ``--fault KIND[:key=value,...]`` command-line options into fault settings.

Each option is checked against the same schema as the ``faults`` section of a
project file, so both accept exactly the same kinds and keys. List values
(``endpoints``) separate their items with ``+``, e.g.
``--fault rate_limit:first=2,endpoints=start+progress``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowspec.diagnostics import Diagnostic, Location
from flowspec.emulator.faults import FAULT_KINDS, FaultSettings, parse_faults
from flowspec.errors import SpecError
from flowspec.schemas import EMULATOR_PROJECT, load_schema
from flowspec.spec.schema_check import schema_diagnostics
from flowspec.spec.yamlload import parse_yaml

_LIST_KEYS = {"endpoints"}


def faults_from_options(options: Sequence[str]) -> FaultSettings:
    """Return the fault settings of ``--fault`` options; raise ``SpecError`` when invalid."""
    data: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    for option in options:
        try:
            kind, settings = _parse_option(option)
        except ValueError as exc:
            problems.append(_problem(option, str(exc)))
            continue
        data[kind] = settings
        problems += _schema_problems(option, kind, settings)
    if problems:
        raise SpecError(problems)
    return parse_faults(data)


def _parse_option(option: str) -> tuple[str, dict[str, Any]]:
    kind, _, rest = option.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r} (expected one of {', '.join(FAULT_KINDS)})")
    settings: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"invalid setting {item!r}: expected key=value")
        settings[key.strip()] = _value(key.strip(), value.strip())
    return kind, settings


def _value(key: str, text: str) -> Any:
    if key in _LIST_KEYS:
        return [part for part in text.split("+") if part]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def _schema_problems(option: str, kind: str, settings: dict[str, Any]) -> list[Diagnostic]:
    """Check one option's settings with the messages a project file's faults section gets."""
    schema = load_schema(EMULATOR_PROJECT)
    fault_schema = {"$defs": schema["$defs"], **schema["$defs"]["faults"]}
    # JSON is YAML, so the settings become a document that the schema check can read.
    document = parse_yaml(Path(f"--fault {option}"), json.dumps({kind: settings}))
    return [
        _problem(option, diagnostic.message, diagnostic.hint)
        for diagnostic in schema_diagnostics(document, fault_schema)
    ]


def _problem(option: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Location(f"--fault {option}"), message, hint)
