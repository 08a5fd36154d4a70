"""The progress output of ``flowspec run``: a live view on a terminal, event lines otherwise.

Both views are ``RunListener``s fed by the engine, and both write to a
``rich.console.Console`` that the CLI creates (rich honours ``NO_COLOR`` and
drops styles when the output is not a terminal). Names, reasons and server
messages pass through ``single_line``, so a server cannot send escape
sequences to the terminal or break a line of the live view.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from flowspec.client import ProgressPayload
from flowspec.engine import SuiteOutcome
from flowspec.plan import Run
from flowspec.report._text import single_line
from flowspec.results import RunResult, Verdict

VERDICT_STYLES = {
    Verdict.PASSED: "green",
    Verdict.FAILED: "red",
    Verdict.ERROR: "red",
    Verdict.TIMED_OUT: "red",
    Verdict.SKIPPED: "yellow",
}
FAILING = (Verdict.FAILED, Verdict.ERROR, Verdict.TIMED_OUT)


class PipeSafeConsole(Console):
    """A console that stops printing when its reader goes away, instead of exiting.

    rich raises ``SystemExit(1)`` on a broken pipe. Raised inside a run's task,
    that would end flowspec without cancelling executions or writing reports,
    as in ``flowspec run suite.yaml | head -1``.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        # Later writes, and the interpreter's final flush, go to the null device.
        try:
            stdout = sys.stdout.fileno()
        except (OSError, ValueError):
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout)
        os.close(devnull)


def verdict_label(verdict: Verdict) -> str:
    """Return the verdict as a fixed-width upper-case label for aligned lines."""
    return verdict.value.upper().ljust(9)


def describe_result(result: RunResult) -> str:
    """Return one line for a finished run: verdict, name, time or reason."""
    line = f"{verdict_label(result.verdict)} {single_line(result.name)}"
    if result.verdict is not Verdict.SKIPPED:
        line += f" ({result.total_seconds:.1f} s)"
    if result.reason:
        line += f": {single_line(result.reason)}"
    return line


def percent_text(value: object) -> str:
    """Return a progress percentage as ``40%``, or ``-`` when the server sent no number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.0f}%"
    return "-"


class PlainView:
    """One line per event, for logs and pipes; ``quiet`` keeps only failures."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self._console = console
        self._quiet = quiet
        self._statuses: dict[str, str] = {}

    def __enter__(self) -> PlainView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def run_started(self, run: Run) -> None:
        if not self._quiet:
            self._print(f"{'STARTED'.ljust(9)} {single_line(run.name)}")

    def run_progress(self, run: Run, progress: ProgressPayload) -> None:
        status = str(progress["status"])
        if self._quiet or self._statuses.get(run.id) == status:
            return
        self._statuses[run.id] = status
        message = progress.get("message")
        detail = f" {percent_text(progress.get('percentage'))}" + (f" {message}" if message else "")
        self._print(single_line(f"{status.upper().ljust(9)} {run.name}{detail}"))

    def run_finished(self, run: Run, result: RunResult) -> None:
        self._statuses.pop(run.id, None)
        if self._quiet and result.verdict not in FAILING:
            return
        self._print(describe_result(result), style=VERDICT_STYLES[result.verdict])

    def _print(self, text: str, style: str = "") -> None:
        self._console.print(Text(text, style=style), soft_wrap=True, highlight=False)


@dataclass
class _Active:
    name: str
    status: str = "Starting"
    percentage: object = 0
    message: object = ""


class LiveView:
    """An overall progress bar and one line per active run, with finished runs printed above."""

    def __init__(self, console: Console, total: int) -> None:
        self._console = console
        self._active: dict[str, _Active] = {}
        self._progress = Progress(
            TextColumn("[bold]runs"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._task = self._progress.add_task("runs", total=total)
        self._live = Live(console=console, get_renderable=self._render, refresh_per_second=8)

    def __enter__(self) -> LiveView:
        self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._active.clear()
        self._live.stop()

    def run_started(self, run: Run) -> None:
        self._active[run.id] = _Active(run.name)

    def run_progress(self, run: Run, progress: ProgressPayload) -> None:
        active = self._active.get(run.id)
        if active is None:
            return
        active.status = progress["status"]
        active.percentage = progress.get("percentage", active.percentage)
        active.message = progress.get("message", active.message)

    def run_finished(self, run: Run, result: RunResult) -> None:
        self._active.pop(run.id, None)
        self._progress.advance(self._task)
        # The style goes on the Text, not on print(): rich applies a print style to the
        # live display redrawn in the same call as well.
        line = Text(describe_result(result), style=VERDICT_STYLES[result.verdict])
        self._live.console.print(line, soft_wrap=True, highlight=False)

    def _render(self) -> Group:
        # rich redraws from its own thread; dict.copy() is one step under the GIL, so the
        # loop thread cannot change the dictionary while it is read.
        active_runs = list(self._active.copy().values())
        shown = max(1, self._console.height - 3)
        table = Table.grid(padding=(0, 2))
        for active in active_runs[:shown]:
            table.add_row(
                Text(single_line(active.name)),
                Text(single_line(str(active.status))),
                percent_text(active.percentage).rjust(4),
                Text(single_line(str(active.message))),
            )
        if len(active_runs) > shown:
            table.add_row(Text(f"… and {len(active_runs) - shown} more running"))
        return Group(self._progress, table)


def summary_lines(outcome: SuiteOutcome) -> list[tuple[str, str | None]]:
    """Return the closing summary as (text, style) lines: failures, counts per verdict, time."""
    result = outcome.result
    runs = [run for run in result.runs if run.selected]
    lines: list[tuple[str, str | None]] = []
    failing = [run for run in runs if run.verdict in FAILING]
    if failing:
        lines.append(("", None))
        lines.append(("Runs that did not pass:", "bold"))
        lines.extend((f"  {describe_result(run)}", "red") for run in failing)

    seconds = (result.ended_at - result.started_at).total_seconds()
    lines.append(("", None))
    lines.append((f"{count_verdicts(runs)} in {seconds:.1f} s", _summary_style(outcome)))
    if result.stop_reason:
        lines.append((f"Stopped early: {single_line(result.stop_reason)}", "yellow"))
    left_out = len(result.runs) - len(runs)
    if left_out:
        lines.append((f"{left_out} run(s) not selected by --shard or --rerun-failed", None))
    return lines


def count_verdicts(runs: Sequence[RunResult]) -> str:
    """Return ``N runs: a passed, b failed, …`` listing only verdicts that occurred."""
    counts = Counter(run.verdict for run in runs)
    parts = [f"{counts[verdict]} {verdict.value}" for verdict in Verdict if counts[verdict]]
    noun = "run" if len(runs) == 1 else "runs"
    return f"{len(runs)} {noun}: {', '.join(parts)}" if parts else f"0 {noun}"


def _summary_style(outcome: SuiteOutcome) -> str:
    return "bold green" if outcome.exit_code == 0 else "bold red"
