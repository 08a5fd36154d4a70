"""The emulator's Starlette app: routing, authentication, fault injection and statistics.

Every API route goes through one wrapper that counts the request, injects the
configured faults, authenticates the caller and turns ``ApiProblem`` into the
error body. The endpoint handlers live in ``api_catalog`` and ``api_executions``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowspec.emulator.auth import Authenticator, Credentials, Unauthorized
from flowspec.emulator.errors import ApiProblem, DropConnection
from flowspec.emulator.executions import Clock, Progress
from flowspec.emulator.faults import FaultInjector, FaultSettings
from flowspec.emulator.project import Project, User
from flowspec.emulator.stats import Stats
from flowspec.emulator.store import ExecutionStore

logger = logging.getLogger(__name__)

Handler = Callable[[Request, "EmulatorState"], Awaitable[Response]]

# With an injected clock, time can jump without the event loop knowing, so long
# polls re-check at least this often (seconds of real time).
_INJECTED_CLOCK_RECHECK = 0.05


class Signals:
    """Wake long polls waiting on an execution when something outside the clock changes it."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    async def wait(self, execution_id: str, timeout: float) -> None:
        """Return when ``notify(execution_id)`` is called or ``timeout`` seconds pass."""
        event = self._events.setdefault(execution_id, asyncio.Event())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def notify(self, execution_id: str) -> None:
        """Wake every long poll waiting on ``execution_id``."""
        event = self._events.pop(execution_id, None)
        if event is not None:
            event.set()


@dataclass
class EmulatorState:
    """Everything the handlers share: the project, clock, executions, faults and counters."""

    project: Project
    clock: Clock
    store: ExecutionStore
    auth: Authenticator
    faults: FaultInjector
    stats: Stats = field(default_factory=Stats)
    signals: Signals = field(default_factory=Signals)
    recheck: float | None = None
    last_reported: dict[str, Progress] = field(default_factory=dict)

    def epoch(self) -> float:
        """Return the Unix time that corresponds to the emulator clock's current reading."""
        return self.store.wall_time(self.clock()).timestamp()


class EmulatorApp(Starlette):
    """A Starlette app that can close a connection without sending any response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except DropConnection:
            # uvicorn closes the socket without writing a response when an ASGI
            # app returns a value other than None (it also logs an error).
            return "connection dropped by fault injection"  # type: ignore[return-value]


def create_app(
    project: Project,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    faults: FaultSettings | None = None,
) -> EmulatorApp:
    """Build the emulator app for ``project``.

    ``seed`` makes generated ids and injected faults reproducible; ``clock``
    (a monotonic function in seconds) drives executions, default ``time.monotonic``;
    ``faults`` replaces the project's fault rules of the same kinds.
    """
    from flowspec.emulator import api_catalog, api_executions

    if faults is not None:
        project = project.with_faults(faults)
    clock = clock or time.monotonic
    store = ExecutionStore(project, clock, random.Random(seed))
    state = EmulatorState(
        project=project,
        clock=clock,
        store=store,
        auth=Authenticator(project.users, lambda: store.wall_time(clock()).timestamp()),
        faults=FaultInjector(project.faults, seed),
        recheck=None if clock is time.monotonic else _INJECTED_CLOCK_RECHECK,
    )
    routes = [
        Route(path, _wrap(state, name, kind, handler, public), methods=[method])
        for method, path, name, kind, handler, public in api_executions.ROUTES + api_catalog.ROUTES
    ]
    routes.append(Route("/__emulator/stats", _stats_endpoint(state), methods=["GET"]))
    handlers = {HTTPException: _http_error, Exception: _internal_error}
    app = EmulatorApp(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
    app.state.emulator = state
    return app


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Respond to unknown paths (404) and wrong methods (405) with the API's error body."""
    return ApiProblem(exc.status_code, exc.detail, dict(exc.headers or {})).response()


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return ApiProblem(500, f"internal error in the emulator: {type(exc).__name__}").response()


def _stats_endpoint(state: EmulatorState) -> Callable[[Request], Awaitable[Response]]:
    async def stats(request: Request) -> Response:
        return JSONResponse(state.stats.snapshot(state.faults.fired))

    return stats


def _wrap(
    state: EmulatorState, name: str, kind: str, handler: Handler, public: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state.stats.count(name, request.path_params.get("execution_id"))
        try:
            fault = await _inject_faults(state, kind)
            if fault is not None:
                return fault
            if not public:
                request.state.user = _authenticate(state, request)
            return await handler(request, state)
        except ApiProblem as problem:
            logger.info("%s %s: %d %s", request.method, request.url.path, problem.status, problem)
            return problem.response()

    return endpoint


async def _inject_faults(state: EmulatorState, kind: str) -> Response | None:
    faults = state.faults
    latency = faults.fires("latency", kind)
    if latency is not None:
        await asyncio.sleep(latency.delay)
    if faults.fires("drop_connection", kind) is not None:
        logger.info("dropping the connection of a %s request (fault injection)", kind)
        raise DropConnection
    limit = faults.fires("rate_limit", kind)
    if limit is not None:
        problem = ApiProblem(429, "too many requests", {"Retry-After": str(limit.retry_after)})
        return problem.response()
    error = faults.fires("server_error", kind)
    if error is not None:
        return _proxy_error_page(error.status)
    return None


def _proxy_error_page(status: int) -> Response:
    title = "502 Bad Gateway" if status == 502 else "503 Service Temporarily Unavailable"
    body = (
        f"<html>\n<head><title>{title}</title></head>\n"
        f"<body>\n<center><h1>{title}</h1></center>\n</body>\n</html>\n"
    )
    return HTMLResponse(body, status_code=status)


def _authenticate(state: EmulatorState, request: Request) -> User:
    credentials = Credentials(
        api_key=request.headers.get("x-api-key"),
        authorization=request.headers.get("authorization"),
    )
    try:
        return state.auth.authenticate(credentials)
    except Unauthorized as exc:
        raise ApiProblem(401, str(exc), {"WWW-Authenticate": "Bearer"}) from exc


def current_user(request: Request) -> User:
    """Return the user the request authenticated as."""
    user: User = request.state.user
    return user


def json_body(raw: bytes) -> Any:
    """Parse a JSON request body; raise 400 when it is not JSON."""
    import json

    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, f"the body is not valid JSON: {exc}") from exc
