from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from report_support import (
    HOSTILE,
    REPORT_SCHEMA,
    START,
    assert_valid_json_report,
    document,
    make_run,
    make_suite,
    suite_results,
)

from flowspec.report import REPORT_WRITERS, read_report
from flowspec.results import SuiteResult, Verdict

RENDER = REPORT_WRITERS["json"].render


def write_and_read(result: SuiteResult, folder: Path) -> SuiteResult:
    path = folder / "report.json"
    path.write_bytes(RENDER(result))
    return read_report(path)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(result=suite_results())
def test_json_report_round_trip_and_schema(result: SuiteResult, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("json")
    assert_valid_json_report(RENDER(result))
    assert write_and_read(result, folder) == result


def test_json_report_records_every_fact(tmp_path: Path) -> None:
    run = make_run(
        "invoices/acme[a.xml]",
        Verdict.FAILED,
        reason="status Error, expected Success",
        input_file=Path("inputs/a.xml"),
        input_sha256="ef" * 32,
        execution_id="6de9206a",
        attempts=2,
        status="Error",
        expected_statuses=("Success", "Warning"),
        expected_documents=1,
        queued_seconds=1.5,
        running_seconds=3.25,
        total_seconds=5.0,
        messages=("Generate document", "Template failed"),
        documents=(document(),),
    )
    report = assert_valid_json_report(RENDER(make_suite(run)))

    entry = report["runs"][0]
    assert report["format_version"] == 1
    assert report["started_at"] == "2026-03-01T08:30:00Z"
    assert report["ended_at"] == "2026-03-01T08:31:15Z"
    assert report["job_files"] == [
        {"path": "suites/invoices.yaml", "name": "invoices", "sha256": "ab" * 32}
    ]
    assert entry["input_file"] == "inputs/a.xml"
    assert entry["expected"] == {"statuses": ["Success", "Warning"], "documents": 1}
    assert entry["time"] == {"queued_seconds": 1.5, "running_seconds": 3.25, "total_seconds": 5.0}
    assert entry["documents"][0]["path"] == "out/letter.pdf"
    assert entry["verdict"] == "failed"


def test_json_report_counts_each_verdict() -> None:
    runs = [make_run(f"r{number}", verdict) for number, verdict in enumerate(Verdict)]
    runs.append(make_run("again", Verdict.TIMED_OUT))
    report = assert_valid_json_report(RENDER(make_suite(*runs)))

    assert report["totals"] == {
        "runs": 6,
        "passed": 1,
        "failed": 1,
        "error": 1,
        "timed_out": 2,
        "skipped": 1,
    }
    assert report["passed"] is False


def test_json_report_strips_url_credentials() -> None:
    result = make_suite(base_urls=("https://user:hunter2@flows.example.test/api",))
    data = RENDER(result)

    assert b"hunter2" not in data
    assert assert_valid_json_report(data)["base_urls"] == ["https://flows.example.test/api"]


def test_json_report_naive_time_is_utc() -> None:
    result = make_suite(started_at=datetime(2026, 3, 1, 8, 30))
    report = assert_valid_json_report(RENDER(result))
    assert report["started_at"] == "2026-03-01T08:30:00Z"


def test_json_report_says_incomplete(tmp_path: Path) -> None:
    result = make_suite(
        make_run("a", Verdict.PASSED),
        make_run("b", Verdict.SKIPPED, reason="run interrupted before start"),
        complete=False,
        stop_reason="interrupted by Ctrl-C",
    )
    report = assert_valid_json_report(RENDER(result))

    assert report["complete"] is False
    assert report["stop_reason"] == "interrupted by Ctrl-C"
    assert write_and_read(result, tmp_path) == result


def test_json_report_hostile_strings_survive(tmp_path: Path) -> None:
    message = "".join(HOSTILE) * 10 + "x" * 100_000
    run = make_run("".join(HOSTILE), Verdict.ERROR, reason="".join(HOSTILE), messages=(message,))
    result = make_suite(run)

    assert_valid_json_report(RENDER(result))
    assert write_and_read(result, tmp_path) == result


def test_json_report_keeps_lone_surrogate(tmp_path: Path) -> None:
    result = make_suite(make_run("bad \ud800 name"))
    data = RENDER(result)

    assert b"bad \\ud800 name" in data
    assert data.decode("utf-8")  # valid UTF-8, or this raises
    assert write_and_read(result, tmp_path) == result


def test_json_report_start_is_iso_utc_with_offset() -> None:
    result = make_suite(started_at=START.astimezone().replace(microsecond=250_000))
    report = assert_valid_json_report(RENDER(result))
    assert report["started_at"] == "2026-03-01T08:30:00.250000Z"


def test_report_schema_describes_every_property() -> None:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    undescribed = []

    def visit(node: object, pointer: str) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if "description" not in child:
                    undescribed.append(f"{pointer}/properties/{name}")
            for key, child in node.items():
                visit(child, f"{pointer}/{key}")
        elif isinstance(node, list):
            for number, child in enumerate(node):
                visit(child, f"{pointer}/{number}")

    visit(schema, "")

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert undescribed == []
