"""``flowspec validate`` and ``flowspec schema``.

Only click is imported at module level: the spec package brings PyYAML and
jsonschema, and the XML checks lxml, so they load when a command runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from flowspec.errors import ExitCode

if TYPE_CHECKING:
    from flowspec.diagnostics import Diagnostic
    from flowspec.spec import FileCheck

#: The version of the ``--format json`` document; docs/validate.md describes it.
JSON_FORMAT_VERSION = 1


def format_text(checks: Sequence[FileCheck]) -> str:
    """Return ``path:line:col: error: message`` lines, a blank line between files, and a count."""
    blocks = ["".join(f"{diagnostic}\n" for diagnostic in check.diagnostics) for check in checks]
    body = "\n".join(block for block in blocks if block)
    return f"{body}\n{summary(checks)}\n" if body else f"{summary(checks)}\n"


def summary(checks: Sequence[FileCheck]) -> str:
    """Return the closing count: ``2 errors in 1 of 3 files`` or ``3 files valid``."""
    total = len(checks)
    errors = sum(error_count(check) for check in checks)
    invalid = sum(1 for check in checks if check.diagnostics)
    if not errors:
        return f"{_count(total, 'file')} valid"
    where = f"{invalid} of {_count(total, 'file')}" if total > 1 else "1 file"
    return f"{_count(errors, 'error')} in {where}"


def error_count(check: FileCheck) -> int:
    """Return the number of problems in ``check``, those a note leaves out included.

    A note ("5 more errors not shown") is no problem itself, but the errors it
    counts are.
    """
    return sum(
        diagnostic.not_shown if diagnostic.severity == "note" else 1
        for diagnostic in check.diagnostics
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def format_json(checks: Sequence[FileCheck]) -> str:
    """Return the JSON document described in docs/validate.md."""
    document = {
        "version": JSON_FORMAT_VERSION,
        "valid": not any(check.diagnostics for check in checks),
        "summary": {
            "files": len(checks),
            "invalid_files": sum(1 for check in checks if check.diagnostics),
            "errors": sum(error_count(check) for check in checks),
        },
        "files": [
            {
                "path": str(check.path),
                "valid": not check.diagnostics,
                "errors": error_count(check),
            }
            for check in checks
        ],
        "errors": [
            _error_record(check, diagnostic) for check in checks for diagnostic in check.diagnostics
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _error_record(check: FileCheck, diagnostic: Diagnostic) -> dict[str, Any]:
    location = diagnostic.location
    return {
        "job_file": str(check.path),
        "file": location.file,
        "line": location.line,
        "column": location.column,
        "pointer": location.pointer,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def format_github(checks: Sequence[FileCheck]) -> str:
    """Return one GitHub Actions ``::error`` annotation per problem, then the count."""
    lines = [_annotation(d) for check in checks for d in check.diagnostics]
    return "".join(f"{line}\n" for line in [*lines, summary(checks)])


def _annotation(diagnostic: Diagnostic) -> str:
    location = diagnostic.location
    properties = [f"file={_escape_property(location.file)}"]
    if location.line is not None:
        properties.append(f"line={location.line}")
    if location.column is not None:
        properties.append(f"col={location.column}")
    text = diagnostic.message + (f"; {diagnostic.hint}" if diagnostic.hint else "")
    command = _GITHUB_COMMANDS.get(diagnostic.severity, "error")
    return f"::{command} {','.join(properties)}::{_escape_data(text)}"


# GitHub Actions accepts the workflow commands error, warning and notice, and it
# prints any other command, such as ``::note``, as plain text.
_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(text: str) -> str:
    # The escapes GitHub's runner expects in workflow command data (toolkit's escapeData).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    # Property values also escape the separators ':' and ',' (toolkit's escapeProperty).
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


FORMATS: dict[str, Callable[[Sequence[FileCheck]], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
}


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(FORMATS)),
    default="text",
    show_default=True,
    help="text: path:line:col lines; json: one JSON document (see docs/validate.md); "
    "github: GitHub Actions workflow annotations.",
)
@click.option(
    "--xml/--no-xml",
    "check_xml",
    default=True,
    show_default=True,
    help="Check the XML inputs: well-formed, and valid against input.schema when given.",
)
def validate_command(files: tuple[Path, ...], output_format: str, check_xml: bool) -> None:
    """Check job files and the XML they reference, before anything runs.

    Reports every problem of every file at its place (file, line, column).
    Exit 0 when all files are valid, 2 when any problem was found.
    """
    from flowspec.spec import check_job_files

    checks = [
        _with_emulator_project(check) for check in check_job_files(list(files), check_xml=check_xml)
    ]
    click.echo(FORMATS[output_format](checks), nl=False)
    if any(check.diagnostics for check in checks):
        raise click.exceptions.Exit(ExitCode.INVALID_INPUT)


def _with_emulator_project(check: FileCheck) -> FileCheck:
    """Add the problems of the emulator project that a valid job file serves, if any.

    The spec checks only that the project file exists, because it does not
    import the emulator; ``flowspec run`` would stop on the same problems.
    """
    if check.job is None or check.job.server.emulator_project is None:
        return check

    from flowspec.emulator.project import load_project
    from flowspec.errors import SpecError
    from flowspec.spec import FileCheck

    try:
        load_project(check.job.server.emulator_project)
    except SpecError as exc:
        return FileCheck(check.path, None, check.diagnostics + exc.diagnostics)
    return check


@click.command("schema")
def schema_command() -> None:
    """Print the job-file JSON Schema (Draft 2020-12), for editors and other validators."""
    from flowspec.schemas import JOBFILE, schema_path

    click.echo(schema_path(JOBFILE).read_text(encoding="utf-8"), nl=False)
