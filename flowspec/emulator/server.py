"""Serve the emulator with uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from flowspec.emulator.app import create_app
from flowspec.emulator.executions import Clock
from flowspec.emulator.faults import FaultSettings
from flowspec.emulator.project import Project
from flowspec.errors import ExitCode, FlowspecError

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0

# Requests still open at shutdown (long polls, hanging starts) are cut after this many seconds.
GRACEFUL_SHUTDOWN = 1


class EmulatorStartFailed(FlowspecError):
    """The emulator server could not start listening."""


class AddressUnavailable(EmulatorStartFailed):
    """The host and port given to listen on cannot be used, so the options are wrong."""

    exit_code = ExitCode.INVALID_INPUT


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket on ``host``:``port`` (0 picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # With proto left at 0, asyncio skips TCP_NODELAY on accepted connections,
    # and Nagle's algorithm then adds about 40 ms to every keep-alive response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise AddressUnavailable(
            f"cannot listen on {host}:{port}: {exc.strerror}; {_bind_hint(exc)}"
        ) from exc
    return sock


def _bind_hint(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "another process uses that port: choose another port, or port 0 for a free one"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "ports below 1024 need privileges: choose a port from 1024, or port 0"
    return "give a local address such as 127.0.0.1 and a free port, or port 0"


def base_url(sock: socket.socket) -> str:
    """Return ``http://HOST:PORT/`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    url_host = f"[{host}]" if ":" in host else host
    return f"http://{url_host}:{port}/"


class _HideInjectedDrops(logging.Filter):
    """Drop uvicorn's error record for a connection the emulator closed on purpose.

    The app closes a connection by returning a value, which uvicorn logs at
    ERROR; for an injected fault that record is expected, not a problem.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "connection dropped by fault injection" not in record.getMessage()


def make_server(app: ASGIApp) -> uvicorn.Server:
    """Return a uvicorn server for ``app`` that leaves logging configuration to the caller."""
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(item, _HideInjectedDrops) for item in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_HideInjectedDrops())
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_app_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a background thread; yield its base URL once it accepts connections."""
    sock = bind_socket(host, port)
    url = base_url(sock)
    server = make_server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="flowspec-emulator", daemon=True
    )
    thread.start()
    try:
        _wait_until_started(server, thread)
        logger.info("emulator listening on %s", url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=GRACEFUL_SHUTDOWN + 5.0)
        sock.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise EmulatorStartFailed("the emulator server stopped while starting")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise EmulatorStartFailed(f"the emulator did not start within {STARTUP_TIMEOUT:g} s")
        time.sleep(0.005)


@contextlib.contextmanager
def serve_in_thread(
    project: Project,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    faults: FaultSettings | None = None,
) -> Iterator[str]:
    """Serve the emulator for ``project`` in a background thread; yield ``http://HOST:PORT/``.

    The server accepts connections when the base URL is yielded and is stopped
    on exit, cutting requests still open after ``GRACEFUL_SHUTDOWN`` seconds.
    """
    app = create_app(project, seed=seed, clock=clock, faults=faults)
    with serve_app_in_thread(app, host, port) as url:
        yield url
