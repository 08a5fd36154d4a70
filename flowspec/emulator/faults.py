"""Faults injected on purpose: which requests get them, decided reproducibly from a seed.

Each fault kind is a ``FaultRule``: it matches requests by endpoint kind, then
fires for the first ``first`` matching requests of each endpoint kind and, after
those, with ``probability``. A rule with neither fires for every matching request.
Every rule draws from its own ``random.Random`` seeded from the emulator seed, so
one request order always gives the same faults.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from flowspec.emulator.durations import parse_duration

EndpointKind = Literal[
    "start",
    "progress",
    "answer",
    "details",
    "documents",
    "auth",
    "flows",
    "datasets",
    "executions",
    "callback",
    "cancel",
    "any",
]

FAULT_KINDS = (
    "rate_limit",
    "server_error",
    "latency",
    "drop_connection",
    "hang_start",
    "vanish",
    "token_expiry",
)

DEFAULT_HANG = 30.0


@dataclass(frozen=True)
class FaultRule:
    """One fault kind: which endpoints it targets, when it fires, and its parameters."""

    kind: str
    endpoints: frozenset[str] = frozenset({"any"})
    probability: float = 0.0
    first: int = 0
    retry_after: int = 1
    status: int = 503
    delay: float = 0.0
    hang: float = DEFAULT_HANG
    after_polls: int = 0
    lifetime: float = 0.0

    def targets(self, endpoint: str) -> bool:
        """Tell whether requests of the endpoint kind ``endpoint`` can get this fault."""
        return "any" in self.endpoints or endpoint in self.endpoints


@dataclass(frozen=True)
class FaultSettings:
    """All fault rules of a project, by kind; an empty mapping injects nothing."""

    rules: Mapping[str, FaultRule] = field(default_factory=dict)

    def merged(self, other: FaultSettings) -> FaultSettings:
        """Return these settings with the rules of ``other`` replacing those of the same kind."""
        return FaultSettings({**self.rules, **other.rules})


def parse_faults(data: Mapping[str, Any]) -> FaultSettings:
    """Build fault settings from a schema-checked ``faults`` mapping."""
    rules: dict[str, FaultRule] = {}
    for kind, options in data.items():
        rules[kind] = _parse_rule(kind, options)
    return FaultSettings(rules)


def _parse_rule(kind: str, options: Mapping[str, Any]) -> FaultRule:
    endpoints = frozenset(options.get("endpoints", ["start"] if kind == "hang_start" else ["any"]))
    first = int(options.get("first", 0))
    probability = float(options.get("probability", 0.0))
    if "first" not in options and "probability" not in options:
        probability = 1.0  # with neither selector, the fault applies to every matching request
    return FaultRule(
        kind=kind,
        endpoints=endpoints,
        probability=probability,
        first=first,
        retry_after=int(options.get("retry_after", 1)),
        status=int(options.get("status", 503)),
        delay=parse_duration(options.get("delay", 0)),
        hang=parse_duration(options.get("hang", DEFAULT_HANG)),
        after_polls=int(options.get("after_polls", 0)),
        lifetime=parse_duration(options.get("lifetime", 0)),
    )


class FaultInjector:
    """Decide, request by request, which faults fire; also counts the faults fired."""

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self._rules = settings.rules
        self._random = {kind: random.Random(f"{seed}:{kind}") for kind in sorted(settings.rules)}
        self._seen: Counter[tuple[str, str]] = Counter()
        self.fired: Counter[str] = Counter()

    def rule(self, kind: str) -> FaultRule | None:
        """Return the rule of ``kind``, or None when that fault is not configured."""
        return self._rules.get(kind)

    def fires(self, kind: str, endpoint: str = "any") -> FaultRule | None:
        """Return the rule of ``kind`` when it fires for this request to ``endpoint``, else None."""
        rule = self._rules.get(kind)
        if rule is None or not rule.targets(endpoint):
            return None

        self._seen[kind, endpoint] += 1
        if self._seen[kind, endpoint] <= rule.first or self._draw(kind, rule.probability):
            self.fired[kind] += 1
            return rule
        return None

    def _draw(self, kind: str, probability: float) -> bool:
        return probability > 0 and self._random[kind].random() < probability
