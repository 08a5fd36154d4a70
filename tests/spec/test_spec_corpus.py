"""The bad-input corpus: each file in tests/corpus holds one mistake.

Its first line names the diagnostic it must produce:
``# expect: [FILE:]LINE[:COLUMN]: message fragment``, where FILE (relative to
the corpus folder) is given when the problem is in a referenced file.
"""

import re
from pathlib import Path

import pytest
from conftest import ENVIRON

from flowspec.spec import check_job_files

CORPUS = Path(__file__).parent.parent / "corpus"
_EXPECT = re.compile(
    r"# expect: (?:(?P<file>[^:]*[./][^:]*):)?(?P<line>\d+)(?::(?P<column>\d+))?: (?P<text>.+)"
)


def expectation(path: Path) -> tuple[Path, int, int | None, str]:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    match = _EXPECT.fullmatch(first_line)
    assert match, f"{path.name}: first line must be '# expect: LINE:COL: fragment'"
    file = CORPUS / match["file"] if match["file"] else path
    column = int(match["column"]) if match["column"] else None
    return file, int(match["line"]), column, match["text"]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda path: path.stem)
def test_corpus_file_gives_its_diagnostic(path: Path) -> None:
    file, line, column, text = expectation(path)
    [check] = check_job_files([path], environ=ENVIRON)
    found = [
        (d.location.file, d.location.line, d.location.column, d.message) for d in check.diagnostics
    ]
    assert any(
        (f, ln, col) == (str(file), line, column) and text in message
        for f, ln, col, message in found
    ), found


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda path: path.stem)
def test_corpus_diagnostics_are_located_and_secret_free(path: Path) -> None:
    [check] = check_job_files([path], environ=ENVIRON)
    assert check.job is None
    for diagnostic in check.diagnostics:
        assert diagnostic.location.line is not None
        assert ENVIRON["API_KEY"] not in str(diagnostic)
