"""The Markdown summary: totals, one table per job file, and details of every run that did not pass.

Written for people reading a pull request or a GitHub job summary. Every
value from a job file or the server is escaped, so a ``|`` cannot break a
table and ``<script>`` shows as text. Long messages are cut because GitHub
rejects a job summary over 1 MiB; the JSON report keeps them whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from flowspec.report._details import (
    count_noun,
    describe_output,
    describe_run,
    format_seconds,
    unselected_note,
    without_unselected,
)
from flowspec.report._text import shorten, terminal_safe, unicode_safe
from flowspec.report.jsonreport import as_utc, count_verdicts, format_timestamp
from flowspec.results import RunResult, SuiteResult, Verdict

_MARKERS = {
    Verdict.PASSED: "passed",
    Verdict.FAILED: "**FAILED**",
    Verdict.ERROR: "**ERROR**",
    Verdict.TIMED_OUT: "**TIMED OUT**",
    Verdict.SKIPPED: "skipped",
}
_MESSAGE_LIMIT = 2000
_MAX_MESSAGES = 20
#: Maximum size in bytes of the job summary flowspec appends. GitHub rejects a step's
#: summary over 1 MiB, and other commands of the same step may append to it too.
STEP_SUMMARY_LIMIT = 1000 * 1000
_TABLES_LEFT_OUT = (
    "The tables of runs are left out because this summary would exceed GitHub's 1 MiB"
    " limit; the JSON and Markdown reports list every run."
)
# Bytes kept free for the line that counts the details left out.
_CUT_NOTE_ROOM = 200
# Backslash-escaping ASCII punctuation is always literal in CommonMark; <, > and & become entities.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_inline(text: str) -> str:
    """Escape ``text`` for a Markdown paragraph or table cell: one line, no markup, no HTML."""
    text = terminal_safe(unicode_safe(text).replace("\r\n", "\n"))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = re.sub("[&<>]", lambda match: _ENTITIES[match.group()], text)
    return text.replace("\n", "<br>").replace("\t", " ")


def code_block(text: str) -> str:
    """Wrap ``text`` in a fenced code block whose fence no backtick run inside can close."""
    text = terminal_safe(unicode_safe(text))
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _totals_line(result: SuiteResult) -> str:
    counts = count_verdicts(result)
    overall = "PASSED" if result.passed and result.complete else "FAILED"
    parts = ", ".join(f"{count} {verdict.value}" for verdict, count in counts.items())
    elapsed = (as_utc(result.ended_at) - as_utc(result.started_at)).total_seconds()
    runs = count_noun(len(result.runs), "run")
    return (
        f"**{overall}**: {runs} ({parts}) in {format_seconds(max(elapsed, 0))},"
        f" started {format_timestamp(result.started_at)}, flowspec {result.flowspec_version}"
    )


def _incomplete_notice(result: SuiteResult) -> list[str]:
    reason = escape_inline(result.stop_reason or "no reason recorded")
    return [
        "> [!WARNING]",
        f"> **Incomplete run**: stopped early: {reason}.",
        "> Runs that never started are missing or listed as skipped.",
        "",
    ]


def _table(job_file: Path, name: str, runs: list[RunResult]) -> list[str]:
    lines = [
        f"## {escape_inline(name)} ({escape_inline(job_file.as_posix())})",
        "",
        "| Run | Verdict | Status | Time | Documents |",
        "| --- | --- | --- | --- | ---: |",
    ]
    for run in runs:
        cells = [
            escape_inline(run.name),
            _MARKERS[run.verdict],
            escape_inline(run.status or "-"),
            format_seconds(run.total_seconds),
            str(len(run.documents)),
        ]
        lines.append(f"| {' | '.join(cells)} |")
    lines.append("")
    return lines


def _details(run: RunResult) -> list[str]:
    lines = [f"### {_MARKERS[run.verdict]}: {escape_inline(run.name)}", ""]
    lines += [f"- {escape_inline(fact)}" for fact in describe_run(run)]
    lines.append("")
    if run.messages:
        kept = [shorten(message, _MESSAGE_LIMIT) for message in run.messages[-_MAX_MESSAGES:]]
        omitted = len(run.messages) - len(kept)
        title = "Server messages" if not omitted else f"Last {len(kept)} server messages"
        lines += [f"{title}:", "", code_block("\n".join(kept)), ""]
    return lines


def _job_names(result: SuiteResult) -> dict[Path, str]:
    return {job.path: job.name for job in result.job_files}


def _heading(result: SuiteResult, unselected: int) -> list[str]:
    lines = ["# flowspec results", ""]
    if not result.complete:
        lines += _incomplete_notice(result)
    lines += [_totals_line(result), ""]
    if unselected:
        lines += [unselected_note(unselected), ""]
    return lines


def _not_passed(result: SuiteResult) -> list[RunResult]:
    return [run for run in result.runs if run.verdict is not Verdict.PASSED]


def render_markdown(result: SuiteResult) -> str:
    """Render ``result`` as a Markdown summary, leaving out runs that were not selected."""
    result, unselected = without_unselected(result)
    lines = _heading(result, unselected)

    names = _job_names(result)
    groups: dict[Path, list[RunResult]] = {path: [] for path in names}
    for run in result.runs:
        groups.setdefault(run.job_file, []).append(run)
    for job_file, runs in groups.items():
        lines += _table(job_file, names.get(job_file, job_file.stem), runs)

    not_passed = _not_passed(result)
    if not_passed:
        lines += ["## Runs that did not pass", ""]
        for run in not_passed:
            lines += _details(run)
    lines += _outputs_of_passed(result)
    return "\n".join(lines)


def _outputs_of_passed(result: SuiteResult) -> list[str]:
    """List the flow outputs of passed runs; the details of the other runs already show theirs."""
    runs = [run for run in result.runs if run.verdict is Verdict.PASSED and run.outputs]
    if not runs:
        return []
    lines = ["## Flow outputs", ""]
    for run in runs:
        lines += [f"### {escape_inline(run.name)}", ""]
        lines += [
            f"- {escape_inline(describe_output(name, value))}"
            for name, value in run.outputs.items()
        ]
        lines.append("")
    return lines


def render_step_summary(result: SuiteResult, limit: int = STEP_SUMMARY_LIMIT) -> str:
    """Render the summary for a GitHub job summary, in at most ``limit`` bytes of UTF-8.

    When the whole summary is larger, the tables of runs are left out and the
    details of the runs that did not pass are cut at a run, each cut said in the text.
    """
    full = render_markdown(result)
    if _size(full) <= limit:
        return full

    result, unselected = without_unselected(result)
    lines = _heading(result, unselected)
    lines += [_TABLES_LEFT_OUT, ""]
    not_passed = _not_passed(result)
    if not_passed:
        lines += ["## Runs that did not pass", ""]
    used = _size("\n".join(lines)) + _CUT_NOTE_ROOM
    for index, run in enumerate(not_passed):
        block = _details(run)
        used += _size("\n".join(block)) + 1
        if used > limit:
            remaining = len(not_passed) - index
            verb = "is" if remaining == 1 else "are"
            left_out = count_noun(remaining, "more run")
            lines.append(f"{left_out} that did not pass {verb} left out; the reports list them.")
            break
        lines += block
    return "\n".join(lines)


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class MarkdownReportWriter:
    """Writes the Markdown summary."""

    description = "a Markdown summary for people (pull requests, GitHub job summaries)"

    def render(self, result: SuiteResult) -> bytes:
        """Render ``result`` as UTF-8 Markdown."""
        return render_markdown(result).encode("utf-8")
