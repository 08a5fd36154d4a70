"""Check a start request against the flow's input type and turn it into a ``StartInput``."""

from __future__ import annotations

from typing import Any

from flowspec.emulator.errors import bad_request
from flowspec.emulator.executions import StartInput
from flowspec.emulator.project import Flow, Project
from flowspec.emulator.xmlinput import xml_problems

_PLUGIN_KEYS = {"id", "entity", "userId", "organizationUniqueName"}


def start_input(
    project: Project,
    flow: Flow,
    *,
    skip_user_input: bool,
    dataset_id: str | None,
    body: bytes,
    content_type: str,
) -> StartInput:
    """Return what the execution starts with; raise 400 when the request does not fit the flow."""
    if flow.input_type == "plugin":
        payload = _plugin_payload(project, flow, dataset_id, body)
        return StartInput(
            "start" if skip_user_input else "plugin", plugin=payload, dataset_id=dataset_id
        )
    if dataset_id is not None:
        raise bad_request(
            f"flow {flow.id} has input type {flow.input_type!r}: "
            "a datasetId (plug-in start) fits only flows with input type 'plugin'"
        )
    if flow.input_type == "user":
        xml = _xml_body(project, flow, body, content_type)
        return StartInput("start" if skip_user_input else "xml", xml=xml)
    # Flows without input ignore any body they are sent.
    return StartInput("start" if skip_user_input else "none")


def _xml_body(project: Project, flow: Flow, body: bytes, content_type: str) -> bytes:
    if not body.strip():
        raise bad_request(
            f"flow {flow.id} has input type 'user': "
            f"send XML that satisfies data set {flow.dataset} as the body"
        )
    if "xml" not in content_type.lower():
        raise bad_request(
            f"invalid Content-Type {content_type or '(none)'!r} for an XML body: "
            'send application/xml; charset="utf-8"'
        )
    dataset = project.datasets[flow.dataset or ""]
    problems = xml_problems(dataset.schema, body)
    if problems:
        raise bad_request(f"the XML does not satisfy data set {dataset.id}: " + "; ".join(problems))
    return body


def _plugin_payload(
    project: Project, flow: Flow, dataset_id: str | None, body: bytes
) -> dict[str, Any]:
    if dataset_id is None:
        raise bad_request(
            f"flow {flow.id} has input type 'plugin': send the datasetId query parameter"
        )
    dataset = project.plugin_datasets.get(dataset_id)
    if dataset is None or (flow.dataset is not None and flow.dataset != dataset_id):
        raise bad_request(f"data set {dataset_id} is not a plug-in data set of flow {flow.id}")

    import json

    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the plug-in body is not valid JSON: {exc}") from exc
    _check_plugin_payload(payload)
    if payload["entity"] != dataset.entity:
        raise bad_request(
            f"entity {payload['entity']!r} does not match data set {dataset_id} "
            f"(expected {dataset.entity!r})"
        )
    return dict(payload)


def _check_plugin_payload(payload: Any) -> None:
    expected = 'expected {"id": ["record", ...], "entity": "...", "userId": "..."}'
    if not isinstance(payload, dict):
        raise bad_request(f"invalid plug-in body: {expected}")
    unknown = sorted(set(payload) - _PLUGIN_KEYS)
    if unknown:
        raise bad_request(f"invalid plug-in body: unknown keys {', '.join(unknown)}; {expected}")
    ids = payload.get("id")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise bad_request(
            f"invalid plug-in body: 'id' must be a non-empty list of strings; {expected}"
        )
    for key in ("entity", "userId"):
        if not isinstance(payload.get(key), str) or not payload[key]:
            raise bad_request(f"invalid plug-in body: missing '{key}'; {expected}")
    organization = payload.get("organizationUniqueName")
    if organization is not None and not isinstance(organization, str):
        raise bad_request("invalid plug-in body: 'organizationUniqueName' must be a string")
