"""Atomic file writes: a reader sees the old file or the whole new one, never a part.

The data goes to a temporary file in the target's folder (so the final
``os.replace`` stays on one file system), is flushed and fsynced, then renamed
over the target. On any error the temporary file is removed.

``mkstemp`` creates the temporary file readable by its owner only, so the
file gets the permissions that ``open`` would have given it (or those of the
file it replaces) before the rename.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
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
            os.chmod(temporary, _permissions_for(path))
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.asynccontextmanager
async def async_atomic_writer(path: Path) -> AsyncIterator[BinaryIO]:
    """Open a stream like ``atomic_writer``, but flush, fsync and rename in a worker thread.

    An fsync took about 1 ms on the runner benchmark's machine (see
    benchmarks/RESULTS.md), time in which the event loop would serve no other
    task. Writes still run on the loop, because they only copy to the page
    cache. Once the block has ended, the worker thread owns the temporary file,
    so cancelling the caller neither stops the rename nor leaves the temporary
    file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(temporary_name)
    stream = os.fdopen(descriptor, "wb")
    try:
        os.chmod(temporary, _permissions_for(path))
        yield stream
    except BaseException:
        stream.close()
        temporary.unlink(missing_ok=True)
        raise
    await asyncio.to_thread(_commit, stream, temporary, path)


def _commit(stream: BinaryIO, temporary: Path, path: Path) -> None:
    try:
        with stream:
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _permissions_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    # The umask can only be read by setting it. Reading it once keeps short the moment
    # in which another thread could create a file under the temporary umask.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one atomic step."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path) as stream:
        stream.write(payload)


def nearest_existing(path: Path) -> Path:
    """Return ``path`` or its closest ancestor that exists: where new folders would be made."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
