"""The ``flowspec`` command line: parse options, call the core, print, exit.

Each command lives in a module of this package. All top-level error handling
is here: flowspec's own errors become a message and their exit code, anything
else an "internal error" message; tracebacks appear only with ``--traceback``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from flowspec import __version__
from flowspec.errors import ExitCode, FlowspecError, SpecError

# Command name -> (module, attribute). A command's module is imported only when
# that command runs, because the run and report modules import httpx, rich and
# the engine, which would add about 0.1 s to every `flowspec validate`.
_COMMANDS = {
    "validate": ("flowspec.cli.validate", "validate_command"),
    "schema": ("flowspec.cli.validate", "schema_command"),
    "plan": ("flowspec.cli.run", "plan_command"),
    "run": ("flowspec.cli.run", "run_command"),
    "report": ("flowspec.cli.report", "report_group"),
    "emulator": ("flowspec.cli.emulator", "emulator_command"),
}


# Libraries whose DEBUG and INFO records repeat flowspec's own log lines.
_CHATTY_LIBRARIES = ("httpx", "httpcore", "asyncio", "uvicorn", "uvicorn.access", "uvicorn.error")


class _FlowspecGroup(click.Group):
    """A click group that turns exceptions into messages and exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _COMMANDS:
            module_name, attribute = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module_name), attribute)
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except SpecError as exc:
            _reraise_with_traceback(ctx)
            for diagnostic in exc.diagnostics:
                click.echo(_printable(str(diagnostic)), err=True)
            ctx.exit(exc.exit_code)
        except FlowspecError as exc:
            _reraise_with_traceback(ctx)
            click.echo(f"Error: {_printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:  # the last line of defence against tracebacks
            _reraise_with_traceback(ctx)
            click.echo(
                f"Error: internal error: {type(exc).__name__}: {_printable(str(exc))}\n"
                "This is a bug in flowspec. Run again with --traceback and report the output.",
                err=True,
            )
            ctx.exit(ExitCode.RUNS_FAILED)


def _printable(message: str) -> str:
    """Escape control characters, which a server's message could use to drive the terminal."""
    # Imported here because only the error path needs it and the report package is heavy.
    from flowspec.report._text import terminal_safe

    return terminal_safe(message)


def _reraise_with_traceback(ctx: click.Context) -> None:
    if ctx.find_root().params.get("traceback"):
        raise


@click.group(cls=_FlowspecGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flowspec")
@click.option(
    "--traceback", is_flag=True, help="Show the Python traceback when an error ends the command."
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log more: -v for each HTTP call, -vv for each poll, -vvv for library internals.",
)
def main(traceback: bool, verbose: int) -> None:
    """Validate and run Smart Flows job files.

    \b
    Exit codes:
      0    all runs met their expectations (or the files are valid)
      1    some run did not meet its expectations
      2    the job files or the command line are wrong
      3    the server could not be used (unreachable, credentials rejected)
      130  interrupted
    """
    _configure_logging(verbose)


def _configure_logging(verbose: int) -> None:
    """Send flowspec's log records to standard error at the level that ``-v`` sets.

    flowspec logs each HTTP call itself, so the libraries underneath stay at
    WARNING unless ``-vvv`` is given.
    """
    level = logging.DEBUG
    if verbose == 0:
        level = logging.WARNING
    elif verbose == 1:
        level = logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if verbose < 3:
        for name in _CHATTY_LIBRARIES:
            logging.getLogger(name).setLevel(logging.WARNING)
