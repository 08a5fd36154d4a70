"""The JSON report: every fact of a ``SuiteResult``, as ``schemas/report.schema.json`` defines it.

``reading.py`` turns such a document back into an equal ``SuiteResult``, so a
field added here needs its counterpart there and in the schema.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flowspec.report._text import strip_userinfo, unicode_safe
from flowspec.results import DocumentResult, RunResult, SuiteResult, Verdict

FORMAT_VERSION = 1

# JSON keys of the per-verdict totals. The "timed out" verdict value has a space, the key does not.
TOTAL_KEYS = {
    Verdict.PASSED: "passed",
    Verdict.FAILED: "failed",
    Verdict.ERROR: "error",
    Verdict.TIMED_OUT: "timed_out",
    Verdict.SKIPPED: "skipped",
}


def as_utc(moment: datetime) -> datetime:
    """Convert ``moment`` to UTC. A naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """Format ``moment`` as ISO 8601 in UTC with a ``Z`` suffix."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def count_verdicts(result: SuiteResult) -> dict[Verdict, int]:
    """Count the runs of ``result`` per verdict, every verdict present (zero when unused)."""
    counts = dict.fromkeys(Verdict, 0)
    for run in result.runs:
        counts[run.verdict] += 1
    return counts


def _path(path: Path | None) -> str | None:
    return None if path is None else path.as_posix()


def _document(document: DocumentResult) -> dict[str, Any]:
    return {
        "id": document.id,
        "name": document.name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "path": _path(document.path),
    }


def _run(run: RunResult) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "name": run.name,
        "job_file": run.job_file.as_posix(),
        "line": run.line,
        "flow": run.flow,
        "mode": run.mode,
        "selected": run.selected,
        "input_file": _path(run.input_file),
        "input_sha256": run.input_sha256,
        "execution_id": run.execution_id,
        "attempts": run.attempts,
        "status": run.status,
        "expected": {
            "statuses": list(run.expected_statuses),
            "documents": run.expected_documents,
        },
        "verdict": run.verdict.value,
        "reason": run.reason,
        "time": {
            "queued_seconds": run.queued_seconds,
            "running_seconds": run.running_seconds,
            "total_seconds": run.total_seconds,
        },
        "messages": list(run.messages),
        "documents": [_document(document) for document in run.documents],
        "outputs": dict(run.outputs),
    }


def to_document(result: SuiteResult) -> dict[str, Any]:
    """Build the JSON report document of ``result``."""
    counts = count_verdicts(result)
    totals: dict[str, int] = {"runs": len(result.runs)}
    totals.update({TOTAL_KEYS[verdict]: count for verdict, count in counts.items()})
    return {
        "format_version": FORMAT_VERSION,
        "flowspec_version": result.flowspec_version,
        "started_at": format_timestamp(result.started_at),
        "ended_at": format_timestamp(result.ended_at),
        "complete": result.complete,
        "stop_reason": result.stop_reason,
        "passed": result.passed,
        "job_files": [
            {"path": job.path.as_posix(), "name": job.name, "sha256": job.sha256}
            for job in result.job_files
        ],
        "base_urls": [strip_userinfo(url) for url in result.base_urls],
        "totals": totals,
        "runs": [_run(run) for run in result.runs],
    }


class JsonReportWriter:
    """Writes the JSON report (UTF-8, indented, keys in a fixed order)."""

    description = "machine-readable JSON, see schemas/report.schema.json"

    def render(self, result: SuiteResult) -> bytes:
        """Render ``result`` as a JSON document."""
        # allow_nan=False: NaN and Infinity are not JSON, so a bad duration fails here, loudly.
        text = json.dumps(to_document(result), indent=2, ensure_ascii=False, allow_nan=False)
        # A lone surrogate (possible in server messages) cannot be encoded as UTF-8. Its
        # visible escape "\\udXXX" is also its JSON escape, so reading it back restores it.
        return unicode_safe(text + "\n").encode("utf-8")
