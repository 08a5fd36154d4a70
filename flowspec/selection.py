"""Choosing which runs to start: one shard of a suite, or the runs that did not pass in a report.

Sharding is by run id, so every machine, operating system and Python version
puts a run in the same shard. A run and the runs it waits for through
``after`` always share a shard: ``after`` links join runs into groups, and a
whole group is assigned by the SHA-256 of its smallest run id.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Collection, Sequence

from flowspec.errors import UsageError
from flowspec.plan import Run
from flowspec.results import SuiteResult, Verdict

logger = logging.getLogger(__name__)

_SHARD = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``K/N`` (1-based shard ``K`` of ``N``) and return ``(K, N)``.

    Raises ``UsageError`` for text that is not two whole numbers, for ``N`` of
    zero and for ``K`` outside ``1..N``.
    """
    match = _SHARD.fullmatch(text)
    if match is None:
        raise UsageError(f"invalid shard {text!r}: expected K/N with whole numbers, like 2/4")

    index, total = int(match.group(1)), int(match.group(2))
    _check_shard(index, total)
    return index, total


def _check_shard(index: int, total: int) -> None:
    if total < 1:
        raise UsageError(f"invalid shard {index}/{total}: the number of shards N must be 1 or more")
    if not 1 <= index <= total:
        raise UsageError(
            f"invalid shard {index}/{total}: K must be between 1 and {total}, like 1/{total}"
        )


def shard_of(key: str, total: int) -> int:
    """Return the 1-based shard of ``key`` among ``total``, the same on every machine."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def _group_keys(runs: Sequence[Run]) -> dict[str, str]:
    """Map each run id to the smallest id of its ``after``-connected group (union-find)."""
    parent = {run.id: run.id for run in runs}

    def find(run_id: str) -> str:
        while parent[run_id] != run_id:
            parent[run_id] = parent[parent[run_id]]
            run_id = parent[run_id]
        return run_id

    for run in runs:
        for dependency in run.after:
            if dependency not in parent:
                continue  # a run outside this list cannot share its shard
            first, second = sorted((find(run.id), find(dependency)))
            parent[second] = first
    return {run_id: find(run_id) for run_id in parent}


def select_shard(runs: Sequence[Run], index: int, total: int) -> list[Run]:
    """Return the runs of 1-based shard ``index`` of ``total``, in their original order.

    Every run lands in exactly one shard, together with the runs it is linked
    to through ``after``. Shards can be uneven for small suites or large groups.
    """
    _check_shard(index, total)
    groups = _group_keys(runs)
    return [run for run in runs if shard_of(groups[run.id], total) == index]


def failed_run_ids(report: SuiteResult) -> set[str]:
    """Return the ids of the runs in ``report`` that should run again.

    That is every run whose verdict is not ``passed``, skipped ones included
    (their dependency failed or the run stopped early), except runs that
    ``--shard`` or ``--rerun-failed`` had left out.
    """
    return {run.run_id for run in report.runs if run.verdict is not Verdict.PASSED and run.selected}


def select_rerun(runs: Sequence[Run], ids: Collection[str]) -> list[Run]:
    """Return exactly the runs whose id is in ``ids``, in their original order.

    Ids with no matching run (the job file changed since the report) are
    logged and ignored. The runs they wait for through ``after`` are not added.
    Raises ``UsageError`` when no id matches, because a rerun that runs nothing
    would pass while the failures were never run again.
    """
    selected = [run for run in runs if run.id in ids]
    if ids and not selected:
        missing = (
            "the 1 run that did not pass in the report is not"
            if len(ids) == 1
            else f"none of the {len(ids)} runs that did not pass in the report is"
        )
        raise UsageError(
            f"{missing} in these job files; run ids hash the job file paths as given, so give"
            " the job files by the same paths, from the same folder, as the run that wrote"
            " the report"
        )

    unknown = set(ids) - {run.id for run in runs}
    if unknown:
        logger.warning(
            "%d failed run(s) from the report are no longer in the job files: %s",
            len(unknown),
            ", ".join(sorted(unknown)[:5]),
        )
    return selected
