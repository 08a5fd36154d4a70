"""Results of a run as data: what the engine produces and the reporters format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any


class Verdict(str, Enum):
    """The verdict on one run, judged against its expectations."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMED_OUT = "timed out"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DocumentResult:
    """A document an execution produced.

    ``size``, ``sha256`` and ``path`` are ``None`` for a document that was not
    downloaded (``download: false``).
    """

    id: str
    name: str
    content_type: str | None
    size: int | None
    sha256: str | None
    path: Path | None


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run.

    ``status`` is the last status the server reported (``None`` when no
    execution was created). Times are seconds; ``queued_seconds`` is the time
    spent in ``Queued``, ``running_seconds`` the rest until the terminal status.
    ``selected`` is false for a run that ``--shard`` or ``--rerun-failed`` left
    out: it is reported as skipped, was never started, and is not a failure.
    ``outputs`` contains the flow outputs the entry names, by name, as the server
    returned them.
    """

    run_id: str
    name: str
    job_file: Path
    line: int
    flow: str
    mode: str
    verdict: Verdict
    reason: str | None = None
    input_file: Path | None = None
    input_sha256: str | None = None
    execution_id: str | None = None
    attempts: int = 0
    status: str | None = None
    expected_statuses: tuple[str, ...] = ()
    expected_documents: int | None = None
    queued_seconds: float = 0.0
    running_seconds: float = 0.0
    total_seconds: float = 0.0
    messages: tuple[str, ...] = ()
    documents: tuple[DocumentResult, ...] = ()
    selected: bool = True
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobFileInfo:
    """A job file that took part in a run, with the SHA-256 of its bytes."""

    path: Path
    sha256: str
    name: str


@dataclass(frozen=True)
class SuiteResult:
    """Everything one ``flowspec run`` did.

    ``complete`` is false when the run was interrupted or a server error ended
    it early, and ``stop_reason`` then gives the cause. ``base_urls`` never
    contains credentials.
    """

    flowspec_version: str
    started_at: datetime
    ended_at: datetime
    job_files: tuple[JobFileInfo, ...]
    base_urls: tuple[str, ...]
    runs: tuple[RunResult, ...] = field(default_factory=tuple)
    complete: bool = True
    stop_reason: str | None = None

    @property
    def passed(self) -> bool:
        """True when no run failed, errored or timed out.

        A run is skipped only because of another run's failure (``after``,
        ``fail_fast``) or on purpose, so skipped runs alone do not fail a suite.
        """
        return all(run.verdict in (Verdict.PASSED, Verdict.SKIPPED) for run in self.runs)
