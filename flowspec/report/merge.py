"""Combine the reports of shards (or of a run and its reruns) into one result.

Runs are matched by id. When two reports contain the same run, the one from
the report that ended later wins, because a rerun replaces the earlier
outcome. A run that was started always wins over one its shard left out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from flowspec.errors import UsageError
from flowspec.report.jsonreport import as_utc
from flowspec.results import JobFileInfo, RunResult, SuiteResult

logger = logging.getLogger(__name__)


def merge_results(results: Sequence[SuiteResult]) -> SuiteResult:
    """Merge ``results`` into one: start is the earliest, end the latest, runs deduplicated by id.

    The merge is complete only when every input is. Runs are ordered by job
    file (in order of first appearance), then line, then name, which is plan
    order for runs of one job file.
    """
    if not results:
        raise UsageError("no reports to merge; give at least one JSON report")

    # Stable sort: among reports with the same end time the later argument wins.
    ordered = sorted(results, key=lambda result: as_utc(result.ended_at))
    job_files = _merge_job_files(ordered)
    runs = _merge_runs(ordered)
    position = {job.path: number for number, job in enumerate(job_files)}
    runs.sort(key=lambda run: (position.get(run.job_file, len(position)), run.line, run.name))

    stop_reasons = [result.stop_reason for result in ordered if not result.complete]
    return SuiteResult(
        flowspec_version=ordered[-1].flowspec_version,
        started_at=min((result.started_at for result in ordered), key=as_utc),
        ended_at=ordered[-1].ended_at,
        job_files=tuple(job_files),
        base_urls=tuple(dict.fromkeys(url for result in ordered for url in result.base_urls)),
        runs=tuple(runs),
        complete=not stop_reasons,
        stop_reason="; ".join(reason or "stopped early" for reason in stop_reasons) or None,
    )


def _merge_job_files(ordered: Sequence[SuiteResult]) -> list[JobFileInfo]:
    merged: dict[Path, JobFileInfo] = {}
    for result in ordered:
        for job in result.job_files:
            earlier = merged.get(job.path)
            if earlier is not None and earlier.sha256 != job.sha256:
                logger.warning(
                    "job file %s differs between the merged reports (sha256 %s and %s);"
                    " the later report's version is kept",
                    job.path,
                    earlier.sha256[:12],
                    job.sha256[:12],
                )
            merged[job.path] = job
    # Keep the order in which job files first appeared, not the order of the last update.
    first_seen = list(dict.fromkeys(job.path for result in ordered for job in result.job_files))
    return [merged[path] for path in first_seen]


def _merge_runs(ordered: Sequence[SuiteResult]) -> list[RunResult]:
    merged: dict[str, RunResult] = {}
    for result in ordered:
        for run in result.runs:
            earlier = merged.get(run.run_id)
            if earlier is not None and earlier.selected and not run.selected:
                continue
            merged[run.run_id] = run
    return list(merged.values())
