from pathlib import Path

import pytest

from flowspec.atomic import atomic_writer, write_atomic


def test_write_atomic_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"


def test_write_atomic_creates_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "doc.pdf"
    write_atomic(target, b"%PDF")
    assert target.read_bytes() == b"%PDF"


def test_atomic_writer_keeps_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def write_then_fail() -> None:
        with atomic_writer(target) as stream:
            stream.write(b"partial")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
