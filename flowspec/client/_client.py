"""``SmartFlowsClient``: the Smart Flows endpoints flowspec uses, as async methods."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random as random_module
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import quote

import httpx

from flowspec import __version__
from flowspec.atomic import async_atomic_writer
from flowspec.client._auth import Authenticator
from flowspec.client._http import check_base_url, tls_verification
from flowspec.client._payloads import (
    DatasetPayload,
    DocumentPayload,
    DownloadedDocument,
    ExecutionPayload,
    FlowPayload,
    ProgressPayload,
    StartResult,
)
from flowspec.client._retry import RetryPolicy
from flowspec.client._session import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    Call,
    Credentials,
    Session,
    json_object,
)
from flowspec.errors import ApiError, FlowspecError, NotFound
from flowspec.spec.model import Auth, Login, Mode, PluginInput

_log = logging.getLogger(__name__)

USER_AGENT = f"flowspec/{__version__} (+python-httpx)"
#: Seconds a long-poll read may exceed the ``timeout`` the server was asked to hold it for.
LONG_POLL_MARGIN = 30.0
#: Seconds an idle pooled connection is kept. Below uvicorn's 5 s idle timeout (0.x
#: releases), so the client drops a connection before such a server closes it: a start
#: sent on a connection the server is closing fails and cannot be retried.
KEEPALIVE_EXPIRY = 4.0
_CHUNK_SIZE = 64 * 1024
_XML_CONTENT_TYPE = 'application/xml; charset="utf-8"'


class SmartFlowsClient:
    """An async client for one Smart Flows server; use it as ``async with``.

    ``transport`` replaces the network (an ASGI app in tests). ``sleep`` and
    ``random`` drive the retry backoff, so tests can record delays instead of
    waiting. ``read_timeout`` is the seconds to wait for a response to any
    request but a long poll, which waits its own ``timeout`` plus a margin.
    ``request_count`` counts the HTTP requests sent, retries and logins included.
    """

    def __init__(
        self,
        base_url: str,
        auth: Auth | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: Path | None = None,
        allow_insecure_http: bool = False,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so sharing it is safe
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        max_connections: int = 100,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        self._login = auth.login if auth is not None else None
        http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            verify=tls_verification(ca_bundle),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            ),
            timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT, pool=None),
            headers={"User-Agent": USER_AGENT},
        )
        authenticator = Authenticator(auth, self._log_in)
        self._session = Session(http, authenticator, retry, sleep, random, read_timeout)

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries and logins included."""
        return self._session.request_count

    async def __aenter__(self) -> SmartFlowsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._session.http.aclose()

    def __repr__(self) -> str:
        return f"SmartFlowsClient({str(self.base_url)!r})"

    async def get_flow(self, flow_id: str) -> FlowPayload:
        """Return a flow definition (``GET /api/v1/flows/{flowId}``)."""
        body = await self._get_json(f"api/v1/flows/{_segment(flow_id)}", ("id", "input"))
        return cast(FlowPayload, body)

    async def get_dataset(self, dataset_id: str) -> DatasetPayload:
        """Return a data set, with the base64 XSD of schema data sets."""
        body = await self._get_json(f"api/v1/datasets/{_segment(dataset_id)}", ("id",))
        return cast(DatasetPayload, body)

    async def start_execution(
        self,
        flow_id: str,
        mode: Mode,
        *,
        xml: bytes | None = None,
        plugin: PluginInput | None = None,
    ) -> StartResult:
        """Start an execution of ``flow_id`` and return its first progress.

        ``xml`` is required in mode ``xml`` and ``plugin`` in mode ``plugin``;
        mode ``start`` sends whichever is given. Raises ``StartUnconfirmed``
        when the request failed after it may have created an execution.
        """
        path = "api/v1/flows/executions/start" if mode == "start" else "api/v1/flows/executions"
        params = {"flowId": flow_id}
        content, json, headers = _start_body(mode, xml, plugin)
        if plugin is not None and json is not None:
            params["datasetId"] = plugin.dataset

        call = Call("POST", path, params, idempotent=False, creates_execution=True)
        response, attempts = await self._session.request(
            call, content=content, json=json, headers=headers
        )
        progress = cast(ProgressPayload, json_object(response, ("id", "status")))
        return StartResult(progress=progress, attempts=attempts)

    async def get_progress(self, execution_id: str, *, timeout: float) -> ProgressPayload:
        """Return an execution's progress, letting the server hold the request up to ``timeout`` s.

        The read timeout is ``timeout`` plus a margin, so a long poll that the
        server ends on time never times out on the client's side.
        """
        call = Call(
            "GET",
            f"api/v1/flows/executions/{_segment(execution_id)}/progress",
            {"timeout": _seconds_parameter(timeout)},
            read_timeout=timeout + LONG_POLL_MARGIN,
            log_level=logging.DEBUG,
        )
        response, _ = await self._session.request(call)
        return cast(ProgressPayload, json_object(response, ("id", "status")))

    async def answer_user_input(
        self, execution_id: str, answers: Mapping[str, Any]
    ) -> ProgressPayload:
        """Submit form answers (field key → value) to an execution in ``UserInput``.

        Not retried after a failure that may have reached the server, because a
        second submission could fill the next form with the same answers.
        """
        path = f"api/v1/flows/executions/{_segment(execution_id)}/progress"
        call = Call("POST", path, idempotent=False)
        response, _ = await self._session.request(call, json=dict(answers))
        return cast(ProgressPayload, json_object(response, ("id", "status")))

    async def cancel_execution(self, execution_id: str) -> None:
        """Cancel an execution; its status becomes ``Canceled``."""
        call = Call("DELETE", f"api/v1/flows/executions/{_segment(execution_id)}")
        await self._session.request(call)

    async def get_execution(self, execution_id: str) -> ExecutionPayload:
        """Return an execution with its state (inputs, stages, report), for debugging."""
        path = f"api/v1/flows/executions/{_segment(execution_id)}"
        return cast(ExecutionPayload, await self._get_json(path, ("id", "status")))

    async def get_output(self, execution_id: str, name: str) -> Any:
        """Return the value of the flow output ``name`` of an execution.

        Reads ``GET /api/v1/flows/executions/{id}/status?output=NAME``, whose
        ``output`` object contains the value by name. Raises ``NotFound`` when the
        execution or the output does not exist, and ``ApiError`` when the
        response contains no value for ``name``.
        """
        path = f"api/v1/flows/executions/{_segment(execution_id)}/status"
        response, _ = await self._session.request(Call("GET", path, {"output": name}))
        # NOTE: the API reference names this endpoint but not its body; the shape
        # {"output": {NAME: value}} is the emulator's, untested against a real server.
        outputs = json_object(response, ("output",))["output"]
        if not isinstance(outputs, dict) or name not in outputs:
            request = response.request
            raise ApiError(
                f"{request.method} {request.url} returned no value for output {name!r}",
                status_code=response.status_code,
                method=request.method,
                url=str(request.url),
            )
        return outputs[name]

    async def get_document(self, document_id: str) -> DocumentPayload:
        """Return a document's metadata: name, content type, creation and expiry."""
        body = await self._get_json(f"api/v1/documents/{_segment(document_id)}", ("id",))
        return cast(DocumentPayload, body)

    async def download_document(self, document_id: str, destination: Path) -> DownloadedDocument:
        """Stream a document's content to ``destination`` atomically, hashing it on the way.

        Tries ``/api/v1/documents/{id}/content`` first and, when that is 404,
        the older ``/api/v1/documents/content/{id}``. A connection failure midway
        discards the partial file and starts the download again.
        """
        segment = _segment(document_id)
        try:
            try:
                return await self._download(f"api/v1/documents/{segment}/content", destination)
            except NotFound:
                _log.info("document %s: trying the older content path", document_id)
                return await self._download(f"api/v1/documents/content/{segment}", destination)
        except OSError as exc:
            raise FlowspecError(
                f"cannot save document {document_id} to {destination}: {exc.strerror or exc}"
            ) from exc

    async def _get_json(self, path: str, required: tuple[str, ...]) -> dict[str, Any]:
        response, _ = await self._session.request(Call("GET", path))
        return json_object(response, required)

    async def _download(self, path: str, destination: Path) -> DownloadedDocument:
        call = Call("GET", path)

        async def save(response: httpx.Response) -> DownloadedDocument:
            return await _save(response, destination)

        async def send(credentials: Credentials) -> DownloadedDocument | httpx.Response:
            return await self._session.stream(call, save, headers=credentials)

        outcome, _ = await self._session.retrying(call, send)
        if isinstance(outcome, httpx.Response):
            raise self._session.error_for(outcome)
        return outcome

    async def _log_in(self) -> str:
        """Log in with the job file's user name and password; return the bearer token."""
        assert self._login is not None  # Authenticator logs in only when a login is set
        login = self._login
        body = {"username": login.username, "password": login.password.reveal()}
        # NOTE: the API reference names a "scope" field but no value, so it is sent only when
        # the job file sets one; whether real servers require it is untested.
        if login.scope is not None:
            body["scope"] = login.scope

        response, _ = await self._session.request(
            Call("POST", "api/v1/authenticate/login"), json=body, authorized=False
        )
        return _token_from(response, login)


