"""Connecting job files to servers: one client per distinct server, emulators started on loopback.

A job file whose ``base_url`` is ``emulator:PATH`` gets the emulator served
in-process on 127.0.0.1; this module is the only part of the runner that
imports the emulator package, and only then. When such a job file has no
``auth``, the emulator is started with a fresh random API key added to its
project, and the client uses that key.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from flowspec.client import SmartFlowsClient
from flowspec.secret import Secret
from flowspec.spec.model import Auth, JobFile


@dataclass(frozen=True)
class Endpoint:
    """One server's address as clients use it, and the credentials they send to it."""

    base_url: str
    auth: Auth | None
    ca_bundle: Path | None = None
    allow_insecure_http: bool = False


def _server_key(job: JobFile) -> tuple[object, ...]:
    server = job.server
    return (server.base_url, server.emulator_project, server.auth)


@contextlib.contextmanager
def serve_endpoints(job_files: Sequence[JobFile]) -> Iterator[dict[Path, Endpoint]]:
    """Start the emulators the job files name and yield each job file's endpoint by path.

    Job files naming the same server with the same credentials share one
    endpoint, so they share one emulator.
    """
    with contextlib.ExitStack() as stack:
        shared: dict[tuple[object, ...], Endpoint] = {}
        endpoints: dict[Path, Endpoint] = {}
        for job in job_files:
            key = _server_key(job)
            if key not in shared:
                shared[key] = _endpoint_for(job, stack)
            endpoints[job.path] = shared[key]
        yield endpoints


def _endpoint_for(job: JobFile, stack: contextlib.ExitStack) -> Endpoint:
    server = job.server
    if server.emulator_project is None:
        return Endpoint(
            base_url=server.base_url,
            auth=server.auth,
            ca_bundle=server.ca_bundle,
            allow_insecure_http=server.allow_insecure_http,
        )

    from flowspec.emulator.project import load_project
    from flowspec.emulator.server import serve_in_thread

    generated = None if server.auth is not None else secrets.token_urlsafe(24)
    project = load_project(server.emulator_project, extra_api_keys=[generated] if generated else [])
    base_url = stack.enter_context(serve_in_thread(project))
    auth = server.auth if generated is None else Auth(api_key=Secret(generated))
    return Endpoint(base_url=str(base_url), auth=auth)


def make_client(endpoint: Endpoint, *, max_connections: int = 100) -> SmartFlowsClient:
    """Create the client for ``endpoint``; the caller closes it."""
    return SmartFlowsClient(
        endpoint.base_url,
        endpoint.auth,
        ca_bundle=endpoint.ca_bundle,
        allow_insecure_http=endpoint.allow_insecure_http,
        max_connections=max_connections,
    )


@contextlib.asynccontextmanager
async def open_clients(
    endpoints: dict[Path, Endpoint], *, max_connections: int = 100
) -> AsyncIterator[Callable[[JobFile], SmartFlowsClient]]:
    """Open one client per distinct endpoint and yield a function from job file to its client."""
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[Endpoint, SmartFlowsClient] = {}
        for endpoint in endpoints.values():
            if endpoint not in clients:
                client = make_client(endpoint, max_connections=max_connections)
                clients[endpoint] = await stack.enter_async_context(client)

        def client_for(job: JobFile) -> SmartFlowsClient:
            return clients[endpoints[job.path]]

        yield client_for
