"""Fixtures for engine tests: emulators served over real HTTP on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from engine_support import DATA, Emulator

from flowspec.emulator.faults import parse_faults
from flowspec.emulator.project import load_project
from flowspec.emulator.server import serve_in_thread


@pytest.fixture
def serve() -> Iterator[Callable[..., Emulator]]:
    """Serve the test project, optionally with faults; each call starts one emulator."""
    with contextlib.ExitStack() as stack:

        def start(
            faults: dict[str, Any] | None = None, capacity: int | None = None, **settings: Any
        ) -> Emulator:
            project = replace(load_project(DATA / "project.yaml"), capacity=capacity)
            if faults:
                project = project.with_faults(parse_faults(faults))
            url = stack.enter_context(serve_in_thread(project, **settings))
            return Emulator(str(url))

        yield start


@pytest.fixture
def emulator(serve: Callable[..., Emulator]) -> Emulator:
    return serve()
