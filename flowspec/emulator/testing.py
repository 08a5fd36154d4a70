"""Helpers for tests that run against the emulator: a manual clock and project files from dicts.

The pytest fixtures in ``tests/conftest.py`` build on these. Projects given as
dicts are written to YAML and loaded through ``load_project``, so tests
exercise the same loader users do.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from flowspec.emulator.app import EmulatorApp, EmulatorState, create_app
from flowspec.emulator.executions import Clock
from flowspec.emulator.faults import FaultSettings
from flowspec.emulator.project import Project, load_project
from flowspec.emulator.server import serve_app_in_thread

# An API key every project built by these helpers accepts for its admin user.
TEST_API_KEY = "flowspec-test-key-0001"


class ManualClock:
    """A monotonic clock that moves only when ``advance`` is called; safe across threads."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self._now += seconds


def write_project(
    folder: Path, data: Mapping[str, Any], files: Mapping[str, str] | None = None
) -> Path:
    """Write ``data`` as ``project.yaml`` and each of ``files`` (name to text) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "project.yaml"
    path.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    return path


def project_from(
    source: Project | Mapping[str, Any] | Path,
    folder: Path,
    files: Mapping[str, str] | None = None,
) -> Project:
    """Return a project from a ``Project``, a project file, or a dict written into ``folder``.

    ``files`` (name to text) are written beside a project dict, for the XSD
    files it names. The result accepts ``TEST_API_KEY`` for its first admin user.
    """
    if isinstance(source, Project):
        return source.with_api_keys([TEST_API_KEY])
    path = source if isinstance(source, Path) else write_project(folder, source, files)
    return load_project(path, extra_api_keys=[TEST_API_KEY])


@dataclass
class RunningEmulator:
    """An emulator app, served over HTTP on loopback or reached in-process."""

    app: EmulatorApp
    url: str
    served: bool = False

    @property
    def state(self) -> EmulatorState:
        """The app's shared state: store, clock, faults and counters."""
        state: EmulatorState = self.app.state.emulator
        return state

    def stats(self) -> dict[str, Any]:
        """Return what ``GET /__emulator/stats`` serves.

        A served app is asked over HTTP, because its counters change in the
        server's thread; an in-process app is read directly.
        """
        if not self.served:
            return self.state.stats.snapshot(self.state.faults.fired)
        response = httpx.get(f"{self.url}__emulator/stats", timeout=10)
        response.raise_for_status()
        snapshot: dict[str, Any] = response.json()
        return snapshot

    def headers(self, api_key: str = TEST_API_KEY) -> dict[str, str]:
        """Return the headers that authenticate with ``api_key``."""
        return {"X-API-Key": api_key}


def build_app(
    project: Project,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    faults: FaultSettings | None = None,
) -> EmulatorApp:
    """Create the app as the CLI would."""
    return create_app(project, seed=seed, clock=clock, faults=faults)


@contextlib.contextmanager
def served(app: EmulatorApp) -> Iterator[RunningEmulator]:
    """Serve ``app`` on a free loopback port for the duration of the block."""
    with serve_app_in_thread(app) as url:
        yield RunningEmulator(app, url, served=True)


def in_process_client(emulator: RunningEmulator, **options: Any) -> httpx.AsyncClient:
    """Return an async httpx client that calls the app in-process; the caller closes it."""
    transport = httpx.ASGITransport(app=emulator.app)
    return httpx.AsyncClient(transport=transport, base_url=emulator.url, **options)
