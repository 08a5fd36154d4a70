"""Plain-text facts about one run, shared by the JUnit, Markdown and terminal output."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from flowspec.report._text import shorten
from flowspec.results import DocumentResult, RunResult, SuiteResult, Verdict

# Characters of an output value shown in a details line; the JSON report keeps it whole.
_OUTPUT_LIMIT = 500


def without_unselected(result: SuiteResult) -> tuple[SuiteResult, int]:
    """Drop the runs that ``--shard`` or ``--rerun-failed`` left out; count them.

    CI systems merge the JUnit files of parallel shard jobs, so a run listed
    as skipped by every shard but its own would be counted many times.
    """
    kept = tuple(run for run in result.runs if run.selected)
    return dataclasses.replace(result, runs=kept), len(result.runs) - len(kept)


def count_noun(count: int, noun: str) -> str:
    """Return ``count`` with ``noun`` in the singular or the plural: ``1 run``, ``3 runs``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def unselected_note(count: int) -> str:
    """Say how many runs ``--shard`` or ``--rerun-failed`` left out of a listing."""
    verb = "is" if count == 1 else "are"
    return f"{count_noun(count, 'run')} left out by --shard or --rerun-failed {verb} not listed."


def verdict_reason(run: RunResult) -> str:
    """Return why ``run`` has its verdict: the recorded reason, or one built from its status."""
    if run.reason:
        return run.reason
    if not run.selected:
        return "not selected by --shard or --rerun-failed"
    if run.verdict is Verdict.PASSED:
        return "passed"
    if run.status is not None and run.expected_statuses:
        return f"status {run.status}, expected {' or '.join(run.expected_statuses)}"
    return str(run.verdict.value)


def describe_document(document: DocumentResult) -> str:
    """Describe a document in one line: name, type, size, digest and where it was saved."""
    content_type = document.content_type or "unknown type"
    if document.size is None:
        return f"{document.name} ({content_type}, not downloaded)"
    text = f"{document.name} ({content_type}, {document.size} bytes, sha256 {document.sha256})"
    if document.path is not None:
        text += f" saved as {document.path.as_posix()}"
    return text


def describe_output(name: str, value: Any) -> str:
    """Describe a flow output in one line: its name and its value as compact JSON."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"output {name}: {shorten(text, _OUTPUT_LIMIT)}"


def describe_run(run: RunResult) -> list[str]:
    """List the facts a reader needs to judge a run that did not pass, one per line."""
    lines = [f"verdict: {run.verdict.value}", f"reason: {verdict_reason(run)}"]
    expected = " or ".join(run.expected_statuses) or "any"
    lines.append(f"status: {run.status or 'none'} (expected {expected})")
    if run.expected_documents is not None:
        lines.append(f"documents: {len(run.documents)} (expected {run.expected_documents})")
    lines.append(f"execution id: {run.execution_id or 'none'}")
    lines.append(f"attempts: {run.attempts}")
    lines.append(f"job file: {run.job_file.as_posix()}:{run.line}")
    if run.input_file is not None:
        lines.append(f"input file: {run.input_file.as_posix()}")
    lines.extend(describe_output(name, value) for name, value in run.outputs.items())
    return lines


def format_seconds(seconds: float) -> str:
    """Format a duration for people: ``0.42 s``, ``12.3 s`` or ``3 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
