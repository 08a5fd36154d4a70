from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_support import make_run, make_suite, report_validator, suite_results

from flowspec import __version__
from flowspec.errors import ExitCode, ReportError
from flowspec.report import REPORT_WRITERS, read_report
from flowspec.report.reading import is_valid_report
from flowspec.results import SuiteResult


def valid_report() -> dict[str, object]:
    data = REPORT_WRITERS["json"].render(make_suite(make_run("invoices/acme")))
    document: dict[str, object] = json.loads(data)
    return document


def read_error(path: Path) -> ReportError:
    with pytest.raises(ReportError) as caught:
        read_report(path)
    return caught.value


def test_read_report_missing_file(tmp_path: Path) -> None:
    error = read_error(tmp_path / "nope.json")

    assert error.exit_code == ExitCode.INVALID_INPUT
    assert (
        str(error.diagnostics[0])
        == f"{tmp_path / 'nope.json'}: error: report file not found; check the path"
    )


def test_read_report_invalid_json_located(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text('{\n  "format_version": 1,\n  "runs": [,]\n}', encoding="utf-8")

    location = read_error(path).diagnostics[0].location

    assert (location.line, location.column) == (3, 12)


def test_read_report_schema_error_has_pointer(tmp_path: Path) -> None:
    document = valid_report()
    document["runs"][0]["verdict"] = "green"  # type: ignore[index]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    diagnostic = read_error(path).diagnostics[0]

    assert diagnostic.location.pointer == "/runs/0/verdict"
    assert "'green' is not one of" in diagnostic.message


def test_read_report_newer_format_version(tmp_path: Path) -> None:
    document = valid_report()
    document["format_version"] = 2
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    diagnostic = read_error(path).diagnostics[0]

    assert "format_version 2 is newer" in diagnostic.message
    assert diagnostic.hint == "upgrade flowspec to read this report"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("NaN", id="nan"),
        pytest.param("Infinity", id="infinity"),
        pytest.param("-Infinity", id="minus-infinity"),
    ],
)
def test_read_report_rejects_non_json_numbers(tmp_path: Path, text: str) -> None:
    document = json.dumps(valid_report()).replace(
        '"total_seconds": 0.0', f'"total_seconds": {text}'
    )
    path = tmp_path / "report.json"
    path.write_text(document, encoding="utf-8")

    assert "is not a JSON number" in read_error(path).diagnostics[0].message


def test_read_report_rejects_bad_timestamp(tmp_path: Path) -> None:
    document = valid_report()
    document["started_at"] = "2026-13-45T99:00:00Z"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    diagnostic = read_error(path).diagnostics[0]

    assert diagnostic.location.pointer == "/started_at"
    assert diagnostic.message == (
        "invalid report: started_at '2026-13-45T99:00:00Z' is not a real time"
        " (month must be in 1..12)"
    )


def test_read_report_other_version_named_in_hint(tmp_path: Path) -> None:
    document = valid_report()
    document["flowspec_version"] = "9.0.0"
    document["retries"] = 3
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    diagnostic = read_error(path).diagnostics[0]

    assert diagnostic.location.pointer == "/"
    assert diagnostic.hint == (
        f"the report was written by flowspec 9.0.0 and this is flowspec {__version__};"
        " read it with the version that wrote it, or check that the file was not edited"
    )


def test_read_report_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("[1, 2]", encoding="utf-8")

    diagnostic = read_error(path).diagnostics[0]

    assert diagnostic.location.pointer == "/"
    assert "is not of type 'object'" in diagnostic.message


def test_read_report_many_errors_capped(tmp_path: Path) -> None:
    document = valid_report()
    document["runs"] = [{"id": number} for number in range(30)]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    diagnostics = read_error(path).diagnostics

    assert len(diagnostics) == 21
    assert diagnostics[-1].message.endswith("more schema errors")


def test_read_report_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b'{"name": "\xff"}')

    assert "cannot read report file" in read_error(path).diagnostics[0].message


def test_read_report_duplicate_run_id(tmp_path: Path) -> None:
    data = REPORT_WRITERS["json"].render(
        make_suite(make_run("a", run_id="r-1"), make_run("b"), make_run("c", run_id="r-1"))
    )
    path = tmp_path / "report.json"
    path.write_bytes(data)

    diagnostic = read_error(path).diagnostics[0]

    assert diagnostic.location.pointer == "/runs/2/id"
    assert diagnostic.message == "invalid report: run id 'r-1' appears again (first at /runs/0)"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=5,
)


def _places(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """List the path of every value inside ``node``, containers included."""
    places = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            places += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            places += _places(value, (*path, index))
    return places


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(result=suite_results(), data=st.data())
def test_quick_check_never_more_lenient(result: SuiteResult, data: st.DataObject) -> None:
    document = json.loads(REPORT_WRITERS["json"].render(result))
    place = data.draw(st.sampled_from(_places(document)[1:]))
    parent = document
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = data.draw(json_values)

    if is_valid_report(document):
        assert report_validator().is_valid(document)


def test_quick_check_accepts_written_report() -> None:
    assert is_valid_report(valid_report())


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_read_report_rejects_device() -> None:
    with pytest.raises(ReportError) as caught:
        read_report(Path("/dev/zero"))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == "not a regular file"
    assert diagnostic.location.file == "/dev/zero"
