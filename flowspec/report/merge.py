"""Combine the reports of shards (or of a run and its reruns) into one result.

Runs are matched by id. When two reports contain the same run, the one from
the report that ended later wins, because a rerun replaces the earlier
outcome. A run that was started always wins over one its shard left out.

An incomplete report (interrupted, or stopped by a server error) keeps the
merge incomplete only while one of its runs that did not pass is still in the
merge. Once later reports (of ``--rerun-failed`` runs) have replaced every
such run, nothing is missing, because the engine lists every planned run and
marks the ones it never started as skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from flowspec.errors import UsageError
from flowspec.report._details import count_noun
from flowspec.report.jsonreport import as_utc
from flowspec.results import JobFileInfo, RunResult, SuiteResult, Verdict

logger = logging.getLogger(__name__)


def merge_results(results: Sequence[SuiteResult]) -> SuiteResult:
    """Merge ``results`` into one: start is the earliest, end the latest, runs deduplicated by id.

    The merge is incomplete while a run that did not pass in an incomplete
    input is still part of it (see the module docstring). Runs are ordered by job
    file (in order of first appearance), then line, then name, which is plan
    order for runs of one job file.
    """
    if not results:
        raise UsageError("no reports to merge; give at least one JSON report")

    # Stable sort: among reports with the same end time the later argument wins.
    ordered = sorted(results, key=lambda result: as_utc(result.ended_at))
    job_files = _merge_job_files(ordered)
    sources = _merge_runs(ordered)
    runs = [run for run, _ in sources.values()]
    position = {job.path: number for number, job in enumerate(job_files)}
    runs.sort(key=lambda run: (position.get(run.job_file, len(position)), run.line, run.name))

    _warn_on_split_runs(runs)
    incomplete = _still_incomplete(ordered, sources)
    stop_reasons = [result.stop_reason for result in incomplete]
    return SuiteResult(
        flowspec_version=ordered[-1].flowspec_version,
        started_at=min((result.started_at for result in ordered), key=as_utc),
        ended_at=ordered[-1].ended_at,
        job_files=tuple(job_files),
        base_urls=tuple(dict.fromkeys(url for result in ordered for url in result.base_urls)),
        runs=tuple(runs),
        complete=not stop_reasons,
        stop_reason="; ".join(dict.fromkeys(reason or "stopped early" for reason in stop_reasons))
        or None,
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


def _merge_runs(ordered: Sequence[SuiteResult]) -> dict[str, tuple[RunResult, SuiteResult]]:
    """Map each run id to the run that wins and the report it comes from."""
    merged: dict[str, tuple[RunResult, SuiteResult]] = {}
    for result in ordered:
        for run in result.runs:
            earlier = merged.get(run.run_id)
            if earlier is not None and earlier[0].selected and not run.selected:
                continue
            merged[run.run_id] = (run, result)
    return merged


def _still_incomplete(
    ordered: Sequence[SuiteResult], sources: dict[str, tuple[RunResult, SuiteResult]]
) -> list[SuiteResult]:
    """Return the incomplete reports whose runs that did not pass are not all replaced.

    A single incomplete report stays incomplete even when all its runs passed,
    so that merging one report gives the verdict that ``report show`` gives it.
    """
    incomplete: list[SuiteResult] = []
    for result in ordered:
        if result.complete:
            continue
        replaced = [sources[run.run_id][1] is not result for run in result.runs]
        open_runs = [
            run
            for run, was_replaced in zip(result.runs, replaced, strict=True)
            if run.selected and run.verdict is not Verdict.PASSED and not was_replaced
        ]
        if open_runs or not any(replaced):
            incomplete.append(result)
    return incomplete


def _warn_on_split_runs(runs: Sequence[RunResult]) -> None:
    """Warn when one run appears under several ids, a sign of differently named job files.

    Run ids hash the job file path as given, so shards started with
    ``suite.yaml`` and ``./ci/../suite.yaml`` disagree on every id and on which
    shard runs what: some runs ran twice and others may not have run at all.
    """
    paths: dict[tuple[str, int, str, str], set[str]] = {}
    for run in runs:
        key = (run.name, run.line, run.flow, run.job_file.name)
        paths.setdefault(key, set()).add(run.job_file.as_posix())
    split = {key: found for key, found in paths.items() if len(found) > 1}
    if not split:
        return

    (name, *_), found = next(iter(split.items()))
    verb = "appears" if len(split) == 1 else "appear"
    logger.warning(
        "%s %s under several ids, for example %s from %s: the reports name the same"
        " job file by different paths, so their shards may have skipped or repeated runs;"
        " give every shard the same job file paths, relative to the same folder",
        count_noun(len(split), "run"),
        verb,
        name,
        " and ".join(sorted(found)),
    )
