"""Planning: mode resolution, input expansion and ordering, from checked job files to runs.

Planning is pure: it reads the checked model and never touches the network or
the XML files themselves (the checks already did).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flowspec.diagnostics import Diagnostic
from flowspec.errors import SpecError
from flowspec.spec.model import Entry, JobFile, Mode, PluginInput, XmlInput

EXECUTIONS_PATH = "/api/v1/flows/executions"
START_PATH = "/api/v1/flows/executions/start"
_GLOB_CHARACTERS = frozenset("*?[")


def run_id(job_file: Path, entry_name: str, input_file: Path | None) -> str:
    """Return a stable id for a run: the same job file, entry and input give the same id.

    Paths are hashed relative to the current working folder after resolving, so
    ``suite.yaml``, ``./suite.yaml`` and ``/checkout/suite.yaml`` give one id, and
    ids survive a move of the whole checkout when every shard starts from its root.
    """
    input_key = _path_key(input_file) if input_file is not None else ""
    key = f"{_path_key(job_file)}\0{entry_name}\0{input_key}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _path_key(path: Path) -> str:
    resolved = path.resolve()
    try:
        relative = os.path.relpath(resolved)
    except ValueError:
        # Windows: a path on another drive has no relative form.
        return resolved.as_posix()
    return Path(relative).as_posix()


@dataclass(frozen=True)
class Run:
    """One execution to start: an entry of a job file with one input file (or none).

    ``name`` is ``file-stem/entry-name`` or ``file-stem/entry-name[input]`` for
    runs expanded from a glob. ``after`` holds the ids of the runs this one waits for.
    """

    id: str
    name: str
    job: JobFile
    entry: Entry
    mode: Mode
    method: str
    path: str
    query: dict[str, str]
    input_file: Path | None
    after: tuple[str, ...] = ()
    input_label: str | None = None

    @property
    def endpoint(self) -> str:
        """The request target: path and query string, e.g. ``/api/v1/flows/executions?flowId=F``."""
        query = "&".join(f"{key}={value}" for key, value in self.query.items())
        return f"{self.path}?{query}" if query else self.path


def resolve_mode(entry: Entry) -> Mode:
    """Return how ``entry`` must be started: its explicit ``mode``, else one implied by its input.

    ``skip_user_input`` is checked before the input kind because the ``start``
    endpoint accepts every kind of body, while the other endpoints would
    silently ignore the wish to skip forms.
    """
    if entry.mode is not None:
        return entry.mode
    if entry.skip_user_input:
        return "start"
    if isinstance(entry.input, PluginInput):
        return "plugin"
    if isinstance(entry.input, XmlInput):
        return "xml"
    return "none"


def start_request(entry: Entry, mode: Mode) -> tuple[str, str, dict[str, str]]:
    """Return the method, path and query that start ``entry`` in ``mode``."""
    query = {"flowId": entry.flow}
    if isinstance(entry.input, PluginInput) and mode in ("plugin", "start"):
        query["datasetId"] = entry.input.dataset
    path = START_PATH if mode == "start" else EXECUTIONS_PATH
    return "POST", path, query


def plan_runs(job_files: Sequence[JobFile]) -> list[Run]:
    """Expand checked job files into runs, in file order, with ``after`` resolved to run ids.

    Raises ``SpecError`` when an ``after`` names no entry of the same file or
    when the ``after`` links form a cycle, since such runs could never start.
    """
    runs: list[Run] = []
    for job in job_files:
        runs.extend(_plan_job_file(job))
    return runs


def _plan_job_file(job: JobFile) -> list[Run]:
    unresolved = [run for entry in job.entries for run in _expand_entry(job, entry)]
    ids_by_entry: dict[str, list[str]] = {}
    for run in unresolved:
        ids_by_entry.setdefault(run.entry.name, []).append(run.id)

    problems: list[Diagnostic] = []
    runs: list[Run] = []
    for run in unresolved:
        after: list[str] = []
        for name in run.entry.after:
            if name not in ids_by_entry:
                problems.append(_unknown_after(job, run.entry, name))
                continue
            after.extend(ids_by_entry[name])
        runs.append(replace(run, after=tuple(after)))
    problems.extend(_cycle_problems(job))
    if problems:
        raise SpecError(sorted(set(problems)))
    return runs


def _expand_entry(job: JobFile, entry: Entry) -> list[Run]:
    mode = resolve_mode(entry)
    method, path, query = start_request(entry, mode)
    inputs: list[tuple[Path | None, str | None]] = [(None, None)]
    if isinstance(entry.input, XmlInput):
        base = glob_base(job, entry.input)
        inputs = [(file, input_label(file, base)) for file in entry.input.files]

    runs = []
    for file, label in inputs:
        name = f"{job.path.stem}/{entry.name}" + (f"[{label}]" if label else "")
        runs.append(
            Run(
                id=run_id(job.path, entry.name, file),
                name=name,
                job=job,
                entry=entry,
                mode=mode,
                method=method,
                path=path,
                query=query,
                input_file=file,
                input_label=label,
            )
        )
    return runs


def glob_base(job: JobFile, xml: XmlInput) -> Path:
    """Return the folder a glob pattern starts from: its leading parts without glob characters."""
    pattern = Path(xml.pattern)
    fixed: list[str] = []
    for part in pattern.parts[:-1]:
        if _GLOB_CHARACTERS & set(part):
            break
        fixed.append(part)
    base = Path(*fixed) if fixed else Path()
    return base if base.is_absolute() else job.path.parent / base


def input_label(file: Path, base: Path) -> str:
    """Return ``file`` relative to ``base`` in POSIX form, or its name when it lies elsewhere."""
    try:
        return file.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return file.name


def _unknown_after(job: JobFile, entry: Entry, name: str) -> Diagnostic:
    known = ", ".join(other.name for other in job.entries if other.name != entry.name)
    return Diagnostic(
        entry.location,
        f"entry {entry.name!r} waits for {name!r}, which is not an entry of this file",
        hint=f"use one of: {known}" if known else "remove the 'after' list",
    )


def _cycle_problems(job: JobFile) -> list[Diagnostic]:
    """Return one diagnostic per entry that waits for itself through a chain of ``after`` links."""
    after = {entry.name: entry.after for entry in job.entries}
    problems: list[Diagnostic] = []
    for entry in job.entries:
        chain = _find_cycle(entry.name, after)
        if chain:
            problems.append(
                Diagnostic(
                    entry.location,
                    f"entry {entry.name!r} waits for itself: {' -> '.join(chain)}",
                    hint="remove one of the 'after' links in this chain",
                )
            )
    return problems


def _find_cycle(start: str, after: dict[str, tuple[str, ...]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, chain = stack.pop()
        for waited in after.get(name, ()):
            if waited == start:
                return [*chain, start]
            if waited not in seen:
                seen.add(waited)
                stack.append((waited, [*chain, waited]))
    return None


def describe_input(run: Run) -> str | None:
    """Return a short description of what ``run`` sends: the XML file or the plug-in records."""
    if run.input_file is not None:
        return run.input_file.as_posix()
    if isinstance(run.entry.input, PluginInput):
        plugin = run.entry.input
        return f"{plugin.entity} {', '.join(plugin.ids)} as {plugin.user}"
    return None


def plan_as_json(runs: Iterable[Run]) -> dict[str, Any]:
    """Return the runs as the JSON document that ``flowspec plan --format json`` prints.

    Shape: ``{"version": 1, "runs": [{"id", "name", "job_file", "line", "entry",
    "flow", "mode", "method", "endpoint", "input", "order", "after"}]}``, where
    ``order`` is the job file's order and ``after`` lists run ids.
    """
    return {
        "version": 1,
        "runs": [
            {
                "id": run.id,
                "name": run.name,
                "job_file": run.job.path.as_posix(),
                "line": run.entry.location.line,
                "entry": run.entry.name,
                "flow": run.entry.flow,
                "mode": run.mode,
                "method": run.method,
                "endpoint": run.endpoint,
                "input": describe_input(run),
                "order": run.job.run.order,
                "after": list(run.after),
            }
            for run in runs
        ],
    }