def _segment(value: str) -> str:
    """Quote an id for use as one path segment, so ``/`` or ``..`` cannot reach another endpoint."""
    if not value:
        raise ValueError("an id in a request path must not be empty")
    return quote(value, safe="")


def _seconds_parameter(seconds: float) -> str:
    """Format seconds for a query: whole numbers without a point, else up to milliseconds.

    Never uses exponent notation (``1e-05``), which servers parse as text.
    """
    # NOTE: the API reference gives the long-poll timeout in seconds without a type;
    # whether real servers accept a fraction such as "0.5" is untested.
    text = f"{max(0.0, seconds):.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _start_body(
    mode: Mode, xml: bytes | None, plugin: PluginInput | None
) -> tuple[bytes | None, dict[str, Any] | None, dict[str, str]]:
    """Return the content, JSON and headers of a start request in ``mode``."""
    if mode == "xml" and xml is None:
        raise ValueError("mode 'xml' needs the XML input")
    if mode == "plugin" and plugin is None:
        raise ValueError("mode 'plugin' needs the plug-in input")

    if mode in ("xml", "start") and xml is not None:
        return xml, None, {"Content-Type": _XML_CONTENT_TYPE}
    if mode in ("plugin", "start") and plugin is not None:
        return None, _plugin_body(plugin), {}
    return None, None, {}


