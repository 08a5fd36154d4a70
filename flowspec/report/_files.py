"""Where report files go: checking a target before a run, and writing it afterwards.

A run can take hours, so a report path that cannot be written is rejected
before the first run starts. A report path may name a pipe, a device such as
``/dev/stdout`` or a symbolic link. Such a path is written through, so it is
never replaced by a regular file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flowspec.atomic import write_atomic
from flowspec.errors import UsageError


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

    folder = _nearest_existing(Path(os.path.abspath(path)).parent)
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

    A symbolic link stays a link, and the file it points to is replaced.
    """
    if _is_special(path):
        with path.open("wb") as stream:
            stream.write(data)
        return

    write_atomic(Path(os.path.realpath(path)), data)


def _is_special(path: Path) -> bool:
    """Return whether ``path`` exists and, after following links, is neither file nor folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
