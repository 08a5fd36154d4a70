"""The seam between httpx and flowspec: URL checks, TLS setup and error translation.

Nothing here puts a request header into a message, because httpx's requests
carry the API key or bearer token in their headers.
"""

from __future__ import annotations

import html
import ipaddress
import re
import ssl
from collections.abc import Callable
from pathlib import Path

import httpx

from flowspec.errors import (
    ApiError,
    AuthenticationFailed,
    NotFound,
    ServerError,
    ServerUnreachable,
    UsageError,
)

#: Characters kept of an HTML or text error body, and of a JSON error ``message``.
_EXCERPT_LENGTH = 200
_MESSAGE_LENGTH = 2000
_HIDDEN = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
#: The ``user:password@`` part after the scheme, up to the first ``/``, ``?`` or ``#``.
_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")

#: Failures that happen before any byte of the request left, so a retry cannot duplicate it.
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
#: Failures after the request was (maybe partly) sent: the server may have acted on it.
MAYBE_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> httpx.URL:
    """Parse the server's base URL and reject what would leak credentials or cannot work.

    Plain ``http://`` is allowed only to loopback addresses unless the caller opts in,
    because every request carries an API key or a bearer token. Messages never
    repeat a password from the URL.
    """
    redacted = repr(_without_userinfo(base_url))
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as exc:
        raise UsageError(f"invalid server URL {redacted}: {exc}") from exc

    if url.scheme not in ("http", "https") or not url.host:
        raise UsageError(f"invalid server URL {redacted}: expected http(s)://host[:port][/path]")
    if url.userinfo:
        raise UsageError(
            "the server URL must not contain a user name or password: "
            "put credentials in the job file's server.auth section instead"
        )
    if url.port is not None and not 1 <= url.port <= 65535:
        raise UsageError(
            f"invalid server URL {redacted}: port {url.port} is outside 1-65535;"
            " check the port number"
        )
    if url.query or url.fragment:
        # Requests join their path to the base URL, which drops its query and fragment.
        raise UsageError(
            f"invalid server URL {redacted}: remove the '?…' query or '#…' fragment; "
            "a base URL is scheme, host, port and an optional path prefix"
        )
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise UsageError(
            f"plain HTTP to {url.host} is rejected because requests carry credentials: use an "
            "https:// URL, or set allow_insecure_http if this network is trusted"
        )
    if not url.path.endswith("/"):
        url = url.copy_with(path=url.path + "/")
    return url


def _without_userinfo(text: str) -> str:
    """Replace a ``user:password@`` part of a URL string, even one httpx cannot parse."""
    return _USERINFO.sub(r"\1***@", text)


def is_loopback(host: str) -> bool:
    """Return whether ``host`` names this machine: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_verification(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """Return httpx's ``verify`` value: its default CA bundle, or a context with ``ca_bundle``.

    httpx's default (as of 0.28) is certifi's bundle, or the ``SSL_CERT_FILE``
    or ``SSL_CERT_DIR`` environment variable when set.
    """
    if ca_bundle is None:
        return True

    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"cannot load the CA bundle {ca_bundle}: {exc}. Give a PEM file of CA certificates."
        ) from exc


def describe_transport_error(exc: httpx.RequestError) -> str:
    """Return a one-line description of a connection failure, without request headers."""
    detail = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {detail}" if detail else name


#: 405 Method Not Allowed and 501 Not Implemented: the URL reached something other than the API.
_NO_SUCH_ENDPOINT = frozenset({405, 501})
#: OpenSSL's X509_V_ERR codes (x509_vfy.h) that call for a hint other than a CA bundle.
_CERTIFICATE_EXPIRED = 10
_NAME_MISMATCHES = frozenset({62, 64})  # host name, IP address


def is_certificate_error(exc: BaseException) -> bool:
    """Return whether ``exc`` comes from a failed TLS certificate check, which no retry fixes."""
    return _verification_error(exc) is not None


def _verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def certificate_rejected(method: str, url: httpx.URL, exc: httpx.RequestError) -> ServerUnreachable:
    """Build the error for a server whose TLS certificate failed verification."""
    return ServerUnreachable(
        f"{method} {url} failed: the server's TLS certificate could not be verified "
        f"({describe_transport_error(exc)}). {_certificate_hint(url, exc)}"
    )


def _certificate_hint(url: httpx.URL, exc: httpx.RequestError) -> str:
    verification = _verification_error(exc)
    code = verification.verify_code if verification is not None else None
    if code in _NAME_MISMATCHES:
        return (
            f"The certificate is not issued for {url.host}: put a host name that the "
            "certificate names in server.base_url."
        )
    if code == _CERTIFICATE_EXPIRED:
        return "The certificate has expired: the server's administrator must renew it."
    return (
        "If the server uses a private CA, set server.ca_bundle to a PEM file with that "
        "CA's certificate."
    )


def unreachable(method: str, url: httpx.URL, attempts: int, last_error: str) -> ServerUnreachable:
    """Build the error for a request that failed on every try."""
    tries = "try" if attempts == 1 else f"all {attempts} tries"
    return ServerUnreachable(
        f"{method} {url} failed on {tries}; last error: {last_error}. "
        "Check that the server URL is right and the server is up."
    )


def error_for_response(
    response: httpx.Response, *, api_key: bool, redact: Callable[[str], str]
) -> ServerError:
    """Translate a final error response into flowspec's error for it.

    ``redact`` removes credentials that the server may echo in its error body.
    """
    request = response.request
    status = response.status_code
    summary = f"{request.method} {request.url} failed with {status} {response.reason_phrase}"
    detail = redact(error_detail(response))
    message = f"{summary}: {detail}" if detail else summary

    if status in (401, 403):
        return AuthenticationFailed(f"{message}. {_credential_hint(status, api_key=api_key)}")
    if status == 404:
        return NotFound(message, status_code=status, method=request.method, url=str(request.url))
    if status in _NO_SUCH_ENDPOINT:
        message += (
            ". Every Smart Flows endpoint flowspec calls accepts this method, so check that"
            " server.base_url names the Smart Flows server, with its path prefix if it has one."
        )
    return ApiError(message, status_code=status, method=request.method, url=str(request.url))


def _credential_hint(status: int, *, api_key: bool) -> str:
    if status == 403:
        return "The credentials are valid but lack the right: check the user's permissions."
    if api_key:
        return "Check that the API key is current and belongs to this server."
    return "Check the user name and password, and that the account may log in."


def error_detail(response: httpx.Response) -> str:
    """Return the server's explanation from an error body: its JSON ``message`` or an excerpt."""
    content_type = response.headers.get("content-type", "")
    text = response.text
    if "json" in content_type:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, str):
            return _excerpt(message, _MESSAGE_LENGTH)
    if "html" in content_type or text.lstrip().startswith("<"):
        text = _html_text(text)
    return _excerpt(text, _EXCERPT_LENGTH)


def _html_text(page: str) -> str:
    """Return the visible text of an HTML page, or its title when the body shows none.

    Proxy error pages usually repeat the title in a heading, so the title is
    left out whenever the body has text.
    """
    visible = _TAG.sub(" ", _HIDDEN.sub(" ", page))
    if not visible.strip():
        title = _TITLE.search(page)
        visible = title.group(1) if title else ""
    return html.unescape(visible)


def _excerpt(text: str, length: int) -> str:
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= length:
        return flat
    return flat[: length - 1].rstrip() + "…"
