"""Parse durations as project files write them: seconds, or ``200ms``, ``2s``, ``1.5m``, ``1h``."""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_SECONDS_PER_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: float | str) -> float:
    """Return ``value`` in seconds; raise ValueError when it is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, (int, float)):
        return float(value)

    match = _PATTERN.match(value.strip())
    if match is None:
        raise ValueError(f"invalid duration {value!r} (expected e.g. 200ms, 2s, 1.5m or 1h)")
    number, unit = match.groups()
    return float(number) * _SECONDS_PER_UNIT[unit]
