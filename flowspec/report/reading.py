"""Read a JSON report back into the ``SuiteResult`` it was written from.

The one place where JSON and jsonschema errors about report files become
``ReportError`` diagnostics: a syntax error is located by line and column, a
schema violation by JSON pointer.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from flowspec import __version__, schemas
from flowspec.diagnostics import Diagnostic, Location
from flowspec.errors import ReportError
from flowspec.report.jsonreport import FORMAT_VERSION
from flowspec.results import DocumentResult, JobFileInfo, RunResult, SuiteResult, Verdict

# A broken report can violate the schema in every run; the first few show what is wrong.
_MAX_DIAGNOSTICS = 20
_HINT = "check that the file is a JSON report written by 'flowspec run --report json:PATH'"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schemas.load_schema(schemas.REPORT))


@cache
def _quick_validator() -> Callable[[Any], Any]:
    # The report schema uses only keywords that mean the same in draft 7, which
    # fastjsonschema implements, and in 2020-12.
    return fastjsonschema.compile(schemas.load_schema(schemas.REPORT))


def is_valid_report(document: Any) -> bool:
    """Return whether ``document`` matches the report schema, by the fast compiled check.

    It accepts nothing that jsonschema rejects, which a property test checks. It
    rejects one thing jsonschema accepts: ``$`` in a pattern does not match before
    a final line break.
    """
    try:
        _quick_validator()(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def read_report(path: Path) -> SuiteResult:
    """Load the JSON report at ``path``, check it against the report schema, and rebuild the result.

    Raises ``ReportError`` (exit 2) when the file is missing, not JSON, written
    by a newer flowspec, or does not match the schema.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            # A device such as /dev/zero would be read until memory runs out.
            hint = "give a JSON report file, or - to read standard input"
            raise _error(Location(str(path)), "not a regular file", hint)
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise _error(Location(str(path)), "report file not found", "check the path") from exc
    except OSError as exc:
        raise _error(Location(str(path)), f"cannot read report file: {exc}") from exc
    return parse_report(data, path)


def parse_report(data: bytes, path: Path) -> SuiteResult:
    """Check the bytes of a JSON report and rebuild the result; ``path`` names them in errors.

    Raises ``ReportError`` like ``read_report``. For reports that do not come
    from a file, such as standard input.
    """
    document = _load_json(data, path)
    _check_format_version(path, document)
    _check_schema(path, document)
    _check_timestamps(path, document)
    _check_unique_ids(path, document["runs"])
    return _suite(document)


def _error(location: Location, message: str, hint: str | None = _HINT) -> ReportError:
    return ReportError([Diagnostic(location, message, hint)])


