"""The asyncio scheduler: which run starts when, under the job file's order and limits.

Job files run one after another, each with its own ``run`` settings. Inside a
file, ``sequential`` is the parallel scheduler with a limit of one, so both
orders honour ``after`` the same way. A run starts once every run it waits for
has finished, and is skipped when one of them did not pass. Among ready runs,
the first in file order starts first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from flowspec import __version__
from flowspec.errors import ExitCode, FlowspecError
from flowspec.execution import Clock, ExecutionContext, FlowsClient, RunExecution, RunListener
from flowspec.plan import Run
from flowspec.results import JobFileInfo, RunResult, SuiteResult, Verdict
from flowspec.spec.model import JobFile

logger = logging.getLogger(__name__)

NOT_SELECTED_REASON = "not selected by --shard or --rerun-failed"


@dataclass(frozen=True)
class EngineOptions:
    """How to execute: where documents go, and the command line's overrides.

    ``concurrency`` replaces the limit of every parallel job file when given. ``selected``
    contains the ids of the runs to execute; ``None`` means all of them.
    """

    output_dir: Path
    keep_running: bool = False
    concurrency: int | None = None
    selected: frozenset[str] | None = None


@dataclass(frozen=True)
class SuiteOutcome:
    """The suite's results and why it stopped early, if it did."""

    result: SuiteResult
    fatal: FlowspecError | None = None
    interrupted: bool = False

    @property
    def exit_code(self) -> ExitCode:
        """The process exit code: 130 interrupted, 3 server unusable, 1 a run failed, else 0."""
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.fatal is not None:
            return self.fatal.exit_code
        return ExitCode.OK if self.result.passed else ExitCode.RUNS_FAILED


