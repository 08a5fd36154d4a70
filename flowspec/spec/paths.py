"""Files a job file references: resolved against its folder, and kept inside it.

A job file may come from a pull request, and the files it references are read
and sent to a server. So no reference may leave the job file's folder tree:
not with ``..``, an absolute path, or a symbolic link that points outside.
"""

from __future__ import annotations

import os
from pathlib import Path

_GLOB_CHARACTERS = frozenset("*?[")


class PathProblem(ValueError):
    """A referenced path that is missing, outside the job file's folder, or not a file."""


def is_glob(pattern: str) -> bool:
    """Return True when ``pattern`` contains glob characters."""
    return bool(_GLOB_CHARACTERS & set(pattern))


def resolve_file(job_dir: Path, relative: str) -> Path:
    """Return ``relative`` joined to ``job_dir`` (as given, not resolved) after checking it.

    Raises ``PathProblem`` when it is absolute, leaves ``job_dir`` once links
    are resolved, does not exist, or is not a regular file.
    """
    candidate = _joined(job_dir, relative)
    _check_inside(job_dir, candidate, relative)
    if not candidate.exists():
        raise PathProblem(f"file not found: {relative} (looked in {_shown(job_dir)})")
    if not candidate.is_file():
        raise PathProblem(f"not a file: {relative}")
    return candidate


def expand_glob(job_dir: Path, pattern: str) -> tuple[Path, ...]:
    """Return the files ``pattern`` matches under ``job_dir``, sorted; a plain path is one match.

    Raises ``PathProblem`` when nothing matches, when the pattern is absolute or
    climbs out with ``..``, or when a match lies outside ``job_dir``.
    """
    if not is_glob(pattern):
        return (resolve_file(job_dir, pattern),)

    _joined(job_dir, pattern)  # rejects absolute patterns and '..'
    try:
        matches = sorted(path for path in job_dir.glob(pattern) if path.is_file())
    except (OSError, ValueError, NotImplementedError) as exc:
        raise PathProblem(f"invalid glob pattern {pattern!r}: {exc}") from exc
    if not matches:
        raise PathProblem(f"no file matches {pattern} (looked in {_shown(job_dir)})")
    for match in matches:
        _check_inside(job_dir, match, match.relative_to(job_dir).as_posix())
    return tuple(matches)


def _joined(job_dir: Path, relative: str) -> Path:
    path = Path(relative)
    if path.is_absolute() or relative.startswith(("/", "\\")) or _has_drive(relative):
        raise PathProblem(
            f"{relative} is absolute; give a path relative to the referencing file's folder"
        )
    if ".." in path.parts:
        raise PathProblem(
            f"{relative} climbs out with '..'; keep it inside the referencing file's folder"
        )
    return job_dir / path


def _has_drive(relative: str) -> bool:
    return len(relative) > 1 and relative[1] == ":" and relative[0].isalpha()


def _check_inside(job_dir: Path, candidate: Path, label: str) -> None:
    root = job_dir.resolve()
    try:
        target = candidate.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop on Python < 3.13
        raise PathProblem(f"{label} cannot be resolved: {exc}") from exc
    if target != root and not target.is_relative_to(root):
        raise PathProblem(
            f"{label} leads outside the referencing file's folder (a symbolic link to {target}); "
            "keep referenced files inside it"
        )


def _shown(job_dir: Path) -> str:
    text = os.fspath(job_dir)
    return text if text not in ("", ".") else "the current folder"
