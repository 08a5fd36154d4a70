"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

The data goes to a temporary file in the target's folder (so the final
``os.replace`` stays on one file system), is flushed and fsynced, then renamed
over the target. On any error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces ``path`` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one atomic step."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path) as stream:
        stream.write(payload)
