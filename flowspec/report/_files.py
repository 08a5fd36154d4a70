"""Where report files go: checking a target before a run, and writing it afterwards.

A run can take hours, so a report path that cannot be written is rejected
before the first run starts. A report path may name a pipe, a device such as
``/dev/stdout`` or a symbolic link. Such a path is written through, so it is
never replaced by a regular file.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

from flowspec.atomic import nearest_existing, write_atomic
from flowspec.errors import UsageError

_DESCRIPTOR_NAME = re.compile(
    r"/dev/(?P<name>stdout|stderr)|(/dev/fd|/proc/self/fd)/(?P<number>\d+)"
)


def check_writable(path: Path) -> None:
    """Raise ``UsageError`` when a report could not be written at ``path``.

    The folders that do not exist yet are created when the report is
    written, so the check looks at the nearest folder that exists.
    """
    if path.is_dir():
        raise UsageError(f"report path {path} is a folder; give a file path")
    if _is_special(path):
        if not os.access(path, os.W_OK):
            raise UsageError(f"report path {path} is not writable; give another path")
        return

    folder = nearest_existing(Path(os.path.abspath(path)).parent)
    if not folder.is_dir():
        raise UsageError(
            f"report path {path} cannot be created because {folder} is a file, not a folder;"
            " give another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            f"report path {path} cannot be created because the folder {folder} is not writable;"
            " give another path or change the folder's permissions"
        )


def write_report_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: atomically for regular files, directly to a pipe or device.

    A symbolic link stays a link, and the file it points to is replaced. A
    name for one of the process's open descriptors (``/dev/stdout``) is
    written through that descriptor, because the shell may have redirected it
    to a regular file that already holds earlier output: opening the name
    again would truncate that file or write at the wrong offset.
    """
    descriptor = _open_descriptor(path)
    if descriptor is not None:
        _write_to_descriptor(descriptor, data)
        return
    if _is_special(path):
        with path.open("wb") as stream:
            stream.write(data)
        return

    write_atomic(Path(os.path.realpath(path)), data)


def _open_descriptor(path: Path) -> int | None:
    """Return the descriptor that ``/dev/stdout``, ``/dev/stderr`` or ``/dev/fd/N`` names."""
    match = _DESCRIPTOR_NAME.fullmatch(path.as_posix())
    if match is None:
        return None
    name = match.group("name")
    return {"stdout": 1, "stderr": 2}.get(name) or int(match.group("number"))


def _write_to_descriptor(descriptor: int, data: bytes) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # keep what Python buffered ahead of the report
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def _is_special(path: Path) -> bool:
    """Return whether ``path`` exists and, after following links, is neither file nor folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)
