"""Planning: mode resolution, input expansion and ordering, from checked job files to runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flowspec.spec.model import Entry, JobFile, Mode


def run_id(job_file: Path, entry_name: str, input_file: Path | None) -> str:
    """Return a stable id for a run: the same job file, entry and input give the same id.

    Paths are hashed as given (relative to the working folder when the user
    named them so), so ids survive a move of the whole checkout.
    """
    key = f"{job_file.as_posix()}\0{entry_name}\0{input_file.as_posix() if input_file else ''}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


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