class Engine:
    """Executes planned runs against the servers of their job files."""

    def __init__(
        self,
        client_for: Callable[[JobFile], FlowsClient],
        clock: Clock,
        listener: RunListener,
        options: EngineOptions,
    ) -> None:
        self._client_for = client_for
        self._clock = clock
        self._options = options
        self._context = ExecutionContext(
            clock=clock,
            listener=listener,
            output_dir=options.output_dir,
            keep_running=options.keep_running,
        )
        self._results: dict[str, RunResult] = {}
        self._running: dict[asyncio.Task[RunResult], RunExecution] = {}
        self._stop_reason: str | None = None
        self._skip_reason: str | None = None
        self._fatal: FlowspecError | None = None
        self._interrupted = False

    @property
    def interrupted(self) -> bool:
        """Whether ``interrupt`` was called."""
        return self._interrupted

    def interrupt(self) -> None:
        """Start no more runs and cancel the running ones; safe to call from a signal handler."""
        if self._interrupted:
            return
        self._interrupted = True
        self._stop("interrupted")
        for task in self._running:
            task.cancel()

    async def execute(self, runs: Sequence[Run]) -> SuiteOutcome:
        """Execute ``runs`` and return every run's result, in plan order."""
        started_at = self._clock.now()
        try:
            for job, job_runs in _group_by_job_file(runs):
                await self._execute_job_file(job, job_runs)
        finally:
            await self._cancel_running()

        result = SuiteResult(
            flowspec_version=__version__,
            started_at=started_at,
            ended_at=self._clock.now(),
            job_files=_job_file_infos(runs),
            base_urls=tuple(dict.fromkeys(run.job.server.base_url for run in runs)),
            runs=tuple(self._results[run.id] for run in runs),
            complete=self._stop_reason is None,
            stop_reason=self._stop_reason,
        )
        return SuiteOutcome(result, fatal=self._fatal, interrupted=self._interrupted)

    async def _execute_job_file(self, job: JobFile, runs: list[Run]) -> None:
        limit = self._options.concurrency or job.run.concurrency
        if job.run.order == "sequential":
            limit = 1
        client = self._client_for(job)
        pending = [run for run in runs if self._select(run)]
        fail_fast_reason: str | None = None

        while pending or self._running:
            stop_reason = self._skip_reason or fail_fast_reason
            if stop_reason is not None:
                self._skip_all(pending, f"not started: {stop_reason}")
                pending = []
            else:
                pending = self._start_ready(pending, client, limit)
            if not self._running:
                # Only runs whose dependencies can never finish are left; plan_runs
                # rejects cycles, so this is a guard, not an expected path.
                self._skip_all(pending, "not started: waits for runs that cannot start")
                pending = []
                continue

            done, _ = await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                execution = self._running.pop(task)
                result = self._result_of(task, execution)
                self._results[result.run_id] = result
                if execution.fatal is not None and self._fatal is None:
                    self._fatal = execution.fatal
                    # The skipped runs point at the run with the error instead of
                    # repeating a message that can be hundreds of characters long.
                    self._stop(
                        f"the server could not be used: {execution.fatal}",
                        skip_reason=f"the server could not be used (see {result.name})",
                    )
                if job.run.fail_fast and fail_fast_reason is None and _failed(result):
                    fail_fast_reason = f"fail_fast after {result.name} {result.verdict.value}"

    def _result_of(self, task: asyncio.Task[RunResult], execution: RunExecution) -> RunResult:
        if not task.cancelled():
            return task.result()
        # Cancelled before its first step, so no execution was created.
        result = _skipped_result(execution.run, "not started: interrupted")
        self._context.listener.run_finished(execution.run, result)
        return result

    def _start_ready(self, pending: list[Run], client: FlowsClient, limit: int) -> list[Run]:
        """Start ready runs up to ``limit``, skip those whose dependency failed; return the rest."""
        waiting: list[Run] = []
        for index, run in enumerate(pending):
            if len(self._running) >= limit:
                # Runs left behind are looked at again when a slot frees, so a large
                # suite is not scanned once per finished run.
                waiting.extend(pending[index:])
                break
            blocker = self._blocker(run)
            if blocker is not None:
                self._skip(
                    run, f"skipped because {blocker.name} did not pass ({blocker.verdict.value})"
                )
            elif self._dependencies_done(run):
                execution = RunExecution(run, client, self._context)
                self._running[asyncio.ensure_future(execution.execute())] = execution
            else:
                waiting.append(run)
        return waiting

    def _blocker(self, run: Run) -> RunResult | None:
        for run_id in run.after:
            result = self._results.get(run_id)
            if result is not None and result.verdict is not Verdict.PASSED and result.selected:
                return result
        return None

    def _dependencies_done(self, run: Run) -> bool:
        return all(run_id in self._results for run_id in run.after if self._is_selected(run_id))

    def _select(self, run: Run) -> bool:
        if self._options.selected is None or run.id in self._options.selected:
            return True
        self._results[run.id] = _skipped_result(run, NOT_SELECTED_REASON, selected=False)
        return False

    def _is_selected(self, run_id: str) -> bool:
        # NOTE: a dependency left out by --shard or --rerun-failed counts as passed,
        # because it ran (and passed) elsewhere or earlier, which this process cannot check.
        return self._options.selected is None or run_id in self._options.selected

    def _skip(self, run: Run, reason: str) -> None:
        result = _skipped_result(run, reason)
        self._results[run.id] = result
        self._context.listener.run_finished(run, result)

    def _skip_all(self, runs: Collection[Run], reason: str) -> None:
        for run in runs:
            self._skip(run, reason)

    def _stop(self, reason: str, *, skip_reason: str | None = None) -> None:
        if self._stop_reason is None:
            self._stop_reason = reason
            self._skip_reason = skip_reason or reason
            logger.info("stopping the suite: %s", reason)

    async def _cancel_running(self) -> None:
        """Cancel runs still in flight when ``execute`` itself ends early, and collect them."""
        if not self._running:
            return
        for task in self._running:
            task.cancel()
        results = await asyncio.gather(*self._running, return_exceptions=True)
        for result in results:
            if isinstance(result, RunResult):
                self._results[result.run_id] = result
        self._running.clear()


def _failed(result: RunResult) -> bool:
    return result.verdict in (Verdict.FAILED, Verdict.ERROR, Verdict.TIMED_OUT)


def _skipped_result(run: Run, reason: str, *, selected: bool = True) -> RunResult:
    return RunResult(
        run_id=run.id,
        name=run.name,
        job_file=run.job.path,
        line=run.entry.location.line or 0,
        flow=run.entry.flow,
        mode=run.mode,
        verdict=Verdict.SKIPPED,
        reason=reason,
        input_file=run.input_file,
        expected_statuses=run.entry.expect.status,
        expected_documents=run.entry.expect.documents,
        selected=selected,
    )


def _group_by_job_file(runs: Sequence[Run]) -> list[tuple[JobFile, list[Run]]]:
    groups: dict[Path, tuple[JobFile, list[Run]]] = {}
    for run in runs:
        groups.setdefault(run.job.path, (run.job, []))[1].append(run)
    return list(groups.values())


def _job_file_infos(runs: Sequence[Run]) -> tuple[JobFileInfo, ...]:
    jobs = {run.job.path: run.job for run in runs}
    return tuple(JobFileInfo(job.path, job.sha256, job.name) for job in jobs.values())
