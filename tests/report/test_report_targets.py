from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_support import assert_valid_json_report, assert_valid_junit, make_run, make_suite

from flowspec.errors import UsageError
from flowspec.report import (
    REPORT_WRITERS,
    ReportTarget,
    check_report_targets,
    parse_report_target,
    write_reports,
)
from flowspec.results import Verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("json:out/r.json", ReportTarget("json", Path("out/r.json")), id="json"),
        pytest.param("junit:junit.xml", ReportTarget("junit", Path("junit.xml")), id="junit"),
        pytest.param(
            "markdown:a:b.md", ReportTarget("markdown", Path("a:b.md")), id="colon-in-path"
        ),
    ],
)
def test_parse_report_target(text: str, expected: ReportTarget) -> None:
    assert parse_report_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "xml:out/r.xml",
            "unknown report format 'xml' in 'xml:out/r.xml'; choose one of json, junit, markdown",
            id="unknown-format",
        ),
        pytest.param(
            "out/r.json",
            "invalid report target 'out/r.json': expected FORMAT:PATH, for example"
            " json:out/report.json; FORMAT is one of json, junit, markdown",
            id="no-colon",
        ),
        pytest.param(
            "json:", "missing path in report target 'json:'; write json:PATH", id="no-path"
        ),
        pytest.param(
            "JSON:r.json",
            "unknown report format 'JSON' in 'JSON:r.json'; choose one of json, junit, markdown",
            id="upper-case",
        ),
    ],
)
def test_parse_report_target_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_report_target(text)
    assert str(caught.value) == message


def test_check_report_targets_same_file(tmp_path: Path) -> None:
    targets = [ReportTarget("json", tmp_path / "r"), ReportTarget("junit", tmp_path / "x/../r")]
    with pytest.raises(UsageError, match="write the same file"):
        check_report_targets(targets)


def test_check_report_targets_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        check_report_targets([ReportTarget("json", tmp_path)])


def test_write_reports_writes_every_format(tmp_path: Path) -> None:
    result = make_suite(make_run("a"), make_run("b", Verdict.FAILED))
    targets = [ReportTarget(name, tmp_path / "deep" / f"report.{name}") for name in REPORT_WRITERS]

    write_reports(result, targets, environ={})

    assert_valid_json_report((tmp_path / "deep" / "report.json").read_bytes())
    assert_valid_junit((tmp_path / "deep" / "report.junit").read_bytes())
    assert (
        (tmp_path / "deep" / "report.markdown").read_text(encoding="utf-8").startswith("# flowspec")
    )
    assert sorted(path.name for path in (tmp_path / "deep").iterdir()) == [
        "report.json",
        "report.junit",
        "report.markdown",
    ]


def test_write_reports_incomplete_result(tmp_path: Path) -> None:
    result = make_suite(make_run("a"), complete=False, stop_reason="interrupted")
    targets = [ReportTarget(name, tmp_path / f"r.{name}") for name in REPORT_WRITERS]

    write_reports(result, targets, environ={})

    assert json.loads((tmp_path / "r.json").read_bytes())["complete"] is False
    assert b"INCOMPLETE RUN" in (tmp_path / "r.junit").read_bytes()
    assert "Incomplete run" in (tmp_path / "r.markdown").read_text(encoding="utf-8")


def test_write_reports_appends_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    result = make_suite(make_run("a"))

    write_reports(result, [], environ={"GITHUB_STEP_SUMMARY": str(summary)})
    write_reports(result, [], environ={"GITHUB_STEP_SUMMARY": str(summary)})

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n# flowspec results")
    assert text.count("# flowspec results") == 2


def test_write_reports_step_summary_once_with_markdown_target(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    target = ReportTarget("markdown", tmp_path / "r.md")

    write_reports(
        make_suite(make_run("a")), [target], environ={"GITHUB_STEP_SUMMARY": str(summary)}
    )

    assert summary.read_text(encoding="utf-8").count("# flowspec results") == 1


def test_write_reports_reads_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    write_reports(make_suite(make_run("a")), [])

    assert summary.is_file()


def test_write_reports_failure_does_not_stop_others(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    targets = [ReportTarget("json", blocker / "r.json"), ReportTarget("junit", tmp_path / "r.xml")]

    with pytest.raises(UsageError, match="cannot write json report"):
        write_reports(make_suite(make_run("a")), targets, environ={})

    assert (tmp_path / "r.xml").is_file()
