"""The engine under injected faults, timeouts, interrupts and unusable servers."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    Emulator,
    Recorder,
    SteppingClock,
    by_name,
    entry,
    execute,
    job,
    server_status,
)

from flowspec.engine import Engine
from flowspec.errors import AuthenticationFailed, ExitCode, ServerUnreachable
from flowspec.plan import Run
from flowspec.results import Verdict
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Login


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [
        pytest.param({"rate_limit": {"endpoints": ["start"], "first": 2}}, 3, id="429-on-start"),
        pytest.param({"rate_limit": {"endpoints": ["progress"], "first": 2}}, 1, id="429-on-poll"),
        pytest.param(
            {"server_error": {"endpoints": ["start"], "first": 1, "status": 503}},
            2,
            id="503-on-start",
        ),
        pytest.param(
            {"server_error": {"endpoints": ["progress", "documents"], "first": 2}},
            1,
            id="503-on-poll-and-download",
        ),
        pytest.param(
            {"latency": {"endpoints": ["any"], "first": 3, "delay": "50ms"}}, 1, id="latency"
        ),
        pytest.param(
            {"drop_connection": {"endpoints": ["progress"], "first": 1}}, 1, id="dropped-poll"
        ),
    ],
)
async def test_recoverable_fault_passes(
    serve: Callable[..., Emulator], tmp_path: Path, faults: dict[str, Any], attempts: int
) -> None:
    emulator = serve(faults)
    suite = job(emulator.url, entry("letter", "quick"))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    stats = emulator.stats()
    assert result.verdict is Verdict.PASSED, result.reason
    assert result.attempts == attempts
    assert stats["starts"] == 1
    assert stats["duplicate_starts"] == []
    assert sum(stats["faults"].values()) >= 1


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"drop_connection": {"endpoints": ["start"], "first": 1}}, id="dropped-start"),
        pytest.param(
            {"server_error": {"endpoints": ["start"], "first": 1, "status": 502}}, id="502-on-start"
        ),
        pytest.param({"hang_start": {"first": 1, "hang": "100ms"}}, id="hung-start"),
    ],
)
async def test_doubtful_start_not_retried(
    serve: Callable[..., Emulator], tmp_path: Path, faults: dict[str, Any]
) -> None:
    emulator = serve(faults)
    suite = job(emulator.url, entry("letter", "quick"), entry("second", "medium"))

    outcome = await execute([suite], tmp_path)

    results = by_name(outcome)
    stats = emulator.stats()
    reason = results["engine/letter"].reason or ""
    assert results["engine/letter"].verdict is Verdict.ERROR
    assert reason.startswith("start unconfirmed: the request to start flow quick failed after ")
    assert reason.endswith(
        ", so check the server's executions list for a new execution before rerunning"
    )
    assert reason.count(". ") == 0
    assert results["engine/second"].verdict is Verdict.PASSED
    assert stats["requests"].get("start", 0) == 2
    assert stats["duplicate_starts"] == []
    assert outcome.exit_code is ExitCode.RUNS_FAILED


async def test_vanished_execution_is_run_error(
    serve: Callable[..., Emulator], tmp_path: Path
) -> None:
    emulator = serve({"vanish": {"first": 1, "after_polls": 0}})
    suite = job(emulator.url, entry("gone", "medium"), entry("fine", "medium"))

    outcome = await execute([suite], tmp_path)

    results = by_name(outcome)
    assert results["engine/gone"].verdict is Verdict.ERROR
    assert "vanished from the server" in (results["engine/gone"].reason or "")
    assert results["engine/fine"].verdict is Verdict.PASSED
    assert outcome.fatal is None
    assert outcome.exit_code is ExitCode.RUNS_FAILED


async def test_expired_token_renewed(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve({"token_expiry": {"lifetime": "50ms"}})
    login = Login(username="login-user", password=Secret("engine-tests-password-0001"))
    suite = job(emulator.url, entry("slow", "medium"))
    suite = replace(suite, server=replace(suite.server, auth=Auth(login=login)))

    outcome = await execute([suite], tmp_path)

    assert outcome.result.runs[0].verdict is Verdict.PASSED
    assert emulator.stats()["requests"]["login"] >= 2


async def test_rejected_key_stops_suite(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(
        emulator.url,
        entry("one", "quick"),
        entry("two", "quick"),
        key="not-the-right-key-0000",
        order="sequential",
    )

    outcome = await execute([suite], tmp_path)

    results = by_name(outcome)
    assert isinstance(outcome.fatal, AuthenticationFailed)
    assert outcome.exit_code is ExitCode.SERVER_UNUSABLE
    assert results["engine/one"].verdict is Verdict.ERROR
    assert results["engine/two"].verdict is Verdict.SKIPPED
    assert results["engine/two"].reason == (
        "not started: the server could not be used (see engine/one)"
    )
    assert (outcome.result.stop_reason or "").startswith("the server could not be used: POST ")
    assert outcome.result.complete is False
    assert "not-the-right-key" not in repr(outcome)


async def test_unreachable_server_stops_suite(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    suite = job(f"http://127.0.0.1:{port}/", entry("one", "quick"), entry("two", "quick"))

    outcome = await execute([suite], tmp_path)

    assert isinstance(outcome.fatal, ServerUnreachable)
    assert outcome.exit_code is ExitCode.SERVER_UNUSABLE
    assert outcome.result.stop_reason is not None
    assert [run.verdict for run in outcome.result.runs] == [Verdict.ERROR, Verdict.SKIPPED]


async def test_timeout_on_injected_clock_cancels(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("endless", "long", timeout=60.0))

    outcome = await execute([suite], tmp_path, clock=SteppingClock(step=100.0))

    [result] = outcome.result.runs
    assert result.verdict is Verdict.TIMED_OUT
    assert (result.reason or "").startswith("timed out after 60 s (last status Running, 0%)")
    assert result.execution_id is not None
    assert await server_status(emulator.url, result.execution_id) == "Canceled"
    assert emulator.stats()["requests"].get("progress", 0) == 0


async def test_timeout_bounds_long_poll(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("endless", "long", timeout=0.3, poll_timeout=30.0))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.TIMED_OUT
    assert result.total_seconds < 3
    assert result.execution_id is not None
    assert await server_status(emulator.url, result.execution_id) == "Canceled"


async def test_timeout_stops_slow_poll(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    """A server holding a poll past the run's timeout is cut off by the real-time backstop."""
    emulator = serve({"latency": {"endpoints": ["progress"], "delay": "8s"}})
    suite = job(emulator.url, entry("endless", "long", timeout=0.5, poll_timeout=0.2))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.TIMED_OUT
    assert result.total_seconds < 4
    assert (result.reason or "").startswith("timed out after 0.5 s waiting for the server")
    assert result.execution_id is not None
    assert await server_status(emulator.url, result.execution_id) == "Canceled"


