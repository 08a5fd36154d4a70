"""``flowspec plan`` and ``flowspec run``.

Only click is imported at module level: ``flowspec --help`` imports this module
to list the commands, and rich, httpx, the spec package and the engine add
about 0.2 s, so they load when a command runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from flowspec.atomic import nearest_existing
from flowspec.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from flowspec.engine import Engine, EngineOptions, SuiteOutcome
    from flowspec.plan import Run
    from flowspec.report import ReportTarget
    from flowspec.results import SuiteResult
    from flowspec.servers import Endpoint
    from flowspec.spec.model import JobFile

logger = logging.getLogger(__name__)

#: The ``--rerun-failed`` value that names standard input, by the usual convention.
_STDIN = Path("-")

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
    """Print the runs that `flowspec run` would start, without touching the network.

    \b
    For each run: its mode, the start request, its input and what it waits for.
    The JSON form is {"version": 1, "runs": [{"id", "name", "job_file", "line",
    "entry", "flow", "mode", "method", "endpoint", "input", "order", "after"}]},
    where "after" lists run ids.
    """
    import json

    from rich.console import Console

    from flowspec.cli._plan_output import plan_table, plan_text
    from flowspec.plan import plan_as_json, plan_runs
    from flowspec.spec import load_job_files

    runs = plan_runs(load_job_files(unique_job_files(files)))
    if output_format == "json":
        click.echo(json.dumps(plan_as_json(runs), indent=2))
        return

    console = Console(highlight=False)
    if console.is_terminal:
        console.print(plan_table(runs))
    else:
        click.echo(plan_text(runs))


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
    type=click.Path(dir_okay=False, exists=True, allow_dash=True, path_type=Path),
    metavar="REPORT",
    help="Run only the runs that did not pass in this JSON report ('-' reads standard input).",
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
    from flowspec.console import PipeSafeConsole
    from flowspec.engine import EngineOptions
    from flowspec.plan import plan_runs
    from flowspec.report import ReportTarget, check_report_targets, parse_report_target
    from flowspec.selection import parse_shard
    from flowspec.servers import serve_endpoints
    from flowspec.spec import load_job_files

    targets = [parse_report_target(text) for text in reports] or [
        ReportTarget("json", output_dir / "report.json")
    ]
    shard_range = parse_shard(shard) if shard is not None else None
    job_files = load_job_files(unique_job_files(files))
    protected = _input_files(job_files)
    if rerun_failed is not None and rerun_failed != _STDIN:
        protected.append(rerun_failed)
    check_report_targets(targets, inputs=protected)
    if any(entry.download for job in job_files for entry in job.entries):
        check_output_dir(output_dir)

    runs = plan_runs(job_files)
    selected = _selection(runs, shard_range, rerun_failed)
    options = EngineOptions(
        output_dir=output_dir,
        keep_running=keep_running,
        concurrency=concurrency,
        selected=selected,
    )

    console = PipeSafeConsole(highlight=False)
    with serve_endpoints(job_files) as endpoints:
        outcome = asyncio.run(_execute(runs, endpoints, options, console, quiet=quiet))

    written, failures = _write_reports(outcome.result, targets)
    _print_summary(console, outcome, written)
    for failure in failures:
        click.echo(f"Error: {failure}", err=True)
    click.get_current_context().exit(_exit_code(outcome, failed_reports=bool(failures)))


def unique_job_files(files: Sequence[Path]) -> list[Path]:
    """Drop job files named twice, also under other spellings, keeping the first of each.

    Both would plan the same run ids, and a report with a repeated id cannot be read back.
    """
    unique: dict[str, Path] = {}
    for path in files:
        key = os.path.realpath(path)
        if key in unique:
            logger.warning("job file %s is the same file as %s; running it once", path, unique[key])
            continue
        unique[key] = path
    return list(unique.values())


def check_output_dir(output_dir: Path) -> None:
    """Raise ``UsageError`` when documents could not be saved under ``output_dir``.

    Checked before the first run, so a long suite does not end with every
    download failing. The folder is created here, because some places pass the
    permission checks and still refuse new folders (``/proc`` for root).
    """
    folder = nearest_existing(Path(os.path.abspath(output_dir)))
    if not folder.is_dir():
        raise UsageError(
            f"output folder {output_dir} cannot be created because {folder} is a file;"
            " give another --output-dir"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"output folder {output_dir} cannot be written because the folder {folder} is not"
            " writable; give another --output-dir or change the folder's permissions"
        )
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"output folder {output_dir} cannot be created: {exc.strerror or exc};"
            " give another --output-dir"
        ) from exc


def _input_files(job_files: Sequence[JobFile]) -> list[Path]:
    """List the files a run reads: job files, XML inputs, XSDs and emulator projects."""
    from flowspec.spec.model import XmlInput

    paths: list[Path] = []
    for job in job_files:
        paths.append(job.path)
        if job.server.emulator_project is not None:
            paths.append(job.server.emulator_project)
        for entry in job.entries:
            if isinstance(entry.input, XmlInput):
                paths.extend(entry.input.files)
                if entry.input.schema is not None:
                    paths.append(entry.input.schema)
    return paths


def _selection(
    runs: Sequence[Run], shard: tuple[int, int] | None, rerun_failed: Path | None
) -> frozenset[str] | None:
    from flowspec.selection import failed_run_ids, select_rerun, select_shard

    if shard is None and rerun_failed is None:
        return None
    chosen = list(runs)
    if rerun_failed is not None:
        chosen = select_rerun(chosen, failed_run_ids(_read_rerun_report(rerun_failed)))
    if shard is not None:
        chosen = select_shard(chosen, *shard)
    return frozenset(run.id for run in chosen)


def _read_rerun_report(path: Path) -> SuiteResult:
    from flowspec.report.reading import parse_report, read_report

    if path == _STDIN:
        return parse_report(sys.stdin.buffer.read(), Path("<stdin>"))
    return read_report(path)


def _write_reports(
    result: SuiteResult, targets: Sequence[ReportTarget]
) -> tuple[list[ReportTarget], list[str]]:
    """Write each report on its own, so the summary can name those that were written."""
    from flowspec.report import write_reports

    written: list[ReportTarget] = []
    failures: list[str] = []
    for target in targets:
        try:
            write_reports(result, [target], environ={})
        except UsageError as exc:
            failures.append(str(exc))
        else:
            written.append(target)
    # The GitHub job summary is appended once, after the reports.
    write_reports(result, [])
    return written, failures


def _exit_code(outcome: SuiteOutcome, *, failed_reports: bool) -> int:
    """Return the runs' exit code, or 2 when the runs passed but a report was lost.

    A lost report must fail a CI job. Codes 1, 3 and 130 already do, and they
    describe the runs better than 2 would.
    """
    code = outcome.exit_code
    if failed_reports and code == ExitCode.OK:
        return int(ExitCode.INVALID_INPUT)
    return int(code)


async def _execute(
    runs: Sequence[Run],
    endpoints: dict[Path, Endpoint],
    options: EngineOptions,
    console: Console,
    *,
    quiet: bool,
) -> SuiteOutcome:
    from flowspec.console import LiveView, PlainView
    from flowspec.engine import Engine
    from flowspec.execution import SystemClock
    from flowspec.servers import open_clients

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
    console: Console, outcome: SuiteOutcome, written: Sequence[ReportTarget]
) -> None:
    from flowspec.console import summary_lines

    for text, style in summary_lines(outcome):
        console.print(text, style=style, soft_wrap=True, highlight=False, markup=False)
    if written:
        paths = ", ".join(str(target.path) for target in written)
        console.print(f"Reports: {paths}", soft_wrap=True, highlight=False, markup=False)
    if outcome.fatal is not None:
        from flowspec.report._text import single_line

        click.echo(f"Error: {single_line(str(outcome.fatal))}", err=True)
