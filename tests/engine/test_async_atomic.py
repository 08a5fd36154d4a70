"""``async_atomic_writer``: the document writer whose fsync and rename leave the event loop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from flowspec.atomic import async_atomic_writer


async def test_replaces_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "letter.pdf"

    async with async_atomic_writer(target) as stream:
        stream.write(b"%PDF-1.4 ")
        stream.write(b"body")

    assert target.read_bytes() == b"%PDF-1.4 body"
    assert [path.name for path in target.parent.iterdir()] == ["letter.pdf"]


async def test_error_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")

    async def write_half() -> None:
        async with async_atomic_writer(target) as stream:
            stream.write(b"half")
            raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        await write_half()

    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["letter.pdf"]


async def test_keeps_replaced_permissions(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)

    async with async_atomic_writer(target) as stream:
        stream.write(b"new")

    assert target.stat().st_mode & 0o777 == 0o640


async def test_cancel_during_commit_finishes(tmp_path: Path) -> None:
    target = tmp_path / "letter.pdf"
    entered = asyncio.Event()

    async def write() -> None:
        async with async_atomic_writer(target) as stream:
            stream.write(b"whole")
            # The task next yields in the commit, where the test cancels it.
            entered.set()

    task = asyncio.create_task(write())
    await entered.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    for _ in range(100):
        if target.exists():
            break
        await asyncio.sleep(0.01)

    assert target.read_bytes() == b"whole"
    assert [path.name for path in tmp_path.iterdir()] == ["letter.pdf"]
