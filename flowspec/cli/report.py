"""``flowspec report show`` and ``flowspec report merge``, and the ``--report`` option type.

Both commands exit 0 when the report shows a complete run in which every run
passed (or was skipped), 1 otherwise, and 2 when a report file cannot be read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flowspec.errors import ExitCode, UsageError
from flowspec.report import (
    REPORT_WRITERS,
    ReportTarget,
    check_report_targets,
    parse_report_target,
    read_report,
    write_reports,
)
from flowspec.report._details import (
    count_noun,
    format_seconds,
    unselected_note,
    verdict_reason,
    without_unselected,
)
from flowspec.report._text import single_line
from flowspec.report.jsonreport import as_utc, count_verdicts, format_timestamp
from flowspec.report.merge import merge_results
from flowspec.report.reading import parse_report
from flowspec.results import SuiteResult, Verdict

_VERDICT_STYLES = {
    Verdict.PASSED: "green",
    Verdict.FAILED: "bold red",
    Verdict.ERROR: "bold red",
    Verdict.TIMED_OUT: "bold red",
    Verdict.SKIPPED: "yellow",
}


# click 8.5 made ParamType generic; subscripting it would fail on the click 8.1 we support.
class ReportTargetType(click.ParamType):  # type: ignore[type-arg]
    """The ``FORMAT:PATH`` value of ``--report``."""

    name = "FORMAT:PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, ReportTarget):
            return value
        try:
            return parse_report_target(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


REPORT_TARGET = ReportTargetType()
REPORT_HELP = (
    "Write a report, for example junit:out/junit.xml;"
    f" FORMAT is one of {', '.join(REPORT_WRITERS)}."
    " Repeat for several reports. With GITHUB_STEP_SUMMARY set, the Markdown summary is also"
    " appended there."
)


def _exit_code(result: SuiteResult) -> ExitCode:
    return ExitCode.OK if result.passed and result.complete else ExitCode.RUNS_FAILED


def _totals(result: SuiteResult) -> str:
    counts = count_verdicts(result)
    parts = ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items())
    elapsed = (as_utc(result.ended_at) - as_utc(result.started_at)).total_seconds()
    return f"{count_noun(len(result.runs), 'run')}: {parts}; {format_seconds(max(elapsed, 0.0))}"


def _header(result: SuiteResult, unselected: int) -> list[str]:
    lines = [
        f"flowspec {single_line(result.flowspec_version)} run from"
        f" {format_timestamp(result.started_at)} to {format_timestamp(result.ended_at)}"
    ]
    if not result.complete:
        reason = single_line(result.stop_reason or "no reason recorded")
        lines.append(f"INCOMPLETE RUN: stopped early: {reason}")
    if unselected:
        lines.append(unselected_note(unselected))
    return lines


def render_plain(result: SuiteResult) -> str:
    """Render ``result`` as plain text for a pipe or a file: one line per run, then totals.

    Runs that ``--shard`` or ``--rerun-failed`` left out are counted, not listed.
    """
    result, unselected = without_unselected(result)
    lines = _header(result, unselected)
    lines.append(f"{'VERDICT':<10} {'STATUS':<12} {'TIME':>10} {'DOCS':>4}  RUN")
    for run in result.runs:
        status = single_line(run.status or "-")
        lines.append(
            f"{run.verdict.value:<10} {status:<12} {format_seconds(run.total_seconds):>10}"
            f" {len(run.documents):>4}  {single_line(run.name)}"
        )
        if run.verdict is not Verdict.PASSED:
            lines.append(f"{'':<10} reason: {single_line(verdict_reason(run))}")
    lines.append(f"Totals: {_totals(result)}")
    return "\n".join(lines)


def _print_rich(console: Console, result: SuiteResult) -> None:
    result, unselected = without_unselected(result)
    for line in _header(result, unselected):
        console.print(Text(line, style="bold yellow" if line.startswith("INCOMPLETE") else ""))
    table = Table("Verdict", "Status", "Time", "Docs", "Run", "Reason")
    for run in result.runs:
        reason = "" if run.verdict is Verdict.PASSED else single_line(verdict_reason(run))
        table.add_row(
            Text(run.verdict.value, style=_VERDICT_STYLES[run.verdict]),
            Text(single_line(run.status or "-")),
            Text(format_seconds(run.total_seconds)),
            Text(str(len(run.documents))),
            Text(single_line(run.name)),
            Text(reason),
        )
    console.print(table)
    console.print(Text(f"Totals: {_totals(result)}", style="bold"))


@click.group("report")
def report_group() -> None:
    """Show and merge result reports written by 'flowspec run --report json:PATH'."""


#: The path that names standard input, by the usual command-line convention.
_STDIN = Path("-")


def _read(path: Path) -> SuiteResult:
    if path == _STDIN:
        return parse_report(sys.stdin.buffer.read(), Path("<stdin>"))
    return read_report(path)


@report_group.command("show")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", *REPORT_WRITERS]),
    default="text",
    show_default=True,
    help="Output format: a table of runs (text), or the report converted to another format.",
)
def show_command(report: Path, output_format: str) -> None:
    """Print a JSON report as a table, or in another report format.

    A REPORT of - is read from standard input.

    \b
    Exit codes:
      0  the run was complete, and every run passed or was skipped
      1  some run failed, had an error or timed out, or the run was incomplete
      2  REPORT cannot be read or does not match the report schema
    """
    result = _read(report)
    if output_format != "text":
        sys.stdout.buffer.write(REPORT_WRITERS[output_format].render(result))
        sys.stdout.buffer.flush()
    else:
        _print_text(result)
    sys.exit(_exit_code(result))


def _print_text(result: SuiteResult) -> None:
    console = Console(highlight=False)
    if console.is_terminal:
        _print_rich(console, result)
    else:
        click.echo(render_plain(result))


@report_group.command("merge")
@click.argument(
    "reports",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
)
@click.option(
    "--report",
    "targets",
    type=REPORT_TARGET,
    multiple=True,
    required=True,
    help=REPORT_HELP,
)
def merge_command(reports: tuple[Path, ...], targets: tuple[ReportTarget, ...]) -> None:
    """Combine the JSON reports of shards or reruns into one.

    A run that appears in several REPORTS is taken from the report that
    ended last. An incomplete report keeps the merge incomplete until later
    reports replace its runs that did not pass. A REPORT of - is read from
    standard input.

    \b
    Exit codes:
      0  the merged run is complete, and every run passed or was skipped
      1  some run failed, had an error or timed out, or a report was incomplete
      2  a report cannot be read, or an option is wrong
    """
    check_report_targets(targets)
    if reports.count(_STDIN) > 1:
        raise UsageError("standard input (-) can be given only once among the REPORTS")
    merged = merge_results([_read(path) for path in reports])
    write_reports(merged, targets)
    listed, unselected = without_unselected(merged)
    note = f" ({unselected_note(unselected)})" if unselected else ""
    click.echo(f"Merged {count_noun(len(reports), 'report')}: {_totals(listed)}{note}", err=True)
    sys.exit(_exit_code(merged))
