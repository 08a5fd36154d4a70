from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading
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


def test_check_report_targets_file_as_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "r.json"
    blocker.write_text("{}", encoding="utf-8")

    with pytest.raises(UsageError) as caught:
        check_report_targets([ReportTarget("junit", blocker / "deep" / "junit.xml")])

    assert str(caught.value) == (
        f"report path {blocker / 'deep' / 'junit.xml'} cannot be created because {blocker}"
        " is a file, not a folder; give another path"
    )


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root may write any folder"
)
def test_check_report_targets_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)

    with pytest.raises(UsageError, match=r"the folder .*locked is not writable"):
        check_report_targets([ReportTarget("json", folder / "sub" / "r.json")])


def test_check_report_targets_accepts_missing_folders(tmp_path: Path) -> None:
    check_report_targets([ReportTarget("json", tmp_path / "a" / "b" / "r.json")])

    assert not (tmp_path / "a").exists()


def test_check_report_targets_same_file_through_link(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "r.json")
    targets = [
        ReportTarget("json", tmp_path / "r.json"),
        ReportTarget("json", tmp_path / "link.json"),
    ]

    with pytest.raises(UsageError, match="write the same file"):
        check_report_targets(targets)


@pytest.mark.skipif(sys.platform == "win32", reason="needs os.mkfifo")
def test_write_reports_into_pipe_keeps_pipe(tmp_path: Path) -> None:
    pipe = tmp_path / "report.md"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()

    write_reports(make_suite(make_run("a")), [ReportTarget("markdown", pipe)], environ={})
    reader.join(timeout=5)

    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert received[0].startswith(b"# flowspec results")


def test_write_reports_through_link_keeps_link(tmp_path: Path) -> None:
    target = tmp_path / "kept" / "report.xml"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "junit.xml"
    link.symlink_to(target)

    write_reports(make_suite(make_run("a")), [ReportTarget("junit", link)], environ={})

    assert link.is_symlink()
    assert_valid_junit(target.read_bytes())


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_write_reports_file_mode_follows_umask(tmp_path: Path) -> None:
    path = tmp_path / "r.json"

    write_reports(make_suite(make_run("a")), [ReportTarget("json", path)], environ={})

    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_write_reports_keeps_existing_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o640)

    write_reports(make_suite(make_run("a")), [ReportTarget("json", path)], environ={})

    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    "summary",
    [
        pytest.param(".", id="folder"),
        pytest.param("missing/summary.md", id="missing-folder"),
    ],
)
def test_write_reports_bad_step_summary_only_warns(
    tmp_path: Path, summary: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "r.json"
    environ = {"GITHUB_STEP_SUMMARY": str(tmp_path / summary)}

    with caplog.at_level(logging.WARNING, logger="flowspec.report"):
        write_reports(make_suite(make_run("a")), [ReportTarget("json", path)], environ=environ)

    assert path.is_file()
    assert len(caplog.records) == 1
    assert "cannot append the job summary to GITHUB_STEP_SUMMARY=" in caplog.records[0].getMessage()


def test_check_report_targets_input_protected(tmp_path: Path) -> None:
    job_file = tmp_path / "suite.yaml"
    job_file.write_text("version: 1\n", encoding="utf-8")
    target = ReportTarget("junit", tmp_path / "." / "suite.yaml")

    with pytest.raises(UsageError) as caught:
        check_report_targets([target], inputs=[job_file])

    assert str(caught.value) == (
        f"report target {target} would overwrite the input file {job_file};"
        " give another report path"
    )


def test_report_to_redirected_stdout_keeps_earlier_output(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from flowspec.report._files import write_report_file\n"
        "sys.stdout.write('BEFORE\\n'); sys.stdout.flush()\n"
        "write_report_file(Path('/dev/stdout'), b'REPORT\\n')\n"
        "sys.stdout.write('AFTER\\n')\n"
    )
    log = tmp_path / "log.txt"
    with log.open("wb") as stdout:
        subprocess.run([sys.executable, "-c", script], stdout=stdout, check=True)

    assert log.read_text() == "BEFORE\nREPORT\nAFTER\n"
