"""All executions and documents of one emulator app, with the capacity queue.

Executions beyond ``capacity`` wait in a first-in, first-out queue. Slots are
handed on at the clock time the holder ended (not when someone next looks), so
queued executions start exactly when they would have on a real server. Paused
executions keep their slot.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from flowspec.emulator import documents
from flowspec.emulator.executions import Clock, Execution, StartInput
from flowspec.emulator.project import DocumentSpec, Flow, Project
from flowspec.emulator.xmlinput import leaf_values


@dataclass(frozen=True)
class StoredDocument:
    """A document an execution produced: metadata plus its bytes."""

    id: str
    spec: DocumentSpec
    execution_id: str
    created_at: datetime
    content: bytes


class ExecutionStore:
    """Create, look up, advance and cancel executions; hand out queue slots."""

    def __init__(self, project: Project, clock: Clock, rng: random.Random) -> None:
        self.project = project
        self.clock = clock
        self._rng = rng
        self._wall_origin = datetime.now(timezone.utc) - timedelta(seconds=clock())
        self.executions: dict[str, Execution] = {}
        self.documents: dict[str, StoredDocument] = {}
        self._queue: deque[Execution] = deque()
        self._holding: set[str] = set()
        self._by_callback: dict[str, Execution] = {}

    def new_id(self) -> str:
        """Return a fresh UUID drawn from the seeded generator."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def wall_time(self, at: float) -> datetime:
        """Return the UTC date and time of clock time ``at``."""
        return self._wall_origin + timedelta(seconds=at)

    def create(self, flow: Flow, start_input: StartInput, username: str) -> Execution:
        """Create an execution and start it, or queue it when all slots are taken."""
        now = self.clock()
        self.sync(now)
        execution = Execution(
            id=self.new_id(),
            flow=flow,
            input=start_input,
            created_by=username,
            created_at=now,
            callback_id=self.new_id(),
        )
        if start_input.mode == "start" and flow.user_input is not None:
            execution.answers = {f.key: f.default for f in flow.user_input.fields}
        self.executions[execution.id] = execution
        self._by_callback[execution.callback_id] = execution

        capacity = self.project.capacity
        if capacity is not None and len(self._holding) >= capacity:
            self._queue.append(execution)
            return execution
        execution.start(now)
        if capacity is not None:
            self._holding.add(execution.id)
        self._settle(execution, now)
        return execution

    def get(self, execution_id: str) -> Execution | None:
        """Return the execution advanced to now, or None when unknown or vanished."""
        execution = self.executions.get(execution_id)
        if execution is None:
            return None
        now = self.clock()
        self.sync(now)
        self._settle(execution, now)
        return execution

    def all(self) -> Iterator[Execution]:
        """Yield every execution, oldest first, advanced to now."""
        now = self.clock()
        self.sync(now)
        for execution in list(self.executions.values()):
            self._settle(execution, now)
            yield execution

    def remove(self, execution_id: str) -> None:
        """Forget an execution, as if the server lost it; its queue place or slot is freed."""
        execution = self.executions.pop(execution_id, None)
        if execution is None:
            return
        self._by_callback.pop(execution.callback_id, None)
        if execution in self._queue:
            self._queue.remove(execution)
        if execution_id in self._holding:
            self._holding.discard(execution_id)
            self._free_slot()

    def queued(self) -> list[Execution]:
        """Return the executions waiting for a slot, first in line first."""
        return list(self._queue)

    def find_by_callback(self, callback_id: str) -> Execution | None:
        """Return the execution whose waiting step ``callback_id`` resumes, advanced to now."""
        execution = self._by_callback.get(callback_id)
        return self.get(execution.id) if execution is not None else None

    def cancel(self, execution: Execution) -> None:
        """Cancel a queued or unfinished execution; ended ones stay as they are."""
        now = self.clock()
        if execution.terminal:
            return
        if execution.status == "Queued":
            self._queue.remove(execution)
        execution.end(now, "Canceled")
        self.sync(now)

    def resume(self, execution: Execution) -> None:
        """Resume a paused execution now."""
        execution.resume(self.clock())

    def sync(self, now: float) -> None:
        """Advance slot holders to ``now`` and start queued executions in freed slots."""
        if self.project.capacity is None:
            return

        released: list[float] = []
        for execution_id in list(self._holding):
            holder = self.executions[execution_id]
            self._settle(holder, now)
            if holder.terminal:
                self._holding.discard(execution_id)
                heapq.heappush(released, holder.ended_at or now)

        while self._queue and released:
            at = heapq.heappop(released)
            waiting = self._queue.popleft()
            waiting.start(at)
            self._settle(waiting, now)
            if waiting.terminal:
                heapq.heappush(released, waiting.ended_at or now)
            else:
                self._holding.add(waiting.id)

    def _free_slot(self) -> None:
        now = self.clock()
        if self._queue:
            waiting = self._queue.popleft()
            waiting.start(now)
            self._holding.add(waiting.id)
            self._settle(waiting, now)
        self.sync(now)

    def next_slot_time(self) -> float | None:
        """Return the earliest clock time a slot holder changes on its own, or None."""
        now = self.clock()
        times = [self.executions[i].next_change(now) for i in self._holding]
        known = [t for t in times if t is not None]
        return min(known) if known else None

    def _settle(self, execution: Execution, now: float) -> None:
        execution.advance(now)
        if execution.terminal and execution.model is None:
            execution.model = self._final_model(execution)

    def _final_model(self, execution: Execution) -> dict[str, Any]:
        model: dict[str, Any] = dict(execution.answers)
        if execution.status not in {"Success", "Warning"}:
            return model

        for index, spec in enumerate(execution.flow.documents):
            stored = self._make_document(execution, spec)
            reference = {"id": stored.id, "displayName": spec.name, "type": "document"}
            model[self.new_id()] = _nest(index, reference)
        return model

    def _make_document(self, execution: Execution, spec: DocumentSpec) -> StoredDocument:
        title = f"{execution.flow.display_name}: {spec.name}"
        content = documents.render(spec.content_type, title, _input_lines(execution))
        stored = StoredDocument(
            id=self.new_id(),
            spec=spec,
            execution_id=execution.id,
            created_at=self.wall_time(execution.ended_at or self.clock()),
            content=content,
        )
        self.documents[stored.id] = stored
        return stored


def _nest(index: int, reference: dict[str, Any]) -> Any:
    """Place a document reference at a depth and under a property name that vary with ``index``.

    Real flows nest documents under block ids at any depth, so clients must find
    them by ``type: document`` rather than by a property name.
    """
    shape = index % 4
    if shape == 0:
        return {"document": reference}
    if shape == 1:
        return {"output": {"generated": reference}}
    if shape == 2:
        return {"files": [reference]}
    return reference


def _input_lines(execution: Execution) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = [("Flow", execution.flow.display_name)]
    start_input = execution.input
    if start_input.xml is not None:
        lines += leaf_values(start_input.xml)
    if start_input.plugin is not None:
        lines.append(("Entity", str(start_input.plugin.get("entity", ""))))
        lines += [("Record", str(record)) for record in start_input.plugin.get("id", [])]
    lines += [(key, str(value)) for key, value in execution.answers.items()]
    return lines
