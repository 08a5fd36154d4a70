"""The execution state machine, computed lazily from a monotonic clock.

An execution stores only the moments that matter (when it started, how much
running time it had used when its current running segment began, when it paused
or ended) and derives its status, percentage and message from ``now`` on demand.
Nothing ticks in the background, so thousands of executions cost nothing while
no one looks at them, and tests move time by moving the injected clock.

Running time excludes pauses; ``max_run_time`` counts wall time from the start,
pauses included.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flowspec.emulator.project import Flow

Clock = Callable[[], float]
StartMode = Literal["none", "xml", "plugin", "start"]

TERMINAL = frozenset({"Success", "Warning", "Error", "Interrupted", "Canceled"})
PAUSES = ("UserInput", "Waiting")

_PERCENT_TICK = 10  # the percentage moves in steps of this size, so polls see distinct changes

_OUTCOME_MESSAGES = {
    "Success": "Flow finished",
    "Warning": "Flow finished with warnings: a post-processing block failed",
    "Error": "Flow failed: a block could not complete",
    "Interrupted": "Flow interrupted",
    "Canceled": "Flow canceled by the user",
}


@dataclass(frozen=True)
class StartInput:
    """The input of a start request: its mode, and its XML or plug-in payload if it had one."""

    mode: StartMode
    xml: bytes | None = None
    plugin: Mapping[str, Any] | None = None
    dataset_id: str | None = None


@dataclass(frozen=True)
class Progress:
    """The progress of an execution at one moment, as the progress endpoint reports it."""

    status: str
    percentage: int
    message: str


@dataclass
class Execution:
    """One execution of a flow; its state is advanced lazily by ``advance(now)``."""

    id: str
    flow: Flow
    input: StartInput
    created_by: str
    created_at: float
    callback_id: str
    started_at: float | None = None
    status: str = "Queued"
    ended_at: float | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    vanish_after: int | None = None
    model: dict[str, Any] | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    _ran: float = 0.0
    _segment_start: float | None = None
    _pending_pauses: list[tuple[float, str]] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        """True once the execution has ended, in whatever status."""
        return self.status in TERMINAL

    def start(self, at: float) -> None:
        """Leave ``Queued`` and start running at clock time ``at``."""
        self.started_at = at
        self.status = "Running"
        self._segment_start = at
        self._pending_pauses = self._pause_points()
        self.stages.append({"name": "Started", "at": at})

    def _pause_points(self) -> list[tuple[float, str]]:
        points: list[tuple[float, str]] = []
        form = self.flow.user_input
        if form is not None and self.input.mode != "start":
            points.append((self.flow.duration * form.at / 100, "UserInput"))
        if self.flow.waiting is not None:
            points.append((self.flow.duration * self.flow.waiting.at / 100, "Waiting"))
        return sorted(points)

    def advance(self, now: float) -> None:
        """Apply every scheduled event (pause, end, time limit) due at or before ``now``."""
        while not self.terminal and self.started_at is not None:
            event = self._next_event()
            if event is None or event[0] > now:
                return
            at, kind = event
            self._apply(at, kind)

    def _next_event(self) -> tuple[float, str] | None:
        candidates: list[tuple[float, str]] = []
        if self.flow.max_run_time is not None and self.started_at is not None:
            candidates.append((self.started_at + self.flow.max_run_time, "Interrupted"))
        if self.status == "Running" and self._segment_start is not None:
            if self._pending_pauses:
                pause_at, kind = self._pending_pauses[0]
                candidates.append((self._segment_start + pause_at - self._ran, kind))
            else:
                finish = self._segment_start + self.flow.duration - self._ran
                candidates.append((finish, self.flow.outcome))
        return min(candidates, key=lambda item: item[0]) if candidates else None

    def _apply(self, at: float, kind: str) -> None:
        if kind in PAUSES:
            self._pending_pauses.pop(0)
            self._ran = self._running_time(at)
            self._segment_start = None
            self.status = kind
            self.stages.append({"name": kind, "at": at})
            return
        self.end(at, kind)

    def end(self, at: float, status: str) -> None:
        """End the execution at clock time ``at`` with the terminal ``status``."""
        if self.status == "Running":
            self._ran = self._running_time(at)
        self._segment_start = None
        self.status = status
        self.ended_at = at
        self.stages.append({"name": status, "at": at})

    def resume(self, at: float) -> None:
        """Leave ``UserInput`` or ``Waiting`` and run on from clock time ``at``."""
        self.status = "Running"
        self._segment_start = at
        self.stages.append({"name": "Resumed", "at": at})

    def _running_time(self, now: float) -> float:
        if self._segment_start is None:
            return self._ran
        return self._ran + max(0.0, now - self._segment_start)

    def progress(self, now: float) -> Progress:
        """Return the progress at ``now``; call ``advance(now)`` first."""
        if self.status == "Queued":
            return Progress("Queued", 0, "Waiting for other executions to finish")
        if self.status in TERMINAL:
            percentage = (
                100 if self.status in {"Success", "Warning", "Error"} else self._percentage()
            )
            message = self.flow.outcome_message if self.status == self.flow.outcome else None
            return Progress(self.status, percentage, message or _OUTCOME_MESSAGES[self.status])
        if self.status == "UserInput":
            form = self.flow.user_input
            return Progress("UserInput", self._percentage(), form.title if form else "Input")
        if self.status == "Waiting":
            waiting = self.flow.waiting
            message = waiting.message if waiting else "Waiting"
            return Progress("Waiting", self._percentage(), message)
        ran = self._running_time(now)
        return Progress("Running", self._percentage(ran), self._step(ran))

    def _fraction(self, ran: float) -> float:
        if self.flow.duration <= 0:
            return 1.0
        return min(1.0, ran / self.flow.duration)

    def _percentage(self, ran: float | None = None) -> int:
        fraction = self._fraction(self._ran if ran is None else ran)
        # The small epsilon keeps 0.09 / 0.1 from flooring to 80 % through rounding error.
        ticks = math.floor(fraction * 100 / _PERCENT_TICK + 1e-9)
        return min(100 - _PERCENT_TICK, ticks * _PERCENT_TICK)

    def _step(self, ran: float) -> str:
        steps = self.flow.steps
        index = min(len(steps) - 1, math.floor(self._fraction(ran) * len(steps) + 1e-9))
        return steps[index]

    def next_change(self, now: float) -> float | None:
        """Return the next clock time at which the progress changes on its own, or None."""
        event = self._next_event()
        if self.status != "Running" or self._segment_start is None or self.flow.duration <= 0:
            return event[0] if event else None

        ran = self._running_time(now)
        boundaries = [self._next_multiple(ran, self.flow.duration * _PERCENT_TICK / 100)]
        boundaries.append(self._next_multiple(ran, self.flow.duration / len(self.flow.steps)))
        times = [self._segment_start + b - self._ran for b in boundaries]
        if event is not None:
            times.append(event[0])
        return min(times)

    @staticmethod
    def _next_multiple(value: float, step: float) -> float:
        return (math.floor(value / step + 1e-9) + 1) * step