def _load_json(data: bytes, path: Path) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(Location(str(path)), f"cannot read report file: {exc}") from exc

    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        location = Location(str(path), exc.lineno, exc.colno)
        raise _error(location, f"invalid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise _error(Location(str(path)), f"invalid JSON: {exc}") from exc


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON and slip past "minimum".
    raise ValueError(f"{name} is not a JSON number")


def _check_format_version(path: Path, document: Any) -> None:
    if not isinstance(document, dict):
        return  # the schema check names the wrong type
    version = document.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        message = (
            f"report format_version {version} is newer than this flowspec reads"
            f" (up to {FORMAT_VERSION})"
        )
        location = Location(str(path), pointer="/format_version")
        raise _error(location, message, "upgrade flowspec to read this report")


def _check_schema(path: Path, document: Any) -> None:
    # jsonschema took 1.08 s for 5,000 runs and the compiled check 0.06 s
    # (benchmarks/bench_reports.py, 2 cores), so only reports that fail the
    # compiled check pay for the validation that locates every error.
    if is_valid_report(document):
        return

    errors = sorted(_validator().iter_errors(document), key=lambda error: list(error.path))
    if not errors:
        return

    # The hint goes on the first diagnostic only, so a long list stays readable.
    hint = _schema_hint(document)
    diagnostics = [
        _diagnostic(path, error, hint if number == 0 else None)
        for number, error in enumerate(errors[:_MAX_DIAGNOSTICS])
    ]
    if len(errors) > _MAX_DIAGNOSTICS:
        omitted = len(errors) - _MAX_DIAGNOSTICS
        diagnostics.append(Diagnostic(Location(str(path)), f"{omitted} more schema errors"))
    raise ReportError(diagnostics)


def _schema_hint(document: Any) -> str:
    """Return the hint for a schema error, naming the writer's version when it is not ours."""
    writer = document.get("flowspec_version") if isinstance(document, dict) else None
    if not isinstance(writer, str) or writer == __version__:
        return _HINT
    return (
        f"the report was written by flowspec {writer} and this is flowspec {__version__};"
        " read it with the version that wrote it, or check that the file was not edited"
    )


def _check_timestamps(path: Path, document: dict[str, Any]) -> None:
    # The schema checks the shape only, so a date such as month 13 gets here.
    for key in ("started_at", "ended_at"):
        try:
            _timestamp(document[key])
        except ValueError as exc:
            location = Location(str(path), pointer=f"/{key}")
            message = f"invalid report: {key} {document[key]!r} is not a real time ({exc})"
            raise _error(location, message) from exc


def _check_unique_ids(path: Path, runs: list[dict[str, Any]]) -> None:
    # Merges and --rerun-failed match runs by id, so a copied run would silently vanish.
    first_index: dict[str, int] = {}
    for index, run in enumerate(runs):
        earlier = first_index.setdefault(run["id"], index)
        if earlier != index:
            location = Location(str(path), pointer=f"/runs/{index}/id")
            message = (
                f"invalid report: run id {run['id']!r} appears again (first at /runs/{earlier})"
            )
            raise _error(location, message, "give every run its own id, or remove the copy")


def _diagnostic(path: Path, error: ValidationError, hint: str | None) -> Diagnostic:
    pointer = _json_pointer(error.absolute_path) or "/"
    message = f"invalid report: {error.message}"
    return Diagnostic(Location(str(path), pointer=pointer), message, hint)


def _json_pointer(parts: Iterable[str | int]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join(f"/{part}" for part in escaped)


def _timestamp(text: str) -> datetime:
    # Python 3.10's fromisoformat does not accept the "Z" suffix.
    return datetime.fromisoformat(text.removesuffix("Z") + "+00:00")


def _optional_path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


def _suite(document: dict[str, Any]) -> SuiteResult:
    return SuiteResult(
        flowspec_version=document["flowspec_version"],
        started_at=_timestamp(document["started_at"]),
        ended_at=_timestamp(document["ended_at"]),
        job_files=tuple(
            JobFileInfo(path=Path(job["path"]), sha256=job["sha256"], name=job["name"])
            for job in document["job_files"]
        ),
        base_urls=tuple(document["base_urls"]),
        runs=tuple(_run(run) for run in document["runs"]),
        complete=document["complete"],
        stop_reason=document["stop_reason"],
    )


def _run(run: dict[str, Any]) -> RunResult:
    return RunResult(
        run_id=run["id"],
        name=run["name"],
        job_file=Path(run["job_file"]),
        line=run["line"],
        flow=run["flow"],
        mode=run["mode"],
        verdict=Verdict(run["verdict"]),
        reason=run["reason"],
        input_file=_optional_path(run["input_file"]),
        input_sha256=run["input_sha256"],
        execution_id=run["execution_id"],
        attempts=run["attempts"],
        status=run["status"],
        expected_statuses=tuple(run["expected"]["statuses"]),
        expected_documents=run["expected"]["documents"],
        queued_seconds=float(run["time"]["queued_seconds"]),
        running_seconds=float(run["time"]["running_seconds"]),
        total_seconds=float(run["time"]["total_seconds"]),
        messages=tuple(run["messages"]),
        documents=tuple(_document(document) for document in run["documents"]),
        selected=run["selected"],
        outputs=dict(run.get("outputs", {})),
    )


def _document(document: dict[str, Any]) -> DocumentResult:
    return DocumentResult(
        id=document["id"],
        name=document["name"],
        content_type=document["content_type"],
        size=document["size"],
        sha256=document["sha256"],
        path=_optional_path(document["path"]),
    )
