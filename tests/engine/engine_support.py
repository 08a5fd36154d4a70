"""Helpers for engine tests: the emulator over real HTTP on loopback, job files built in code."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from flowspec.client import RetryPolicy, SmartFlowsClient
from flowspec.diagnostics import Location
from flowspec.engine import Engine, EngineOptions, SuiteOutcome
from flowspec.execution import Clock, SystemClock
from flowspec.plan import Run, plan_runs
from flowspec.results import RunResult
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Entry, JobFile, RunSettings, Server

DATA = Path(__file__).parent / "data"
API_KEY = "engine-tests-api-key-0001"
JOB_PATH = Path("engine.yaml")


@dataclass
class Emulator:
    """A served emulator: its base URL and a way to read its request statistics."""

    url: str

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url.rstrip('/')}/__emulator/stats").json()  # type: ignore[no-any-return]


def entry(name: str, flow: str, **fields: Any) -> Entry:
    return Entry(name=name, flow=flow, location=Location(str(JOB_PATH), 3), **fields)


def job(url: str, *entries: Entry, key: str = API_KEY, **settings: Any) -> JobFile:
    return JobFile(
        path=JOB_PATH,
        sha256="0" * 64,
        name="engine",
        server=Server(
            base_url=url, auth=Auth(api_key=Secret(key)), location=Location("engine.yaml", 2)
        ),
        run=RunSettings(**settings),
        entries=entries,
    )


class SteppingClock:
    """A clock that moves ``step`` seconds forward on every reading, so timeouts pass at once."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.seconds = 0.0

    def monotonic(self) -> float:
        self.seconds += self.step
        return self.seconds

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=self.seconds)


@dataclass
class Recorder:
    """A listener that records each run's start and end on the real clock, and every status seen."""

    clock: Clock = field(default_factory=SystemClock)
    spans: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    finished: list[str] = field(default_factory=list)

    def run_started(self, run: Run) -> None:
        self.spans[run.name] = [self.clock.monotonic()]

    def run_progress(self, run: Run, progress: Any) -> None:
        self.statuses.setdefault(run.name, []).append(progress["status"])

    def run_finished(self, run: Run, result: RunResult) -> None:
        self.finished.append(run.name)
        if run.name in self.spans:
            self.spans[run.name].append(self.clock.monotonic())

    def max_overlap(self) -> int:
        events = sorted(
            [(span[0], 1) for span in self.spans.values()]
            + [(span[1], -1) for span in self.spans.values()]
        )
        current = highest = 0
        for _, change in events:
            current += change
            highest = max(highest, current)
        return highest


def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.05)


async def execute(
    jobs: Sequence[JobFile],
    output_dir: Path,
    *,
    clock: Clock | None = None,
    listener: Any = None,
    retry: RetryPolicy | None = None,
    on_engine: Callable[[Engine], None] | None = None,
    **options: Any,
) -> SuiteOutcome:
    """Plan and execute ``jobs`` with one client per job file's server."""
    runs = plan_runs(jobs)
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[Path, SmartFlowsClient] = {}
        for job_file in jobs:
            client = SmartFlowsClient(
                job_file.server.base_url, job_file.server.auth, retry=retry or fast_retry()
            )
            clients[job_file.path] = await stack.enter_async_context(client)
        engine = Engine(
            lambda job_file: clients[job_file.path],
            clock or SystemClock(),
            listener or Recorder(),
            EngineOptions(output_dir=output_dir, **options),
        )
        if on_engine is not None:
            on_engine(engine)
        return await engine.execute(runs)


def by_name(outcome: SuiteOutcome) -> dict[str, RunResult]:
    return {run.name: run for run in outcome.result.runs}


async def server_status(url: str, execution_id: str) -> str:
    async with SmartFlowsClient(url, Auth(api_key=Secret(API_KEY))) as client:
        execution = await client.get_execution(execution_id)
    return execution["status"]
