"""Shared fixtures: the Smart Flows emulator, over real HTTP on loopback or in-process.

Projects are given as a dict (written to ``project.yaml`` in ``tmp_path`` and
loaded through ``load_project``), a path to a project file, or a ``Project``.
Every project accepts ``TEST_API_KEY`` (from ``flowspec.emulator.testing``)
for its admin user.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowspec.emulator.project import Project
from flowspec.emulator.testing import (
    RunningEmulator,
    build_app,
    in_process_client,
    project_from,
    served,
)

ProjectSource = Project | Mapping[str, Any] | Path


@pytest.fixture
def emulator_server(tmp_path: Path) -> Iterator[Callable[..., RunningEmulator]]:
    """Start emulators over real HTTP on 127.0.0.1; all stop when the test ends.

    Call it as ``emulator_server(project, files=None, seed=0, clock=None, faults=None)``.
    ``files`` maps names to the text of files the project refers to, such as XSDs.
    It returns a ``RunningEmulator``: ``url`` is ``http://127.0.0.1:PORT/``,
    ``headers()`` authenticate, ``stats()`` returns what ``/__emulator/stats``
    serves, and ``state`` exposes the store and clock.
    """
    with contextlib.ExitStack() as stack:
        count = iter(range(1_000_000))

        def start(
            source: ProjectSource, files: Mapping[str, str] | None = None, **options: Any
        ) -> RunningEmulator:
            project = project_from(source, tmp_path / f"project-{next(count)}", files)
            return stack.enter_context(served(build_app(project, **options)))

        yield start


@pytest.fixture
async def emulator_app(
    tmp_path: Path,
) -> AsyncIterator[Callable[..., tuple[RunningEmulator, httpx.AsyncClient]]]:
    """Build in-process emulators, reached through httpx's ``ASGITransport``.

    Call it as ``emulator_app(project, files=None, seed=0, clock=None, faults=None)``; it
    returns ``(emulator, client)``: the ``RunningEmulator`` and an
    ``httpx.AsyncClient`` that already sends ``TEST_API_KEY``. Clients close
    when the test ends. Faults that drop connections need ``emulator_server``.
    """
    clients: list[httpx.AsyncClient] = []

    def build(
        source: ProjectSource, files: Mapping[str, str] | None = None, **options: Any
    ) -> tuple[RunningEmulator, httpx.AsyncClient]:
        project = project_from(source, tmp_path / f"project-{len(clients)}", files)
        emulator = RunningEmulator(build_app(project, **options), "http://emulator.test/")
        client = in_process_client(emulator, headers=emulator.headers())
        clients.append(client)
        return emulator, client

    yield build
    for client in clients:
        await client.aclose()