async def test_slow_cancel_reason_says_why(
    serve: Callable[..., Emulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("flowspec.execution.CANCEL_TIMEOUT", 0.2)
    emulator = serve({"latency": {"endpoints": ["cancel"], "delay": "3s"}})
    suite = job(emulator.url, entry("endless", "long", timeout=0.3))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.TIMED_OUT
    assert (result.reason or "").endswith("failed: no answer within 0.2 s")


class InterruptWhenRunning(Recorder):
    """Interrupts the engine once ``count`` runs report ``Running``."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.engine: Engine | None = None
        self.running: set[str] = set()

    def run_progress(self, run: Run, progress: Any) -> None:
        super().run_progress(run, progress)
        if progress["status"] == "Running":
            self.running.add(run.id)
        if len(self.running) == self.count and self.engine is not None:
            self.engine.interrupt()


@pytest.mark.parametrize(
    "keep_running", [pytest.param(False, id="cancel"), pytest.param(True, id="keep")]
)
async def test_interrupt_cancels_in_flight(
    emulator: Emulator, tmp_path: Path, keep_running: bool
) -> None:
    suite = job(
        emulator.url,
        *[entry(f"endless{number}", "long") for number in range(3)],
        order="parallel",
        concurrency=2,
    )
    listener = InterruptWhenRunning(2)

    def attach(engine: Engine) -> None:
        listener.engine = engine

    outcome = await execute(
        [suite], tmp_path, listener=listener, on_engine=attach, keep_running=keep_running
    )

    results = by_name(outcome)
    expected_status = "Running" if keep_running else "Canceled"
    assert outcome.exit_code is ExitCode.INTERRUPTED
    assert outcome.result.complete is False
    assert outcome.result.stop_reason == "interrupted"
    for name in ("engine/endless0", "engine/endless1"):
        result = results[name]
        assert result.verdict is Verdict.ERROR
        assert (result.reason or "").startswith("interrupted; execution ")
        assert result.execution_id is not None
        assert await server_status(emulator.url, result.execution_id) == expected_status
    assert results["engine/endless2"].verdict is Verdict.SKIPPED
    assert results["engine/endless2"].reason == "not started: interrupted"
    assert emulator.stats()["starts"] == 2
