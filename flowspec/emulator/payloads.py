"""JSON bodies the emulator sends, shaped as the Smart Flows API sends them."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any, TypedDict

from flowspec.emulator.executions import Execution, Progress
from flowspec.emulator.project import DataSet, Flow, PluginDataSet, Project, UserInputForm
from flowspec.emulator.store import ExecutionStore, StoredDocument


class Reference(TypedDict):
    """A reference to another object: ``{id, displayName}``."""

    id: str
    displayName: str


class ProgressPayload(TypedDict, total=False):
    """The body of the progress endpoints and of a start response."""

    id: str
    percentage: int
    message: str
    status: str
    currentData: Reference
    schema: dict[str, Any]
    form: list[dict[str, Any]]
    model: dict[str, Any]


def iso(moment: datetime) -> str:
    """Format a UTC time as ISO 8601 with milliseconds and ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def flow_reference(flow: Flow) -> Reference:
    """Return ``{id, displayName}`` of a flow."""
    return {"id": flow.id, "displayName": flow.display_name}


def flow_payload(project: Project, flow: Flow) -> dict[str, Any]:
    """Return the flow definition of ``GET /api/v1/flows/{id}``."""
    flow_input: dict[str, Any] = {"id": flow.id, "type": flow.input_type}
    dataset = _input_dataset(project, flow)
    if dataset is not None:
        flow_input["dataset"] = dataset
        flow_input["displayName"] = dataset["displayName"]
    outputs = [
        {"id": f"{flow.id}-output-{name}", "displayName": name, "type": "user"}
        for name in flow.outputs
    ]
    return {
        "id": flow.id,
        "displayName": flow.display_name,
        "description": flow.description,
        "type": "advanced",
        "input": flow_input,
        "primaryEntity": _primary_entity(project, flow),
        "primaryTemplate": {
            "id": f"{flow.id}-template",
            "displayName": f"{flow.display_name} template",
        },
        "outputs": outputs,
        "settings": {},
    }


def _primary_entity(project: Project, flow: Flow) -> str | None:
    dataset = project.datasets.get(flow.dataset or "")
    if dataset is not None:
        return dataset.primary_entity
    plugin = project.plugin_datasets.get(flow.dataset or "")
    return plugin.entity if plugin is not None else None


def _input_dataset(project: Project, flow: Flow) -> Reference | None:
    if flow.dataset is None:
        return None
    found = project.datasets.get(flow.dataset) or project.plugin_datasets.get(flow.dataset)
    return {"id": flow.dataset, "displayName": found.display_name if found else flow.dataset}


def dataset_payload(dataset: DataSet) -> dict[str, Any]:
    """Return the schema data set of ``GET /api/v1/datasets/{id}``, its XSD in base64."""
    return {
        "id": dataset.id,
        "displayName": dataset.display_name,
        "content": {
            "type": "schema",
            "schemaContent": {
                "schemaContent": base64.b64encode(dataset.schema_bytes).decode("ascii"),
                "schemaType": "xsd",
                "wrapperElementName": dataset.wrapper_element_name,
                "primaryEntity": dataset.primary_entity,
            },
        },
    }


def plugin_dataset_payload(dataset: PluginDataSet) -> dict[str, Any]:
    """Return a plug-in data set as ``GET /api/v1/datasets/...`` lists it."""
    return {
        "id": dataset.id,
        "displayName": dataset.display_name,
        "content": {"type": "plugin", "entity": dataset.entity, "source": dataset.source},
    }


def progress_payload(execution: Execution, progress: Progress) -> ProgressPayload:
    """Return the progress body, with the form in ``UserInput`` and the model once ended."""
    payload: ProgressPayload = {
        "id": execution.id,
        "percentage": progress.percentage,
        "message": progress.message,
        "status": progress.status,
        "currentData": flow_reference(execution.flow),
    }
    form = execution.flow.user_input
    if progress.status == "UserInput" and form is not None:
        payload["schema"] = form_schema(form)
        payload["form"] = [_form_group(form)]
        payload["model"] = {f.key: f.default for f in form.fields}
    if execution.terminal:
        payload["model"] = execution.model or {}
    return payload


def form_schema(form: UserInputForm) -> dict[str, Any]:
    """Return the JSON Schema of a form: field keys as properties, unknown keys rejected."""
    properties: dict[str, Any] = {}
    for item in form.fields:
        prop: dict[str, Any] = {"title": item.title, "type": [_json_type(item.type), "null"]}
        if item.type == "date":
            prop["format"] = "date"
        properties[item.key] = prop
    return {
        "type": "object",
        "properties": properties,
        "required": [f.key for f in form.fields if f.required],
        "additionalProperties": False,
    }


def _json_type(field_type: str) -> str:
    return "string" if field_type == "date" else field_type


def _form_group(form: UserInputForm) -> dict[str, Any]:
    items = [
        {"key": f.key, "title": f.title, "type": f.type, "description": f.description}
        for f in form.fields
    ]
    return {"title": form.title, "items": items}


def execution_summary(store: ExecutionStore, execution: Execution) -> dict[str, Any]:
    """Return an execution as the list endpoints show it."""
    return {
        "id": execution.id,
        "createdAt": iso(store.wall_time(execution.created_at)),
        "createdBy": execution.created_by,
        "status": execution.status,
        "flow": flow_reference(execution.flow),
    }


def execution_details(store: ExecutionStore, execution: Execution) -> dict[str, Any]:
    """Return ``GET /api/v1/flows/executions/{id}``: the summary plus the debugging ``state``."""
    waiting_for = None
    if execution.status == "Waiting":
        message = execution.flow.waiting.message if execution.flow.waiting else "Waiting"
        waiting_for = {"callbackId": execution.callback_id, "message": message}
    stages = [{"name": s["name"], "at": iso(store.wall_time(s["at"]))} for s in execution.stages]
    progress = execution.progress(store.clock())
    state = {
        "inputData": _input_data(execution),
        "output": execution.model if execution.terminal else None,
        "stages": stages,
        "iterations": _iterations(execution),
        "report": {"percentage": progress.percentage, "message": progress.message},
        "waitingFor": waiting_for,
    }
    return {**execution_summary(store, execution), "state": state}


def _iterations(execution: Execution) -> list[dict[str, Any]]:
    # A plug-in start runs the flow once per record id.
    plugin = execution.input.plugin
    records = plugin.get("id", []) if plugin is not None else [None]
    return [
        {"index": index, "record": record, "status": execution.status}
        for index, record in enumerate(records)
    ]


def _input_data(execution: Execution) -> Any:
    if execution.input.xml is not None:
        return execution.input.xml.decode("utf-8", "replace")
    if execution.input.plugin is not None:
        return dict(execution.input.plugin)
    return None


def document_payload(document: StoredDocument) -> dict[str, Any]:
    """Return the metadata of ``GET /api/v1/documents/{id}``."""
    expiration = document.created_at + timedelta(seconds=document.spec.expires_in)
    return {
        "id": document.id,
        "displayName": document.spec.name,
        "contentType": document.spec.content_type,
        "size": len(document.content),
        "createdAt": iso(document.created_at),
        "expiration": iso(expiration),
        "executionId": document.execution_id,
    }
