"""Handlers for authentication, flows, data sets and documents."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from flowspec.emulator.app import EmulatorState, Handler, current_user, json_body
from flowspec.emulator.documents import FILE_EXTENSIONS
from flowspec.emulator.errors import ApiProblem, bad_request, forbidden, not_found
from flowspec.emulator.filters import matches_all, parse_query_filter
from flowspec.emulator.paging import page_request, paginate
from flowspec.emulator.payloads import (
    dataset_payload,
    document_payload,
    flow_payload,
    plugin_dataset_payload,
)
from flowspec.emulator.project import Flow
from flowspec.emulator.store import StoredDocument


async def login_methods(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/authenticate``: which ways to log in exist."""
    body = {
        "login": {"enabled": True},
        "methods": ["native"],
        "oauth2": [],
        "resetPasswordSupported": False,
    }
    return JSONResponse(body)


async def login(request: Request, state: EmulatorState) -> Response:
    """``POST /api/v1/authenticate/login``: trade a username and password for a bearer token."""
    body = json_body(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("username"), str):
        raise bad_request("expected a JSON object with 'username' and 'password' strings")
    password = body.get("password")
    if not isinstance(password, str):
        raise bad_request("expected a JSON object with 'username' and 'password' strings")

    user = state.auth.login(body["username"], password)
    if user is None:
        raise ApiProblem(401, "invalid username or password")
    scope = str(body.get("scope") or "default")
    lifetime = state.project.token_lifetime
    early = state.faults.fires("token_expiry", "auth")
    if early is not None:
        lifetime = early.lifetime
    token = state.auth.issue(user, scope, lifetime)
    user_payload = {"id": user.username, "username": user.username, "displayName": user.username}
    return JSONResponse({"user": user_payload, "tokens": [{"scope": scope, "token": token}]})


def visible_flow(request: Request, state: EmulatorState, flow_id: str | None) -> Flow:
    """Return the flow ``flow_id``; raise 400 without an id, 404 if unknown, 403 if not allowed."""
    if not flow_id:
        raise bad_request("missing flowId")
    flow = state.project.flows.get(flow_id)
    if flow is None:
        raise not_found(f"flow {flow_id} not found")
    if not current_user(request).may_use(flow_id):
        raise forbidden(f"you may not use flow {flow_id}")
    return flow


async def get_flow(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/flows/{flow_id}``."""
    flow = visible_flow(request, state, request.path_params["flow_id"])
    return JSONResponse(flow_payload(state.project, flow))


async def list_flows(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/flows?page&size&sort&filter=displayName:text``."""
    query = request.query_params
    paging = page_request(query, ("displayName", "id"), "displayName,asc")
    user = current_user(request)
    flows = [flow for flow in state.project.flows.values() if user.may_use(flow.id)]

    keys = ("displayName", "id", "description")
    conditions = parse_query_filter(query.get("filter", ""), keys)
    flows = [f for f in flows if matches_all(conditions, _flow_record(f))]

    payloads = [flow_payload(state.project, flow) for flow in flows]
    return JSONResponse(paginate(payloads, paging, _sort_key))


def _flow_record(flow: Flow) -> dict[str, str]:
    return {"displayName": flow.display_name, "id": flow.id, "description": flow.description}


def _sort_key(item: dict[str, Any], field: str) -> Any:
    return str(item.get(field, "")).lower()


async def get_dataset(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/datasets/{dataset_id}``."""
    dataset_id = request.path_params["dataset_id"]
    dataset = state.project.datasets.get(dataset_id)
    if dataset is not None:
        return JSONResponse(dataset_payload(dataset))
    plugin = state.project.plugin_datasets.get(dataset_id)
    if plugin is not None:
        return JSONResponse(plugin_dataset_payload(plugin))
    raise not_found(f"data set {dataset_id} not found")


async def list_plugin_datasets(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/datasets/plugin``: the input data sets that plug-ins define."""
    payloads = [plugin_dataset_payload(d) for d in state.project.plugin_datasets.values()]
    return JSONResponse(payloads)


def _visible_document(request: Request, state: EmulatorState) -> StoredDocument:
    document_id = request.path_params["document_id"]
    document = state.store.documents.get(document_id)
    if document is None:
        raise not_found(f"document {document_id} not found")
    execution = state.store.executions.get(document.execution_id)
    flow_id = execution.flow.id if execution else None
    if flow_id is not None and not current_user(request).may_use(flow_id):
        raise forbidden(f"you may not read document {document_id}")
    return document


async def get_document(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/documents/{document_id}``: metadata."""
    return JSONResponse(document_payload(_visible_document(request, state)))


async def get_document_content(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/documents/{document_id}/content`` and the older ``/documents/content/{id}``."""
    document = _visible_document(request, state)
    filename = document.spec.name + FILE_EXTENSIONS.get(document.spec.content_type, "")
    disposition = f'attachment; filename="{filename.replace(chr(34), "")}"'
    return Response(
        document.content,
        media_type=document.spec.content_type,
        headers={"Content-Disposition": disposition},
    )


ROUTES: list[tuple[str, str, str, str, Handler, bool]] = [
    ("GET", "/api/v1/authenticate", "login_methods", "auth", login_methods, True),
    ("POST", "/api/v1/authenticate/login", "login", "auth", login, True),
    ("GET", "/api/v1/flows", "list_flows", "flows", list_flows, False),
    ("GET", "/api/v1/flows/{flow_id}", "get_flow", "flows", get_flow, False),
    (
        "GET",
        "/api/v1/datasets/plugin",
        "list_plugin_datasets",
        "datasets",
        list_plugin_datasets,
        False,
    ),
    ("GET", "/api/v1/datasets/{dataset_id}", "get_dataset", "datasets", get_dataset, False),
    (
        "GET",
        "/api/v1/documents/content/{document_id}",
        "document_content",
        "documents",
        get_document_content,
        False,
    ),
    (
        "GET",
        "/api/v1/documents/{document_id}/content",
        "document_content",
        "documents",
        get_document_content,
        False,
    ),
    ("GET", "/api/v1/documents/{document_id}", "document", "documents", get_document, False),
]
