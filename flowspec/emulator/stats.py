"""Request counts the emulator keeps, served at ``GET /__emulator/stats``.

Tests read them to prove what a client did: how often it polled, whether it
retried a start, and whether it created two executions from one request.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from typing import Any


class Stats:
    """Counts requests per endpoint and per execution, and identical starts."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.per_execution: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._starts: Counter[tuple[str, str, str]] = Counter()

    def count(self, endpoint: str, execution_id: str | None = None) -> None:
        """Count one request to ``endpoint``, also under ``execution_id`` when it names one."""
        self.requests[endpoint] += 1
        if execution_id is not None:
            self.per_execution[execution_id][endpoint] += 1

    def attribute(self, execution_id: str, endpoint: str) -> None:
        """Count a request already counted under ``endpoint`` also under ``execution_id``."""
        self.per_execution[execution_id][endpoint] += 1

    def count_start(self, flow_id: str, mode: str, body: bytes) -> None:
        """Count an accepted start by flow, mode and a digest of its body."""
        self._starts[flow_id, mode, hashlib.sha256(body).hexdigest()] += 1

    def snapshot(self, faults: Counter[str]) -> dict[str, Any]:
        """Return the counts as JSON-ready data."""
        duplicates = [
            {"flowId": flow_id, "mode": mode, "bodySha256": digest, "count": count}
            for (flow_id, mode, digest), count in sorted(self._starts.items())
            if count > 1
        ]
        return {
            "requests": dict(sorted(self.requests.items())),
            "executions": {key: dict(value) for key, value in self.per_execution.items()},
            "starts": sum(self._starts.values()),
            "duplicate_starts": duplicates,
            "faults": dict(sorted(faults.items())),
        }