def _plugin_body(plugin: PluginInput) -> dict[str, Any]:
    body: dict[str, Any] = {"id": list(plugin.ids), "entity": plugin.entity, "userId": plugin.user}
    if plugin.organization is not None:
        body["organizationUniqueName"] = plugin.organization
    return body


def _token_from(response: httpx.Response, login: Login) -> str:
    """Return the token for ``login.scope`` from a login response, or the first one."""
    body = json_object(response, ("tokens",))
    tokens = [
        entry
        for entry in body["tokens"]
        if isinstance(entry, dict) and isinstance(entry.get("token"), str) and entry["token"]
    ]
    matching = [entry for entry in tokens if entry.get("scope") == login.scope]
    candidates = matching or tokens
    if not candidates:
        request = response.request
        raise ApiError(
            f"{request.method} {request.url} returned no token. "
            "Check that this user may log in with a password.",
            status_code=response.status_code,
            method=request.method,
            url=str(request.url),
        )
    return cast(str, candidates[0]["token"])


async def _save(response: httpx.Response, destination: Path) -> DownloadedDocument:
    """Write a streamed response body to ``destination`` atomically and hash it."""
    digest = hashlib.sha256()
    size = 0
    async with async_atomic_writer(destination) as stream:
        async for chunk in response.aiter_bytes(_CHUNK_SIZE):
            stream.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return DownloadedDocument(
        path=destination,
        size=size,
        sha256=digest.hexdigest(),
        content_type=response.headers.get("content-type"),
    )
