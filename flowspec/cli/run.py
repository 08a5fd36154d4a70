"""``flowspec plan`` and ``flowspec run``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from flowspec.console import LiveView, PlainView, summary_lines
from flowspec.engine import Engine, EngineOptions, SuiteOutcome
from flowspec.errors import ExitCode
from flowspec.execution import SystemClock
from flowspec.plan import Run, describe_input, plan_as_json, plan_runs
from flowspec.report import ReportTarget, check_report_targets, parse_report_target, write_reports
from flowspec.report.reading import read_report
from flowspec.selection import failed_run_ids, parse_shard, select_rerun, select_shard
from flowspec.servers import Endpoint, open_clients, serve_endpoints
from flowspec.spec import load_job_files

logger = logging.getLogger(__name__)

_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)


@click.command("plan")
@_FILES
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table (aligned columns when not a terminal); json: the plan as a JSON document.",
)
def plan_command(files: tuple[Path, ...], output_format: str) -> None:
    """Print the runs that ``run`` would start, without touching the network.

    \b
    For each run: its mode, the start request, its input and what it waits for.
    The JSON form is {"version": 1, "runs": [{"id", "name", "job_file", "line",
    "entry", "flow", "mode", "method", "endpoint", "input", "order", "after"}]},
    where "after" lists run ids.
    """
    runs = plan_runs(load_job_files(list(files)))
    if output_format == "json":
        click.echo(json.dumps(plan_as_json(runs), indent=2))
        return

    console = Console(highlight=False)
    if console.is_terminal:
        console.print(_plan_table(runs))
    else:
        click.echo(_plan_text(runs))


def _plan_rows(runs: Sequence[Run]) -> list[tuple[str, ...]]:
    by_id = {run.id: run for run in runs}
    rows: list[tuple[str, ...]] = []
    for position, run in enumerate(runs, start=1):
        waits = _describe_after([by_id[run_id] for run_id in run.after if run_id in by_id])
        order = run.job.run.order
        rows.append(
            (
                str(position),
                run.name,
                run.mode,
                f"{run.method} {run.endpoint}",
                describe_input(run) or "-",
                order,
                waits,
            )
        )
    return rows


def _describe_after(dependencies: Sequence[Run]) -> str:
    """Name the entries waited for, once each, with their run count when a glob expanded them."""
    counts: dict[str, int] = {}
    for dependency in dependencies:
        label = f"{dependency.job.path.stem}/{dependency.entry.name}"
        counts[label] = counts.get(label, 0) + 1
    labels = [label if count == 1 else f"{label} ({count} runs)" for label, count in counts.items()]
    return ", ".join(labels) or "-"


_PLAN_HEADERS = ("#", "run", "mode", "request", "input", "order", "after")


def _plan_table(runs: Sequence[Run]) -> Table:
    table = Table(*_PLAN_HEADERS, title=f"{len(runs)} runs")
    for row in _plan_rows(runs):
        table.add_row(*row)
    return table


def _plan_text(runs: Sequence[Run]) -> str:
    rows = [_PLAN_HEADERS, *_plan_rows(runs)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_PLAN_HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


@click.command("run")
@_FILES
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Folder for downloaded documents and the default report.",
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT:PATH",
    help="Write a report: json:PATH, junit:PATH or markdown:PATH. Repeatable. "
    "Default: json:OUTPUT_DIR/report.json.",
)
@click.option("--shard", metavar="K/N", help="Run only shard K of N (1-based), for CI fan-out.")
@click.option(
    "--rerun-failed",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    metavar="REPORT",
    help="Run only the runs that did not pass in this JSON report.",
)
@click.option(
    "--keep-running",
    is_flag=True,
    help="On Ctrl-C or SIGTERM, leave running executions on the server instead of cancelling.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    help="Maximum runs at once in parallel job files, replacing their run.concurrency.",
)
def run_command(
    files: tuple[Path, ...],
    output_dir: Path,
    reports: tuple[str, ...],
    shard: str | None,
    rerun_failed: Path | None,
    keep_running: bool,
    quiet: bool,
    concurrency: int | None,
) -> None:
    """Run the flows of job files, download their documents and write reports.

    Ctrl-C or SIGTERM stops starting runs, cancels the running executions and
    writes the results so far (exit 130); a second Ctrl-C aborts at once.
    """
    targets = [parse_report_target(text) for text in reports] or [
        ReportTarget("json", output_dir / "report.json")
    ]
    check_report_targets(targets)
    shard_range = parse_shard(shard) if shard is not None else None

    job_files = load_job_files(list(files))
    runs = plan_runs(job_files)
    selected = _selection(runs, shard_range, rerun_failed)
    options = EngineOptions(
        output_dir=output_dir,
        keep_running=keep_running,
        concurrency=concurrency,
        selected=selected,
    )

    console = Console(highlight=False)
    with serve_endpoints(job_files) as endpoints:
        outcome = asyncio.run(_execute(runs, endpoints, options, console, quiet=quiet))

    write_reports(outcome.result, targets)
    _print_summary(console, outcome, targets)
    click.get_current_context().exit(int(outcome.exit_code))


def _selection(
    runs: Sequence[Run], shard: tuple[int, int] | None, rerun_failed: Path | None
) -> frozenset[str] | None:
    if shard is None and rerun_failed is None:
        return None
    chosen = list(runs)
    if rerun_failed is not None:
        chosen = select_rerun(chosen, failed_run_ids(read_report(rerun_failed)))
    if shard is not None:
        chosen = select_shard(chosen, *shard)
    return frozenset(run.id for run in chosen)


async def _execute(
    runs: Sequence[Run],
    endpoints: dict[Path, Endpoint],
    options: EngineOptions,
    console: Console,
    *,
    quiet: bool,
) -> SuiteOutcome:
    selected = len(runs) if options.selected is None else len(options.selected)
    view = (
        LiveView(console, selected)
        if console.is_terminal and not quiet
        else PlainView(console, quiet=quiet)
    )
    async with open_clients(endpoints, max_connections=_max_connections(runs, options)) as clients:
        engine = Engine(clients, SystemClock(), view, options)
        _install_signal_handlers(engine)
        try:
            with view:
                return await engine.execute(runs)
        finally:
            _remove_signal_handlers()


def _max_connections(runs: Sequence[Run], options: EngineOptions) -> int:
    # Each running execution keeps one connection busy with its long poll; a few spare.
    limits = [run.job.run.concurrency for run in runs]
    return max([options.concurrency or 0, *limits, 1]) + 4


def _install_signal_handlers(engine: Engine) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(number: int) -> None:
        if engine.interrupted:
            click.echo("Interrupted again: aborting without cleanup.", err=True)
            os._exit(ExitCode.INTERRUPTED)
        name = signal.Signals(number).name
        click.echo(f"{name}: stopping; press Ctrl-C again to abort at once.", err=True)
        engine.interrupt()

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, on_signal, number)
        except (NotImplementedError, RuntimeError):
            # Windows event loops have no signal handlers; Ctrl-C then raises KeyboardInterrupt.
            logger.debug("no asyncio signal handler for %s", number)


def _remove_signal_handlers() -> None:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(number)


def _print_summary(
    console: Console, outcome: SuiteOutcome, targets: Sequence[ReportTarget]
) -> None:
    for text, style in summary_lines(outcome):
        console.print(text, style=style, soft_wrap=True, highlight=False, markup=False)
    written = ", ".join(str(target.path) for target in targets)
    console.print(f"Reports: {written}", soft_wrap=True, highlight=False, markup=False)
    if outcome.fatal is not None:
        click.echo(f"Error: {outcome.fatal}", err=True)
