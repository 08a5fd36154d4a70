from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_support import make_run, make_suite

from flowspec import __version__
from flowspec.errors import ExitCode, ReportError
from flowspec.report import REPORT_WRITERS, read_report


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
