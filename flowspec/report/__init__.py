"""Result reports: JSON, JUnit XML and Markdown writers, and reading a JSON report back.

``REPORT_WRITERS`` is the one name → writer mapping; it also feeds the
``--report FORMAT:PATH`` choices of the CLI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flowspec.errors import UsageError
from flowspec.report._files import check_writable, write_report_file
from flowspec.report.jsonreport import JsonReportWriter
from flowspec.report.junit import JUnitReportWriter
from flowspec.report.markdown import MarkdownReportWriter, render_step_summary
from flowspec.report.reading import read_report
from flowspec.results import SuiteResult

STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"

logger = logging.getLogger(__name__)


class ReportWriter(Protocol):
    """A report format: renders a whole result to the bytes of one file."""

    description: str

    def render(self, result: SuiteResult) -> bytes:
        """Render ``result`` as the content of a report file."""
        ...


REPORT_WRITERS: dict[str, ReportWriter] = {
    "json": JsonReportWriter(),
    "junit": JUnitReportWriter(),
    "markdown": MarkdownReportWriter(),
}


@dataclass(frozen=True)
class ReportTarget:
    """A report to write: a format name from ``REPORT_WRITERS`` and the file path."""

    format: str
    path: Path

    def __str__(self) -> str:
        return f"{self.format}:{self.path}"


def parse_report_target(text: str) -> ReportTarget:
    """Parse ``FORMAT:PATH`` (for example ``junit:out/junit.xml``) into a ``ReportTarget``.

    Raises ``UsageError`` when the colon, the format or the path is missing or
    the format is unknown.
    """
    choices = ", ".join(REPORT_WRITERS)
    name, colon, path = text.partition(":")
    if not colon:
        raise UsageError(
            f"invalid report target {text!r}: expected FORMAT:PATH,"
            f" for example json:out/report.json; FORMAT is one of {choices}"
        )
    if name not in REPORT_WRITERS:
        raise UsageError(f"unknown report format {name!r} in {text!r}; choose one of {choices}")
    if not path.strip():
        raise UsageError(f"missing path in report target {text!r}; write {name}:PATH")
    return ReportTarget(name, Path(path))


def check_report_targets(targets: Sequence[ReportTarget], *, inputs: Sequence[Path] = ()) -> None:
    """Reject targets that would overwrite each other or cannot be written, before a run starts.

    ``inputs`` are files the command reads, such as job files, which a report
    must not replace.
    """
    protected = {Path(os.path.realpath(path)): path for path in inputs}
    seen: dict[Path, ReportTarget] = {}
    for target in targets:
        key = Path(os.path.realpath(target.path))
        if key in seen:
            raise UsageError(f"report targets {seen[key]} and {target} write the same file")
        if key in protected:
            raise UsageError(
                f"report target {target} would overwrite the input file {protected[key]};"
                " give another report path"
            )
        check_writable(target.path)
        seen[key] = target


def write_reports(
    result: SuiteResult,
    targets: Sequence[ReportTarget],
    *,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Write every report in ``targets``, each file atomically, and the GitHub job summary.

    When ``GITHUB_STEP_SUMMARY`` names a file (``environ`` defaults to
    ``os.environ``), the Markdown summary is appended to it, so call this once
    per run. A target that cannot be written does not stop the others, and the
    failures are raised together afterwards as ``UsageError``. A job summary
    that cannot be written is only logged as a warning, because it merely
    repeats what the requested reports contain.
    """
    failures: list[str] = []
    for target in targets:
        data = REPORT_WRITERS[target.format].render(result)
        try:
            write_report_file(target.path, data)
        except OSError as exc:
            failures.append(f"cannot write {target.format} report {target.path}: {exc.strerror}")

    summary = (os.environ if environ is None else environ).get(STEP_SUMMARY_VARIABLE)
    if summary:
        try:
            _append_step_summary(Path(summary), render_step_summary(result))
        except OSError as exc:
            logger.warning(
                "cannot append the job summary to %s=%s (%s); the reports are not affected",
                STEP_SUMMARY_VARIABLE,
                summary,
                exc.strerror or exc,
            )

    if failures:
        raise UsageError("; ".join(failures) + "; check that the folders exist and are writable")


def _append_step_summary(path: Path, markdown: str) -> None:
    # GitHub concatenates what each step appends, so the summary must not overwrite.
    with path.open("a", encoding="utf-8") as stream:
        stream.write(markdown + "\n")


__all__ = [
    "REPORT_WRITERS",
    "ReportTarget",
    "ReportWriter",
    "check_report_targets",
    "parse_report_target",
    "read_report",
    "write_reports",
]
