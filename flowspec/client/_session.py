"""Request handling shared by every call: credentials, timeouts, retries, logging, errors.

``Session`` contains no Smart Flows endpoint, and ``SmartFlowsClient``
builds on it. All httpx exceptions are caught here and turned into flowspec's
errors, so callers never see httpx.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from flowspec.client._auth import Authenticator
from flowspec.client._http import (
    MAYBE_SENT_ERRORS,
    NOT_SENT_ERRORS,
    certificate_rejected,
    describe_transport_error,
    error_detail,
    error_for_response,
    is_certificate_error,
    unreachable,
)
from flowspec.client._retry import (
    RETRY_SAFE_STATUSES,
    RETRY_UNSAFE_STATUSES,
    RetryPolicy,
    parse_retry_after,
)
from flowspec.errors import ApiError, FlowspecError, ServerError, StartUnconfirmed

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds to wait for a TCP (and TLS) connection. A server slower than that counts as down.
CONNECT_TIMEOUT = 10.0
#: Seconds to wait for the response to an ordinary request.
READ_TIMEOUT = 60.0

Credentials = Mapping[str, str]


@dataclass(frozen=True)
class Call:
    """The parts of a request that the retry loop uses. The body stays with the sender.

    ``idempotent`` is false for requests that must not be sent twice; those are
    retried only after failures that certainly happened before sending.
    ``creates_execution`` marks a start, whose doubtful failures raise
    ``StartUnconfirmed``. ``read_timeout`` None means the session's default.
    """

    method: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    idempotent: bool = True
    creates_execution: bool = False
    read_timeout: float | None = None
    log_level: int = logging.INFO


class Session:
    """Sends requests with credentials, retries what is safe to retry, and translates failures."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: Authenticator,
        retry: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
        random: Callable[[], float],
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.http = http
        self.auth = auth
        self.request_count = 0
        self._retry = retry
        self._sleep = sleep
        self._random = random
        self._read_timeout = read_timeout

    async def request(
        self,
        call: Call,
        *,
        content: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authorized: bool = True,
    ) -> tuple[httpx.Response, int]:
        """Send ``call`` until it succeeds or fails for good; return the response and the tries.

        Raises the flowspec error for the final failure: ``AuthenticationFailed``,
        ``NotFound``, ``ApiError``, ``ServerUnreachable`` or ``StartUnconfirmed``.
        """

        async def send(credentials: Credentials) -> httpx.Response:
            merged = {**(headers or {}), **credentials}
            return await self.exchange(call, content=content, json=json, headers=merged)

        response, attempts = await self.retrying(call, send, authorized=authorized)
        if not response.is_success:
            raise self.error_for(response)
        return response, attempts

    def error_for(self, response: httpx.Response) -> ServerError:
        """Translate a final error response into flowspec's error, without credentials."""
        return error_for_response(response, api_key=self.auth.uses_api_key, redact=self.auth.redact)

    async def exchange(
        self,
        call: Call,
        *,
        content: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one HTTP request and read its whole response."""
        self.request_count += 1
        started = time.perf_counter()
        response = await self.http.request(
            call.method,
            call.path,
            params=call.params,
            content=content,
            json=json,
            headers=headers,
            timeout=self.timeout(call),
        )
        self.log_response(call, response, started)
        return response

    async def stream(
        self,
        call: Call,
        consume: Callable[[httpx.Response], Awaitable[_T]],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> _T | httpx.Response:
        """Send one request and pass a successful response to ``consume`` as its body arrives.

        An error response is read whole and returned instead, for the retry loop.
        """
        self.request_count += 1
        started = time.perf_counter()
        async with self.http.stream(
            call.method, call.path, params=call.params, headers=headers, timeout=self.timeout(call)
        ) as response:
            self.log_response(call, response, started)
            if not response.is_success:
                await response.aread()
                return response
            return await consume(response)

    def timeout(self, call: Call) -> httpx.Timeout:
        """Return the timeouts of ``call``: a modest connect, its own read, no pool limit.

        Waiting for a free pooled connection has no limit of its own because the
        engine's concurrency bounds the waiters and each held connection is bounded
        by its read timeout.
        """
        read = self._read_timeout if call.read_timeout is None else call.read_timeout
        return httpx.Timeout(read, connect=CONNECT_TIMEOUT, pool=None)

    def log_response(self, call: Call, response: httpx.Response, started: float) -> None:
        """Log one remote call: method, path with query, status and duration."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        target = response.request.url.raw_path.decode("ascii", "replace")
        _log.log(
            call.log_level,
            "%s %s -> %d (%.0f ms)",
            call.method,
            target,
            response.status_code,
            elapsed_ms,
        )

    def url(self, call: Call) -> httpx.URL:
        """Return the full URL of ``call``, for messages."""
        return self.http.base_url.join(call.path).copy_merge_params(dict(call.params))

    async def retrying(
        self,
        call: Call,
        send: Callable[[Credentials], Awaitable[_T | httpx.Response]],
        *,
        authorized: bool = True,
    ) -> tuple[_T | httpx.Response, int]:
        """Run ``send`` until it returns a result or a response that must not be retried.

        Returns that outcome and the number of tries. Retries connection failures
        and 429, 502, 503 and 504 responses with backoff; ``Call.idempotent`` narrows
        that to failures that cannot have had an effect.
        """
        last_error: httpx.RequestError | None = None
        for attempt in range(1, self._retry.max_attempts + 1):
            retry_after: float | None = None
            try:
                outcome = await (self._authorized(send) if authorized else send({}))
            except httpx.RequestError as exc:
                self._check_retryable_error(call, exc, attempt)
                last_error = exc
                reason = describe_transport_error(exc)
            else:
                if not isinstance(outcome, httpx.Response) or not self._retryable(call, outcome):
                    return outcome, attempt
                last_error = None
                reason = self.auth.redact(_describe_status(outcome))
                retry_after = parse_retry_after(outcome.headers.get("retry-after"))

            if attempt == self._retry.max_attempts:
                raise unreachable(call.method, self.url(call), attempt, reason) from last_error
            await self._back_off(call, attempt, reason, retry_after)

        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _authorized(
        self, send: Callable[[Credentials], Awaitable[_T | httpx.Response]]
    ) -> _T | httpx.Response:
        """Send with credentials; on 401 with a login, log in again (once) and resend."""
        credentials, generation = await self.auth.headers()
        outcome = await send(credentials)
        rejected = isinstance(outcome, httpx.Response) and outcome.status_code == 401
        if not rejected or not self.auth.can_renew:
            return outcome

        await self.auth.renew(generation)
        credentials, _ = await self.auth.headers()
        return await send(credentials)

    def _check_retryable_error(self, call: Call, exc: httpx.RequestError, attempt: int) -> None:
        """Raise the flowspec error for ``exc`` unless retrying ``call`` is safe."""
        reason = describe_transport_error(exc)
        if is_certificate_error(exc):
            raise certificate_rejected(call.method, self.url(call), exc) from exc
        if isinstance(exc, NOT_SENT_ERRORS):
            return
        if isinstance(exc, MAYBE_SENT_ERRORS):
            if call.idempotent:
                return
            raise self._unconfirmed(call, reason) from exc
        if isinstance(exc, httpx.TransportError):
            raise unreachable(call.method, self.url(call), attempt, reason) from exc
        raise ServerError(f"{call.method} {self.url(call)} failed: {reason}") from exc

    def _retryable(self, call: Call, response: httpx.Response) -> bool:
        """Return whether ``response`` calls for a retry, or raise when retrying is unsafe."""
        status = response.status_code
        if status in RETRY_SAFE_STATUSES:
            return True
        if status not in RETRY_UNSAFE_STATUSES:
            return False
        if call.idempotent:
            return True
        raise self._unconfirmed(call, f"{status} {response.reason_phrase}")

    def _unconfirmed(self, call: Call, reason: str) -> FlowspecError:
        url = self.url(call)
        if call.creates_execution:
            return StartUnconfirmed(
                f"{call.method} {url} failed after the request was sent ({reason}), so an "
                "execution may have been created; it was not retried to avoid a second one. "
                "Check the server's execution list before running again.",
                cause=reason,
            )
        return ServerError(
            f"{call.method} {url} failed after the request was sent ({reason}); it was not "
            "retried because the server may already have applied it."
        )

    async def _back_off(
        self, call: Call, attempt: int, reason: str, retry_after: float | None
    ) -> None:
        delay = self._retry.delay(attempt, retry_after, self._random)
        _log.warning(
            "%s %s failed (%s); retrying in %.2f s (attempt %d of %d)",
            call.method,
            self.url(call).raw_path.decode("ascii", "replace"),
            reason,
            delay,
            attempt + 1,
            self._retry.max_attempts,
        )
        await self._sleep(delay)


def _describe_status(response: httpx.Response) -> str:
    detail = error_detail(response)
    summary = f"{response.status_code} {response.reason_phrase}"
    # Servers often repeat the reason phrase as the message, which adds nothing.
    if not detail or detail.strip().rstrip(".").lower() == response.reason_phrase.lower():
        return summary
    return f"{summary} ({detail})"


def json_object(response: httpx.Response, required: tuple[str, ...]) -> dict[str, Any]:
    """Return the JSON object in ``response``; raise ``ApiError`` if it is not one or lacks keys."""
    request = response.request
    problem: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
        problem = "a body that is not JSON"
    if problem is None and not isinstance(body, dict):
        problem = f"JSON that is not an object ({type(body).__name__})"
    if problem is None:
        missing = [key for key in required if key not in body]
        problem = f"JSON without {', '.join(map(repr, missing))}" if missing else None
    if problem is not None:
        raise ApiError(
            f"{request.method} {request.url} returned {response.status_code} with {problem}; "
            "is the base URL a Smart Flows server?",
            status_code=response.status_code,
            method=request.method,
            url=str(request.url),
        )
    assert isinstance(body, dict)
    return body
