"""Handlers that start, poll, resume, cancel and list executions."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import jsonschema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from flowspec.emulator.api_catalog import visible_flow
from flowspec.emulator.app import EmulatorState, Handler, current_user, json_body
from flowspec.emulator.errors import DropConnection, bad_request, forbidden, not_found
from flowspec.emulator.executions import Execution, Progress
from flowspec.emulator.filters import matches, matches_all, parse_filter, parse_query_filter
from flowspec.emulator.paging import page_request, paginate
from flowspec.emulator.payloads import (
    execution_details,
    execution_summary,
    form_schema,
    iso,
    progress_payload,
)
from flowspec.emulator.start import start_input

logger = logging.getLogger(__name__)

DEFAULT_POLL_TIMEOUT = 30.0
MAX_POLL_TIMEOUT = 300.0


async def start_execution(request: Request, state: EmulatorState) -> Response:
    """``POST /api/v1/flows/executions`` and ``.../executions/start``: create an execution."""
    skip_user_input = request.url.path.rstrip("/").endswith("/start")
    flow = visible_flow(request, state, request.query_params.get("flowId"))
    body = await request.body()
    execution_input = start_input(
        state.project,
        flow,
        skip_user_input=skip_user_input,
        dataset_id=request.query_params.get("datasetId"),
        body=body,
        content_type=request.headers.get("content-type", ""),
    )
    user = current_user(request)
    execution = state.store.create(flow, execution_input, user.username)
    state.stats.count_start(flow.id, execution_input.mode, body)
    state.stats.attribute(execution.id, "start")
    logger.info("started execution %s of flow %s (%s)", execution.id, flow.id, execution_input.mode)

    vanish = state.faults.fires("vanish", "start")
    if vanish is not None:
        execution.vanish_after = vanish.after_polls
    hang = state.faults.fires("hang_start", "start")
    if hang is not None:
        logger.info("delaying the start response of execution %s (fault injection)", execution.id)
        await asyncio.sleep(hang.hang)
        raise DropConnection

    # The first response always has status Running at 0 %, even for a queued execution.
    first = Progress("Running", 0, flow.steps[0])
    state.last_reported[execution.id] = first
    answer = {"id": execution.id, "percentage": 0, "message": first.message, "status": "Running"}
    return JSONResponse(answer)


def _execution(request: Request, state: EmulatorState) -> Execution:
    execution_id = request.path_params["execution_id"]
    execution = state.store.get(execution_id)
    if execution is None:
        raise not_found(f"execution {execution_id} not found")
    if not current_user(request).may_use(execution.flow.id):
        raise forbidden(f"you may not use execution {execution_id}")
    return execution


async def get_progress(request: Request, state: EmulatorState) -> Response:
    """``GET .../executions/{id}/progress?timeout=S``: a long poll until the progress changes."""
    execution = _execution(request, state)
    execution.polls += 1
    if execution.vanish_after is not None and execution.polls > execution.vanish_after:
        queued = state.store.queued()
        state.store.remove(execution.id)
        _wake(state, queued)
        raise not_found(f"execution {execution.id} not found")

    timeout = _poll_timeout(request.query_params.get("timeout"))
    await _wait_for_change(state, execution, timeout)
    progress = execution.progress(state.clock())
    state.last_reported[execution.id] = progress
    return JSONResponse(progress_payload(execution, progress))


def _wake(state: EmulatorState, executions: list[Execution]) -> None:
    # A slot freed out of turn (cancel, vanish) may start an execution that was
    # queued before it, earlier than its long polls computed, so they look again.
    for execution in executions:
        state.signals.notify(execution.id)


def _poll_timeout(raw: str | None) -> float:
    if raw is None:
        return DEFAULT_POLL_TIMEOUT
    try:
        timeout = float(raw)
    except ValueError:
        raise bad_request(f"invalid timeout {raw!r}: expected seconds as a number") from None
    if not 0 <= timeout <= MAX_POLL_TIMEOUT:
        raise bad_request(f"invalid timeout {raw!r}: expected 0 to {MAX_POLL_TIMEOUT:g} seconds")
    return timeout


async def _wait_for_change(state: EmulatorState, execution: Execution, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    real_deadline = loop.time() + timeout
    baseline = state.last_reported.get(execution.id)
    while True:
        now = state.clock()
        state.store.get(execution.id)
        if execution.terminal or execution.progress(now) != baseline:
            return
        remaining = real_deadline - loop.time()
        if remaining <= 0:
            return

        wait = remaining
        change = (
            execution.next_change(now)
            if execution.status != "Queued"
            else state.store.next_slot_time()
        )
        if change is not None:
            wait = min(wait, max(0.0, change - now))
        if state.recheck is not None:
            wait = min(wait, state.recheck)
        await state.signals.wait(execution.id, wait)


async def answer_user_input(request: Request, state: EmulatorState) -> Response:
    """``POST .../executions/{id}/progress``: submit the form values and resume the execution."""
    execution = _execution(request, state)
    form = execution.flow.user_input
    if execution.status != "UserInput" or form is None:
        raise bad_request(
            f"execution {execution.id} is {execution.status}, not waiting for user input"
        )

    answers = json_body(await request.body())
    validator = jsonschema.Draft202012Validator(
        form_schema(form), format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(answers), key=lambda e: list(e.absolute_path))
    if errors:
        messages = [_answer_error(error) for error in errors[:3]]
        raise bad_request("invalid form values: " + "; ".join(messages))

    execution.answers = {item.key: None for item in form.fields} | answers
    state.store.resume(execution)
    state.signals.notify(execution.id)
    progress = execution.progress(state.clock())
    state.last_reported[execution.id] = progress
    return JSONResponse(progress_payload(execution, progress))


def _answer_error(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


async def cancel_execution(request: Request, state: EmulatorState) -> Response:
    """``DELETE .../executions/{id}``: cancel; an ended execution keeps its status."""
    execution = _execution(request, state)
    queued = state.store.queued()
    state.store.cancel(execution)
    _wake(state, [execution, *queued])
    progress = execution.progress(state.clock())
    return JSONResponse(progress_payload(execution, progress))


async def get_execution(request: Request, state: EmulatorState) -> Response:
    """``GET .../executions/{id}``: details for debugging."""
    return JSONResponse(execution_details(state.store, _execution(request, state)))


async def get_status(request: Request, state: EmulatorState) -> Response:
    """``GET .../executions/{id}/status?output=NAME``: the status and the flow's named outputs."""
    execution = _execution(request, state)
    outputs = dict(execution.flow.outputs)
    name = request.query_params.get("output")
    if name is not None and name not in outputs:
        raise not_found(f"flow {execution.flow.id} has no output named {name!r}")

    ready = execution.status in {"Success", "Warning"}
    selected = {name: outputs[name]} if name is not None else outputs
    values = {key: (value if ready else None) for key, value in selected.items()}
    return JSONResponse({"id": execution.id, "status": execution.status, "output": values})


