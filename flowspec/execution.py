"""One run's life: start the execution, follow it to its end, answer its forms, judge it.

The per-run ``timeout`` is measured on the injected clock from the start
request to the terminal status. Progress is followed with the server's long
poll, asked to hold each request no longer than the time left, so the engine
never sleeps between polls.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from flowspec.client import DocumentPayload, DownloadedDocument, ProgressPayload, StartResult
from flowspec.documents import PathClaims
from flowspec.downloads import DocumentSaver, DownloadFailed
from flowspec.errors import (
    AuthenticationFailed,
    FlowspecError,
    NotFound,
    ServerUnreachable,
    StartUnconfirmed,
)
from flowspec.forms import answer_form, unused_answers_message
from flowspec.plan import Run
from flowspec.results import DocumentResult, RunResult, Verdict
from flowspec.spec.model import TERMINAL_STATUSES, Mode, PluginInput
from flowspec.verdict import judge

logger = logging.getLogger(__name__)

#: Forms one execution may ask before the run fails: a flow that asks again and
#: again is most likely rejecting the answers without saying so.
MAX_FORMS = 20
#: Distinct progress messages kept per run, so a chatty flow cannot bloat the reports.
MAX_MESSAGES = 50
#: Seconds a single wait may outlast the run's timeout before the run is stopped anyway.
TIMEOUT_GRACE = 1.0
#: Seconds granted to a cancel request during cleanup.
CANCEL_TIMEOUT = 10.0
#: Errors that make the server unusable for every run, so the whole suite stops.
SUITE_ERRORS = (AuthenticationFailed, ServerUnreachable)


class Clock(Protocol):
    """A source of time: ``monotonic`` for durations, ``now`` for timestamps."""

    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FlowsClient(Protocol):
    """The calls the engine makes; ``flowspec.client.SmartFlowsClient`` provides them."""

    async def start_execution(
        self,
        flow_id: str,
        mode: Mode,
        *,
        xml: bytes | None = None,
        plugin: PluginInput | None = None,
    ) -> StartResult: ...

    async def get_progress(self, execution_id: str, *, timeout: float) -> ProgressPayload: ...

    async def answer_user_input(
        self, execution_id: str, answers: dict[str, Any]
    ) -> ProgressPayload: ...

    async def cancel_execution(self, execution_id: str) -> None: ...

    async def get_output(self, execution_id: str, name: str) -> Any: ...

    async def get_document(self, document_id: str) -> DocumentPayload: ...

    async def download_document(
        self, document_id: str, destination: Path
    ) -> DownloadedDocument: ...


class RunListener(Protocol):
    """Receives what happens to runs, for a live view or log lines."""

    def run_started(self, run: Run) -> None: ...

    def run_progress(self, run: Run, progress: ProgressPayload) -> None: ...

    def run_finished(self, run: Run, result: RunResult) -> None: ...


@dataclass(frozen=True)
class ExecutionContext:
    """Settings and state shared by every run of a suite."""

    clock: Clock
    listener: RunListener
    output_dir: Path
    claims: PathClaims = field(default_factory=PathClaims)
    keep_running: bool = False


class RunFailure(Exception):
    """Ends a run early with a verdict and reason; internal to the engine."""

    def __init__(self, verdict: Verdict, reason: str, *, cancel: bool) -> None:
        super().__init__(reason)
        self.verdict = verdict
        self.reason = reason
        self.cancel = cancel


class RunExecution:
    """Executes one run and builds its ``RunResult``; ``fatal`` is set when the suite must stop."""

    def __init__(self, run: Run, client: FlowsClient, context: ExecutionContext) -> None:
        self.run = run
        self.fatal: FlowspecError | None = None
        self._client = client
        self._context = context
        self._clock = context.clock
        self._execution_id: str | None = None
        self._status: str | None = None
        self._attempts = 0
        self._messages: list[str] = []
        self._answers_used: set[str] = set()
        self._form_fields: list[str] = []
        self._input_sha256: str | None = None
        self._documents: tuple[DocumentResult, ...] = ()
        self._outputs: dict[str, Any] = {}
        self._started = 0.0
        self._ended: float | None = None
        self._queued = 0.0
        self._last_change = 0.0

    async def execute(self) -> RunResult:
        """Run to a verdict and return the result; failures of the run become its verdict."""
        self._context.listener.run_started(self.run)
        self._started = self._last_change = self._clock.monotonic()
        try:
            verdict, reason = await self._execute()
        except RunFailure as failure:
            verdict, reason = failure.verdict, failure.reason
            if failure.cancel:
                reason += await self._cancel_on_server()
            elif failure.verdict is Verdict.TIMED_OUT:
                reason += self._left_running("cancel_on_timeout: false")
        except SUITE_ERRORS as exc:
            self.fatal = exc
            verdict, reason = Verdict.ERROR, str(exc)
        except asyncio.CancelledError:
            _uncancel_current_task()
            verdict, reason = Verdict.ERROR, "interrupted"
            if self._context.keep_running:
                reason += self._left_running("--keep-running")
            elif not self.run.entry.cancel_on_timeout:
                reason += self._left_running("cancel_on_timeout: false")
            else:
                reason += await self._cancel_on_server()

        result = self._result(verdict, reason)
        self._context.listener.run_finished(self.run, result)
        return result

    async def _execute(self) -> tuple[Verdict, str | None]:
        progress = await self._start_and_follow()
        self._report_unused_answers()
        status = progress["status"]
        assert self._execution_id is not None  # set by _start
        saver = DocumentSaver(self._client, self._context.output_dir, self._context.claims)
        try:
            self._documents = await saver.save_all(
                self.run, self._execution_id, progress.get("model")
            )
        except DownloadFailed as exc:
            raise RunFailure(Verdict.ERROR, str(exc), cancel=False) from exc
        verdict, reason = judge(status, len(self._documents), self.run.entry.expect)
        await self._read_outputs(required=verdict is Verdict.PASSED)
        return verdict, reason

    def _report_unused_answers(self) -> None:
        if not self._form_fields:
            return  # no form was asked, as with skip_user_input
        message = unused_answers_message(
            self.run.entry.answers, self._answers_used, self._form_fields
        )
        if message is not None:
            logger.warning("%s: %s", self.run.name, message)
            self._messages.append(message)

    async def _start_and_follow(self) -> ProgressPayload:
        """Start the execution and follow it to a terminal status, within the run's timeout.

        ``_follow`` checks the timeout on the injected clock between requests.
        This real-time bound is the backstop for a single wait that outlasts the
        timeout: a server that holds a poll longer than asked, or a long
        ``Retry-After``. It allows ``TIMEOUT_GRACE`` more, so the clock check
        reports first whenever it can. It cancels this task rather than wrapping
        the work in ``asyncio.wait_for``, whose inner task could finish and
        swallow an interrupt's cancellation (Python 3.11).
        """
        task = asyncio.current_task()
        assert task is not None  # called from a running task
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = asyncio.get_running_loop().call_later(
            self.run.entry.timeout + TIMEOUT_GRACE, expire
        )
        try:
            progress = await self._start()
            return await self._follow(progress)
        except asyncio.CancelledError:
            if not expired:
                raise
            _uncancel_current_task()
            cancel = self.run.entry.cancel_on_timeout
            raise RunFailure(Verdict.TIMED_OUT, self._stuck_reason(), cancel=cancel) from None
        finally:
            timer.cancel()

    def _stuck_reason(self) -> str:
        waited = f"timed out after {self.run.entry.timeout:g} s"
        if self._execution_id is None:
            return (
                f"{waited} while starting the execution; a start request may have reached the"
                " server, so check its executions list before rerunning"
            )
        return f"{waited} waiting for the server (last status {self._status})"

    async def _read_outputs(self, *, required: bool) -> None:
        """Read the entry's outputs; a failure is the run's error only when ``required``.

        A run that already failed keeps its own reason, because a server may
        have no outputs for an execution that did not end well.
        """
        assert self._execution_id is not None  # set by _start
        for name in self.run.entry.outputs:
            try:
                self._outputs[name] = await self._client.get_output(self._execution_id, name)
            except SUITE_ERRORS:
                raise
            except FlowspecError as exc:
                reason = f"reading output {name!r} failed: {exc}"
                if required:
                    raise RunFailure(Verdict.ERROR, reason, cancel=False) from exc
                logger.warning("%s: %s", self.run.name, reason)

    async def _start(self) -> ProgressPayload:
        xml = self._read_input()
        plugin = self.run.entry.input if isinstance(self.run.entry.input, PluginInput) else None
        try:
            started = await self._client.start_execution(
                self.run.entry.flow, self.run.mode, xml=xml, plugin=plugin
            )
        except StartUnconfirmed as exc:
            raise RunFailure(Verdict.ERROR, self._unconfirmed_reason(exc), cancel=False) from exc
        except SUITE_ERRORS:
            raise
        except FlowspecError as exc:
            raise RunFailure(Verdict.ERROR, f"start failed: {exc}", cancel=False) from exc

        self._attempts = started.attempts
        self._execution_id = started.progress["id"]
        logger.info("%s: started execution %s", self.run.name, self._execution_id)
        self._observe(started.progress)
        return started.progress

    def _unconfirmed_reason(self, exc: StartUnconfirmed) -> str:
        cause = exc.cause or str(exc)
        return (
            f"start unconfirmed: the request to start flow {self.run.entry.flow} failed after "
            f"it was sent ({cause}), so check the server's executions list for a new execution "
            "before rerunning"
        )

    def _read_input(self) -> bytes | None:
        if self.run.input_file is None:
            return None
        try:
            data = self.run.input_file.read_bytes()
        except OSError as exc:
            reason = f"cannot read input {self.run.input_file}: {exc.strerror or exc}"
            raise RunFailure(Verdict.ERROR, reason, cancel=False) from exc
        self._input_sha256 = hashlib.sha256(data).hexdigest()
        return data

    async def _follow(self, progress: ProgressPayload) -> ProgressPayload:
        forms = 0
        while progress["status"] not in TERMINAL_STATUSES:
            remaining = self.run.entry.timeout - (self._clock.monotonic() - self._started)
            if remaining <= 0:
                reason = self._timeout_reason(progress)
                raise RunFailure(Verdict.TIMED_OUT, reason, cancel=self.run.entry.cancel_on_timeout)

            if progress["status"] == "UserInput":
                forms += 1
                progress = await self._answer(progress, forms)
            elif progress["status"] == "SelectFlow":
                reason = "the flow asks to select a flow, which a job file cannot answer"
                raise RunFailure(Verdict.ERROR, reason, cancel=True)
            else:
                # NOTE: a server that ignores ``timeout`` and answers at once makes this
                # loop poll back to back; the emulator and the API reference hold the poll.
                progress = await self._poll(min(self.run.entry.poll_timeout, remaining))
            self._observe(progress)
        return progress

    async def _poll(self, timeout: float) -> ProgressPayload:
        assert self._execution_id is not None  # set by _start
        try:
            return await self._client.get_progress(self._execution_id, timeout=timeout)
        except NotFound as exc:
            reason = f"execution {self._execution_id} vanished from the server: {exc}"
            raise RunFailure(Verdict.ERROR, reason, cancel=False) from exc
        except SUITE_ERRORS:
            raise
        except FlowspecError as exc:
            raise RunFailure(
                Verdict.ERROR, f"following progress failed: {exc}", cancel=True
            ) from exc

    async def _answer(self, progress: ProgressPayload, forms: int) -> ProgressPayload:
        assert self._execution_id is not None  # set by _start
        if forms > MAX_FORMS:
            reason = f"the flow asked for user input {MAX_FORMS} times; check its answers"
            raise RunFailure(Verdict.ERROR, reason, cancel=True)

        answer = answer_form(
            progress.get("schema"),
            progress.get("form"),
            progress.get("model"),
            self.run.entry.answers,
        )
        self._answers_used |= answer.used
        self._form_fields += [field for field in answer.fields if field not in self._form_fields]
        if not answer.ok:
            reason = f"cannot answer the form: {'; '.join(answer.problems)}"
            raise RunFailure(Verdict.ERROR, reason, cancel=True)

        logger.info("%s: answering form %d of %s", self.run.name, forms, self._execution_id)
        try:
            return await self._client.answer_user_input(self._execution_id, answer.values)
        except SUITE_ERRORS:
            raise
        except FlowspecError as exc:
            raise RunFailure(Verdict.ERROR, f"sending answers failed: {exc}", cancel=True) from exc

    def _observe(self, progress: ProgressPayload) -> None:
        now = self._clock.monotonic()
        if self._status == "Queued":
            self._queued += now - self._last_change
        self._last_change = now
        self._status = progress["status"]
        if self._status in TERMINAL_STATUSES:
            self._ended = now

        message = progress.get("message")
        fresh = not self._messages or self._messages[-1] != message
        if isinstance(message, str) and message and fresh and len(self._messages) < MAX_MESSAGES:
            self._messages.append(message)
        self._context.listener.run_progress(self.run, progress)

    def _timeout_reason(self, progress: ProgressPayload) -> str:
        percentage = progress.get("percentage")
        where = (
            f"{progress['status']}, {percentage}%" if percentage is not None else progress["status"]
        )
        return f"timed out after {self.run.entry.timeout:g} s (last status {where})"

    async def _cancel_on_server(self) -> str:
        """Cancel the execution unless it ended; return what to add to the reason."""
        if self._execution_id is None or self._status in TERMINAL_STATUSES:
            return ""
        try:
            await asyncio.wait_for(
                self._client.cancel_execution(self._execution_id), CANCEL_TIMEOUT
            )
        except (FlowspecError, asyncio.TimeoutError) as exc:
            # asyncio.TimeoutError has no message of its own.
            cause = str(exc) or f"no answer within {CANCEL_TIMEOUT:g} s"
            logger.warning("%s: cancelling %s failed: %s", self.run.name, self._execution_id, cause)
            return f"; cancelling execution {self._execution_id} failed: {cause}"
        self._status = "Canceled"
        logger.info("%s: cancelled execution %s", self.run.name, self._execution_id)
        return f"; execution {self._execution_id} was cancelled"

    def _left_running(self, why: str) -> str:
        if self._execution_id is None or self._status in TERMINAL_STATUSES:
            return ""
        logger.info("%s: left execution %s running (%s)", self.run.name, self._execution_id, why)
        return f"; execution {self._execution_id} left running ({why})"

    def _result(self, verdict: Verdict, reason: str | None) -> RunResult:
        ended = self._ended if self._ended is not None else self._clock.monotonic()
        total = max(0.0, ended - self._started)
        queued = self._queued
        if self._status == "Queued":
            queued += ended - self._last_change
        run = self.run
        return RunResult(
            run_id=run.id,
            name=run.name,
            job_file=run.job.path,
            line=run.entry.location.line or 0,
            flow=run.entry.flow,
            mode=run.mode,
            verdict=verdict,
            reason=reason,
            input_file=run.input_file,
            input_sha256=self._input_sha256,
            execution_id=self._execution_id,
            attempts=self._attempts,
            status=self._status,
            expected_statuses=run.entry.expect.status,
            expected_documents=run.entry.expect.documents,
            queued_seconds=queued,
            running_seconds=max(0.0, total - queued),
            total_seconds=total,
            messages=tuple(self._messages),
            documents=self._documents,
            outputs=dict(self._outputs),
        )


def _uncancel_current_task() -> None:
    """Clear the pending cancellation of this task, since the engine handles it (Python 3.11+)."""
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()
