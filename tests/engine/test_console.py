"""The console views, rendered to a string at a fixed width."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from engine_support import entry, job
from rich.console import Console

from flowspec.console import LiveView, PlainView, count_verdicts, summary_lines
from flowspec.engine import SuiteOutcome
from flowspec.plan import Run, plan_runs
from flowspec.results import RunResult, SuiteResult, Verdict

STARTED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def make_console(*, terminal: bool = False) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    console = Console(file=stream, width=100, force_terminal=terminal, color_system=None)
    return console, stream


def make_runs() -> list[Run]:
    return plan_runs([job("http://127.0.0.1:1/", entry("letter", "quick"), entry("bad", "x"))])


def result(run: Run, verdict: Verdict, reason: str | None = None, **fields: object) -> RunResult:
    return RunResult(
        run_id=run.id,
        name=run.name,
        job_file=run.job.path,
        line=3,
        flow=run.entry.flow,
        mode=run.mode,
        verdict=verdict,
        reason=reason,
        total_seconds=1.25,
        **fields,  # type: ignore[arg-type]
    )


def feed(view: PlainView | LiveView, runs: list[Run]) -> None:
    letter, bad = runs
    view.run_started(letter)
    view.run_progress(letter, {"id": "e1", "status": "Running", "percentage": 40, "message": "Go"})
    view.run_progress(letter, {"id": "e1", "status": "Running", "percentage": 60, "message": "Go"})
    view.run_finished(letter, result(letter, Verdict.PASSED))
    view.run_started(bad)
    view.run_finished(bad, result(bad, Verdict.FAILED, "ended with status Error, expected Success"))


def test_plain_view_one_line_per_event() -> None:
    console, stream = make_console()

    feed(PlainView(console), make_runs())

    assert stream.getvalue().splitlines() == [
        "STARTED   engine/letter",
        "RUNNING   engine/letter 40% Go",
        "PASSED    engine/letter (1.2 s)",
        "STARTED   engine/bad",
        "FAILED    engine/bad (1.2 s): ended with status Error, expected Success",
    ]


def test_plain_view_quiet_keeps_failures() -> None:
    console, stream = make_console()

    feed(PlainView(console, quiet=True), make_runs())

    assert stream.getvalue().splitlines() == [
        "FAILED    engine/bad (1.2 s): ended with status Error, expected Success",
    ]


def test_plain_view_keeps_markup_literal() -> None:
    console, stream = make_console()
    [run, _] = make_runs()

    PlainView(console).run_finished(run, result(run, Verdict.ERROR, "bad [bold]tag[/]"))

    assert "bad [bold]tag[/]" in stream.getvalue()


def test_live_view_prints_finished_runs() -> None:
    console, stream = make_console(terminal=True)
    runs = make_runs()

    with LiveView(console, total=2) as view:
        feed(view, runs)

    output = stream.getvalue()
    assert "PASSED    engine/letter (1.2 s)" in output
    assert "FAILED    engine/bad (1.2 s): ended with status Error" in output
    assert "2/2" in output


def test_summary_lists_failures_and_counts() -> None:
    letter, bad = make_runs()
    suite = SuiteResult(
        flowspec_version="0",
        started_at=STARTED,
        ended_at=STARTED + timedelta(seconds=3),
        job_files=(),
        base_urls=(),
        runs=(
            result(letter, Verdict.PASSED),
            result(bad, Verdict.TIMED_OUT, "timed out after 1 s"),
        ),
        complete=False,
        stop_reason="interrupted",
    )

    lines = [text for text, _ in summary_lines(SuiteOutcome(suite, interrupted=True))]

    assert "  TIMED OUT engine/bad (1.2 s): timed out after 1 s" in lines
    assert "2 runs: 1 passed, 1 timed out in 3.0 s" in lines
    assert "Stopped early: interrupted" in lines


def test_count_verdicts_skips_absent() -> None:
    [run, _] = make_runs()

    assert count_verdicts([result(run, Verdict.SKIPPED)]) == "1 run: 1 skipped"
    assert count_verdicts([]) == "0 runs"


def test_live_view_caps_active_lines() -> None:
    console, stream = make_console(terminal=True)
    console.height = 5
    runs = plan_runs(
        [job("http://127.0.0.1:1/", *[entry(f"r{number}", "f") for number in range(6)])]
    )

    with LiveView(console, total=6) as view:
        for run in runs:
            view.run_started(run)
        console.print(view._render())

    output = stream.getvalue()
    assert "engine/r1" in output
    assert "engine/r5" not in output
    assert "… and 4 more running" in output


HOSTILE = {
    "id": "e1",
    "status": "Running",
    "percentage": None,
    "message": "\x1b]0;title\x07\x1b[2Jwiped\nsecond line",
}


def test_plain_view_escapes_server_text() -> None:
    console, stream = make_console()
    letter, _ = make_runs()

    PlainView(console).run_progress(letter, HOSTILE)  # type: ignore[arg-type]

    assert stream.getvalue() == (
        "RUNNING   engine/letter - \\x1b]0;title\\x07\\x1b[2Jwiped\\nsecond line\n"
    )


def test_live_view_escapes_server_text() -> None:
    console, _ = make_console(terminal=True)
    letter, _ = make_runs()
    view = LiveView(console, 1)

    with view:
        view.run_started(letter)
        view.run_progress(letter, HOSTILE)  # type: ignore[arg-type]
        rendered = io.StringIO()
        Console(file=rendered, width=200, color_system=None).print(view._render())

    assert "\x1b" not in rendered.getvalue()
    assert "Running     -  \\x1b]0;title\\x07\\x1b[2Jwiped\\nsecond line" in rendered.getvalue()


def test_finished_line_escapes_reason() -> None:
    console, stream = make_console()
    letter, _ = make_runs()

    PlainView(console).run_finished(letter, result(letter, Verdict.ERROR, "bad\x1b[31m\nbody"))

    assert stream.getvalue() == "ERROR     engine/letter (1.2 s): bad\\x1b[31m\\nbody\n"
