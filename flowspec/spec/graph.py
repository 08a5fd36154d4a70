"""Checks between entries: unique names, ``after`` naming real entries, no cycles."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from flowspec.diagnostics import Diagnostic
from flowspec.spec.yamlload import MarkedDocument


def duplicate_name_diagnostics(document: MarkedDocument, flows: Any) -> list[Diagnostic]:
    """Return one diagnostic per entry whose name an earlier entry already has."""
    first_line: dict[str, int | None] = {}
    diagnostics: list[Diagnostic] = []
    for index, name in _names(flows):
        location = document.locate(f"/flows/{index}/name")
        if name in first_line:
            message = f"duplicate entry name '{name}' (first used on line {first_line[name]})"
            diagnostics.append(
                Diagnostic(location, message, "entry names must be unique in a file")
            )
        else:
            first_line[name] = location.line
    return diagnostics


def after_diagnostics(document: MarkedDocument, flows: Any) -> list[Diagnostic]:
    """Return diagnostics for ``after`` names that are no entry, and for each cycle of waits."""
    names = {name for _, name in _names(flows)}
    waits: dict[str, list[str]] = {}
    where: dict[str, int] = {}
    diagnostics: list[Diagnostic] = []
    for index, name in _names(flows):
        where.setdefault(name, index)
        for position, other in _after(flows[index]):
            if other in names:
                waits.setdefault(name, []).append(other)
                continue
            pointer = f"/flows/{index}/after" + ("" if position is None else f"/{position}")
            close = difflib.get_close_matches(other, sorted(names), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else _entry_names_hint(names)
            message = f"'after' names '{other}', which is no entry of this file"
            diagnostics.append(Diagnostic(document.locate(pointer), message, hint))

    for cycle in _cycles(waits):
        location = document.locate(f"/flows/{where[cycle[0]]}/after")
        message = f"entries wait for each other in a cycle: {' -> '.join(cycle)}"
        diagnostics.append(Diagnostic(location, message, "remove one 'after' link of the cycle"))
    return diagnostics


def _names(flows: Any) -> list[tuple[int, str]]:
    if not isinstance(flows, list):
        return []
    return [
        (index, entry["name"])
        for index, entry in enumerate(flows)
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    ]


def _after(entry: dict[str, Any]) -> list[tuple[int | None, str]]:
    value = entry.get("after")
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, list):
        return [(position, item) for position, item in enumerate(value) if isinstance(item, str)]
    return []


def _cycles(waits: dict[str, list[str]]) -> list[list[str]]:
    """Return one cycle per group of entries that wait for each other, each as a closed path.

    Depth-first search without recursion: a name met again while it is still on
    the current path closes a cycle. Each link is followed once, so each cycle
    is reported once, however many entries lead into it.
    """
    cycles: list[list[str]] = []
    finished: set[str] = set()
    for start in waits:
        if start in finished:
            continue
        path: list[str] = [start]
        on_path = {start}
        iterators = [iter(waits.get(start, ()))]
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                done = path.pop()
                on_path.discard(done)
                finished.add(done)
                iterators.pop()
                continue
            if following in on_path:
                cycles.append([*path[path.index(following) :], following])
            elif following not in finished:
                path.append(following)
                on_path.add(following)
                iterators.append(iter(waits.get(following, ())))
    return cycles


def _entry_names_hint(names: Iterable[str]) -> str:
    listed = sorted(names)
    shown = ", ".join(listed[:10]) + (", ..." if len(listed) > 10 else "")
    return f"name one of the entries: {shown}"
