"""Checks of a project file beyond its schema: duplicate ids and references between sections."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from flowspec.diagnostics import Diagnostic
from flowspec.emulator.project_file import ProjectDocument


def check_references(document: ProjectDocument) -> list[Diagnostic]:
    """Return what a schema cannot check: duplicates, references between sections, defaults."""
    data = document.data
    problems: list[Diagnostic] = []
    problems += _duplicates(document, "flows", "id", "flow id")
    problems += _duplicates(document, "datasets", "id", "data set id")
    problems += _duplicates(document, "plugin_datasets", "id", "plug-in data set id")
    problems += _duplicates(document, "users", "username", "username")

    flow_ids = {flow["id"] for flow in data["flows"]}
    dataset_ids = {item["id"] for item in data.get("datasets", [])}
    plugin_ids = {item["id"] for item in data.get("plugin_datasets", [])}
    for index, flow in enumerate(data["flows"]):
        problems += _check_flow(document, index, flow, dataset_ids, plugin_ids)
    for index, user in enumerate(data.get("users", [])):
        for position, flow_id in enumerate(user.get("flows", [])):
            if flow_id not in flow_ids:
                pointer = f"/users/{index}/flows/{position}"
                hint = _known_hint(flow_id, flow_ids, "flows")
                problems.append(
                    document.diagnostic(pointer, f"unknown flow {flow_id!r}", hint=hint)
                )
    problems += _check_api_keys(document)
    return problems


def _check_flow(
    document: ProjectDocument,
    index: int,
    flow: Mapping[str, Any],
    dataset_ids: set[str],
    plugin_ids: set[str],
) -> list[Diagnostic]:
    pointer = f"/flows/{index}"
    input_type = flow.get("input", "none")
    dataset = flow.get("dataset")
    problems: list[Diagnostic] = []
    if input_type == "user" and dataset is None:
        problems.append(
            document.diagnostic(
                pointer,
                f"flow {flow['id']!r} has input 'user' but no dataset",
                hint="name the schema data set its XML input must satisfy",
            )
        )
    if input_type == "user" and dataset is not None and dataset not in dataset_ids:
        hint = _known_hint(dataset, dataset_ids, "datasets")
        message = f"unknown data set {dataset!r}"
        problems.append(document.diagnostic(f"{pointer}/dataset", message, hint=hint))
    if input_type == "plugin" and dataset is not None and dataset not in plugin_ids:
        hint = _known_hint(dataset, plugin_ids, "plugin_datasets")
        message = f"unknown plug-in data set {dataset!r}"
        problems.append(document.diagnostic(f"{pointer}/dataset", message, hint=hint))
    if input_type == "none" and dataset is not None:
        problems.append(
            document.diagnostic(f"{pointer}/dataset", "a flow with input 'none' takes no data set")
        )
    form = flow.get("user_input")
    if form is not None:
        problems += _check_form(document, f"{pointer}/user_input", form)
    return problems


def _known_hint(name: str, known: set[str], section: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if known:
        return f"use one of the ids under {section}: {', '.join(sorted(known))}"
    return f"declare it under {section}"


_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "date": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


def _check_form(
    document: ProjectDocument, pointer: str, form: Mapping[str, Any]
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, item in enumerate(form["fields"]):
        if item["key"] in seen:
            problems.append(
                document.diagnostic(
                    f"{pointer}/fields/{index}/key", f"duplicate key {item['key']!r}"
                )
            )
        seen.add(item["key"])
        if "default" in item and not _fits_type(item["default"], item.get("type", "string")):
            problems.append(
                document.diagnostic(
                    f"{pointer}/fields/{index}/default",
                    f"default {item['default']!r} does not fit the field's type "
                    f"{item.get('type', 'string')!r}",
                )
            )
    return problems


def _fits_type(value: Any, type_name: str) -> bool:
    if value is None:
        return True
    if type_name != "boolean" and isinstance(value, bool):
        return False
    if type_name == "date":
        return isinstance(value, str) or type(value).__name__ == "date"
    return isinstance(value, _DEFAULT_TYPES[type_name])


def _duplicates(document: ProjectDocument, section: str, key: str, noun: str) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, item in enumerate(document.data.get(section, [])):
        if item[key] in seen:
            problems.append(
                document.diagnostic(f"/{section}/{index}/{key}", f"duplicate {noun} {item[key]!r}")
            )
        seen.add(item[key])
    return problems


def _check_api_keys(document: ProjectDocument) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, user in enumerate(document.data.get("users", [])):
        for position, key in enumerate(user.get("api_keys", [])):
            if key in seen:
                pointer = f"/users/{index}/api_keys/{position}"
                # The key itself is a secret, so the message names only its place.
                problems.append(
                    document.diagnostic(pointer, "API key already belongs to another user")
                )
            seen.add(key)
    return problems
