"""Filters of list endpoints: ``filter=key:text,...`` and the tree of ``.../filter`` bodies.

The tree is ``{"group": {"type": "and"|"or", "nodes": [node, ...]}}`` where each
node is a group or ``{"condition": {"key": K, "operator": OP, "values": [...]}}``.
A condition holds when the record's value matches any of ``values``. ``equals``
(or ``in``) and ``contains`` compare text, and ``contains`` ignores case. The ordering operators
compare ISO 8601 times, cut to the length of the given value, so
``lessThanOrEqualTo 2019-01-01`` includes the whole of that day.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flowspec.emulator.errors import bad_request

Record = Mapping[str, str]

_ORDERING: dict[str, Callable[[str, str], bool]] = {
    "lessThan": lambda actual, value: actual < value,
    "lessThanOrEqualTo": lambda actual, value: actual <= value,
    "greaterThan": lambda actual, value: actual > value,
    "greaterThanOrEqualTo": lambda actual, value: actual >= value,
}
OPERATORS = ("equals", "in", "contains", *_ORDERING)

# A leading part of an ISO 8601 UTC time as createdAt writes it
# (2019-01-01T09:30:00.000Z): a year, a day or anything longer.
_TIME_PREFIX = re.compile(r"\d{4}(-\d\d(-\d\d(T\d\d(:\d\d(:\d\d(\.\d{1,3})?Z?)?)?)?)?)?")


@dataclass(frozen=True)
class Condition:
    """One test on a record's value."""

    key: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Conditions and groups joined with ``and`` or ``or``."""

    type: str
    nodes: tuple[Condition | Group, ...]


def parse_query_filter(text: str, keys: Sequence[str]) -> list[Condition]:
    """Parse ``filter=key:text,key:text`` into ``contains`` conditions; raise 400 if invalid."""
    conditions: list[Condition] = []
    for part in filter(None, text.split(",")):
        key, separator, value = part.partition(":")
        if not separator or key not in keys:
            expected = ", ".join(f"{k}:TEXT" for k in keys)
            raise bad_request(f"invalid filter {part!r}: expected {expected}, separated by commas")
        conditions.append(Condition(key, "contains", (value,)))
    return conditions


def parse_filter(body: Any, keys: Sequence[str]) -> Group:
    """Parse a filter body; raise 400 naming the JSON pointer of the first invalid part."""
    if not isinstance(body, dict) or "group" not in body:
        raise bad_request('invalid filter: expected {"group": {"type": "and", "nodes": [...]}}')
    return _group(body["group"], "/group", keys)


def _group(data: Any, pointer: str, keys: Sequence[str]) -> Group:
    if not isinstance(data, dict) or data.get("type") not in ("and", "or"):
        raise bad_request(f"invalid filter at {pointer}: expected a group with type 'and' or 'or'")
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise bad_request(f"invalid filter at {pointer}/nodes: expected a list")
    parsed = (_node(node, f"{pointer}/nodes/{i}", keys) for i, node in enumerate(nodes))
    return Group(data["type"], tuple(parsed))


def _node(data: Any, pointer: str, keys: Sequence[str]) -> Condition | Group:
    if isinstance(data, dict) and "group" in data:
        return _group(data["group"], f"{pointer}/group", keys)
    if not isinstance(data, dict) or not isinstance(data.get("condition"), dict):
        raise bad_request(f"invalid filter at {pointer}: expected a 'group' or a 'condition'")
    return _condition(data["condition"], f"{pointer}/condition", keys)


def _condition(data: dict[str, Any], pointer: str, keys: Sequence[str]) -> Condition:
    key, operator, values = data.get("key"), data.get("operator"), data.get("values")
    if not isinstance(key, str) or key not in keys:
        raise bad_request(f"invalid filter at {pointer}/key: expected one of {', '.join(keys)}")
    if not isinstance(operator, str) or operator not in OPERATORS:
        expected = ", ".join(OPERATORS)
        raise bad_request(f"invalid filter at {pointer}/operator: expected one of {expected}")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request(f"invalid filter at {pointer}/values: expected a list of strings")
    if operator in _ORDERING:
        for index, value in enumerate(values):
            if not _TIME_PREFIX.fullmatch(value):
                raise bad_request(
                    f"invalid filter at {pointer}/values/{index}: {operator} compares times, "
                    f"so {value!r} must be an ISO 8601 time such as 2019-01-01 or "
                    "2019-01-01T09:30:00Z"
                )
    return Condition(key, operator, tuple(values))


def matches(node: Condition | Group, record: Record) -> bool:
    """Tell whether ``record`` (key to text) satisfies the filter ``node``."""
    if isinstance(node, Group):
        results = (matches(child, record) for child in node.nodes)
        return all(results) if node.type == "and" else any(results)

    actual = record[node.key]
    if node.operator in {"equals", "in"}:
        return actual in node.values
    if node.operator == "contains":
        return any(value.lower() in actual.lower() for value in node.values)
    compare = _ORDERING[node.operator]
    return any(compare(actual[: len(value)], value) for value in node.values)


def matches_all(conditions: Sequence[Condition], record: Record) -> bool:
    """Tell whether ``record`` satisfies every condition."""
    return all(matches(condition, record) for condition in conditions)