_FILTER_KEYS = ("displayName", "status", "flowId", "createdAt")


def _filter_record(state: EmulatorState, execution: Execution) -> dict[str, str]:
    return {
        "displayName": execution.flow.display_name,
        "status": execution.status,
        "flowId": execution.flow.id,
        "createdAt": iso(state.store.wall_time(execution.created_at)),
    }


def _visible_executions(request: Request, state: EmulatorState) -> list[Execution]:
    """Return the executions the user may see that match the ``filter`` query parameter."""
    user = current_user(request)
    conditions = parse_query_filter(request.query_params.get("filter", ""), _FILTER_KEYS)
    return [
        e
        for e in state.store.all()
        if user.may_use(e.flow.id) and matches_all(conditions, _filter_record(state, e))
    ]


def _execution_page(
    request: Request, state: EmulatorState, executions: list[Execution]
) -> Response:
    paging = page_request(
        request.query_params, ("createdAt", "status", "displayName", "flowId"), "createdAt,desc"
    )
    # Creation order breaks ties, as executions created at one clock time are still ordered.
    positions = {execution.id: index for index, execution in enumerate(executions)}

    def sort_key(execution: Execution, field: str) -> Any:
        value: Any = {
            "createdAt": execution.created_at,
            "status": execution.status,
            "displayName": execution.flow.display_name.lower(),
            "flowId": execution.flow.id,
        }[field]
        return (value, positions[execution.id])

    page = paginate(executions, paging, sort_key)
    page["content"] = [execution_summary(state.store, e) for e in page["content"]]
    return JSONResponse(page)


async def list_executions(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/flows/executions``: every execution the user may see, paged."""
    return _execution_page(request, state, _visible_executions(request, state))


async def list_flow_executions(request: Request, state: EmulatorState) -> Response:
    """``GET /api/v1/flows/{flow_id}/executions``: the executions of one flow, paged."""
    flow = visible_flow(request, state, request.path_params["flow_id"])
    executions = [e for e in _visible_executions(request, state) if e.flow.id == flow.id]
    return _execution_page(request, state, executions)


async def filter_executions(request: Request, state: EmulatorState) -> Response:
    """``POST /api/v1/flows/executions/filter``: executions that match a filter tree, paged."""
    tree = parse_filter(json_body(await request.body()), _FILTER_KEYS)
    executions = [
        e for e in _visible_executions(request, state) if matches(tree, _filter_record(state, e))
    ]
    return _execution_page(request, state, executions)


async def callback(request: Request, state: EmulatorState) -> Response:
    """``POST /api/v1/flows/callback/{callback_id}``: resume the execution waiting for it."""
    callback_id = request.path_params["callback_id"]
    waiting = state.store.find_by_callback(callback_id)
    if waiting is None:
        raise not_found(f"callback {callback_id} not found")
    if waiting.status != "Waiting":
        raise bad_request(f"execution {waiting.id} is {waiting.status}, not waiting for a callback")

    state.store.resume(waiting)
    state.signals.notify(waiting.id)
    return JSONResponse(progress_payload(waiting, waiting.progress(state.clock())))


_EXECUTION = "/api/v1/flows/executions/{execution_id}"

ROUTES: list[tuple[str, str, str, str, Handler, bool]] = [
    ("GET", "/api/v1/flows/executions", "list_executions", "executions", list_executions, False),
    ("POST", "/api/v1/flows/executions", "start", "start", start_execution, False),
    ("POST", "/api/v1/flows/executions/start", "start", "start", start_execution, False),
    (
        "POST",
        "/api/v1/flows/executions/filter",
        "filter_executions",
        "executions",
        filter_executions,
        False,
    ),
    ("GET", _EXECUTION, "details", "details", get_execution, False),
    ("DELETE", _EXECUTION, "cancel", "cancel", cancel_execution, False),
    ("GET", _EXECUTION + "/progress", "progress", "progress", get_progress, False),
    ("POST", _EXECUTION + "/progress", "answer", "answer", answer_user_input, False),
    ("GET", _EXECUTION + "/status", "status", "details", get_status, False),
    ("POST", "/api/v1/flows/callback/{callback_id}", "callback", "callback", callback, True),
    (
        "GET",
        "/api/v1/flows/{flow_id}/executions",
        "list_flow_executions",
        "executions",
        list_flow_executions,
        False,
    ),
]
