"""The filter tree of ``POST /api/v1/flows/executions/filter``.

``{"group": {"type": "and"|"or", "nodes": [node, ...]}}`` where each node is a
group or ``{"condition": {"key": K, "operator": "equals"|"contains", "values": [...]}}``;
a condition holds when the execution's value matches any of ``values``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowspec.emulator.errors import bad_request
from flowspec.emulator.executions import Execution

_KEYS: dict[str, Callable[[Execution], str]] = {
    "displayName": lambda execution: execution.flow.display_name,
    "status": lambda execution: execution.status,
    "flowId": lambda execution: execution.flow.id,
}
_OPERATORS = ("equals", "contains")


@dataclass(frozen=True)
class Condition:
    """One test on an execution's value."""

    key: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """Conditions and groups joined with ``and`` or ``or``."""

    type: str
    nodes: tuple[Condition | Group, ...]


def parse_filter(body: Any) -> Group:
    """Parse a filter body; raise 400 naming the JSON pointer of the first invalid part."""
    if not isinstance(body, dict) or "group" not in body:
        raise bad_request('invalid filter: expected {"group": {"type": "and", "nodes": [...]}}')
    return _group(body["group"], "/group")


def _group(data: Any, pointer: str) -> Group:
    if not isinstance(data, dict) or data.get("type") not in {"and", "or"}:
        raise bad_request(f"invalid filter at {pointer}: expected a group with type 'and' or 'or'")
    nodes = data.get("nodes", [])
    if not isinstance(nodes, list):
        raise bad_request(f"invalid filter at {pointer}/nodes: expected a list")
    return Group(data["type"], tuple(_node(n, f"{pointer}/nodes/{i}") for i, n in enumerate(nodes)))


def _node(data: Any, pointer: str) -> Condition | Group:
    if isinstance(data, dict) and "group" in data:
        return _group(data["group"], f"{pointer}/group")
    if not isinstance(data, dict) or not isinstance(data.get("condition"), dict):
        raise bad_request(f"invalid filter at {pointer}: expected a 'group' or a 'condition'")
    return _condition(data["condition"], f"{pointer}/condition")


def _condition(data: dict[str, Any], pointer: str) -> Condition:
    key, operator, values = data.get("key"), data.get("operator"), data.get("values")
    if key not in _KEYS:
        raise bad_request(f"invalid filter at {pointer}/key: expected one of {', '.join(_KEYS)}")
    if operator not in _OPERATORS:
        raise bad_request(f"invalid filter at {pointer}/operator: expected equals or contains")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request(f"invalid filter at {pointer}/values: expected a list of strings")
    return Condition(key, operator, tuple(values))


def matches(node: Condition | Group, execution: Execution) -> bool:
    """Tell whether ``execution`` satisfies the filter ``node``."""
    if isinstance(node, Group):
        results = (matches(child, execution) for child in node.nodes)
        return all(results) if node.type == "and" else any(results)

    actual = _KEYS[node.key](execution)
    if node.operator == "equals":
        return actual in node.values
    return any(value.lower() in actual.lower() for value in node.values)
