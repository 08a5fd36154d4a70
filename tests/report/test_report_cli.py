from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_support import START, assert_valid_junit, make_run, make_suite

from flowspec.cli import main
from flowspec.report import REPORT_WRITERS
from flowspec.results import SuiteResult, Verdict


def write_json(path: Path, result: SuiteResult) -> Path:
    path.write_bytes(REPORT_WRITERS["json"].render(result))
    return path


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env={"GITHUB_STEP_SUMMARY": "", **(env or {})})


@pytest.mark.parametrize(
    ("result", "code"),
    [
        pytest.param(make_suite(make_run("a"), make_run("b", Verdict.SKIPPED)), 0, id="passed"),
        pytest.param(make_suite(make_run("a"), make_run("b", Verdict.FAILED)), 1, id="failed"),
        pytest.param(make_suite(make_run("a", Verdict.TIMED_OUT)), 1, id="timed-out"),
        pytest.param(
            make_suite(make_run("a"), complete=False, stop_reason="Ctrl-C"), 1, id="incomplete"
        ),
    ],
)
def test_show_exit_code(tmp_path: Path, result: SuiteResult, code: int) -> None:
    path = write_json(tmp_path / "r.json", result)
    assert invoke("report", "show", str(path)).exit_code == code


def test_show_plain_text(tmp_path: Path) -> None:
    result = make_suite(
        make_run("invoices/a", status="Success"),
        make_run("invoices/b [red]x[/red]", Verdict.FAILED, reason="bad\x1b[2J", status="Error"),
        complete=False,
        stop_reason="server unreachable",
    )
    output = invoke("report", "show", str(write_json(tmp_path / "r.json", result))).output
    lines = output.splitlines()

    assert lines[1] == "INCOMPLETE RUN: stopped early: server unreachable"
    assert "invoices/b [red]x[/red]" in output
    assert "reason: bad\\x1b[2J" in output
    assert "\x1b" not in output
    assert (
        lines[-1]
        == "Totals: 2 runs: 1 passed, 1 failed, 0 error, 0 timed out, 0 skipped; 1 min 15 s"
    )


def test_show_converts_to_junit(tmp_path: Path) -> None:
    path = write_json(tmp_path / "r.json", make_suite(make_run("a")))
    outcome = invoke("report", "show", str(path), "--format", "junit")

    assert outcome.exit_code == 0
    assert_valid_junit(outcome.stdout_bytes)


def test_show_broken_report_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{ not json", encoding="utf-8")

    outcome = invoke("report", "show", str(path))

    assert outcome.exit_code == 2
    assert f"{path}:1:3: error: invalid JSON" in outcome.output
    assert "Traceback" not in outcome.output


def test_show_missing_report_exit_2(tmp_path: Path) -> None:
    outcome = invoke("report", "show", str(tmp_path / "missing.json"))

    assert outcome.exit_code == 2
    assert "report file not found" in outcome.output


def test_merge_writes_reports(tmp_path: Path) -> None:
    one = write_json(tmp_path / "1.json", make_suite(make_run("a"), seconds=10))
    two = write_json(
        tmp_path / "2.json",
        make_suite(make_run("b", Verdict.FAILED), started_at=START + timedelta(seconds=5)),
    )
    outcome = invoke(
        "report",
        "merge",
        str(one),
        str(two),
        "--report",
        f"json:{tmp_path / 'merged.json'}",
        "--report",
        f"junit:{tmp_path / 'merged.xml'}",
    )

    assert outcome.exit_code == 1
    merged = json.loads((tmp_path / "merged.json").read_text(encoding="utf-8"))
    assert [run["name"] for run in merged["runs"]] == ["a", "b"]
    assert merged["started_at"] == "2026-03-01T08:30:00Z"
    assert_valid_junit((tmp_path / "merged.xml").read_bytes())


def test_merge_all_passed_exit_0(tmp_path: Path) -> None:
    one = write_json(tmp_path / "1.json", make_suite(make_run("a")))
    outcome = invoke("report", "merge", str(one), "--report", f"markdown:{tmp_path / 'm.md'}")

    assert outcome.exit_code == 0
    assert "Merged 1 report: 1 run:" in outcome.output


def test_merge_appends_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    one = write_json(tmp_path / "1.json", make_suite(make_run("a")))

    invoke(
        "report",
        "merge",
        str(one),
        "--report",
        f"json:{tmp_path / 'm.json'}",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert summary.read_text(encoding="utf-8").startswith("# flowspec results")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--report", "xml:x.xml"], "unknown report format 'xml'", id="bad-format"),
        pytest.param([], "Missing option '--report'", id="no-target"),
    ],
)
def test_merge_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    one = write_json(tmp_path / "1.json", make_suite(make_run("a")))
    outcome = invoke("report", "merge", str(one), *args)

    assert outcome.exit_code == 2
    assert message in outcome.output


def test_merge_broken_input_exit_2(tmp_path: Path) -> None:
    good = write_json(tmp_path / "1.json", make_suite(make_run("a")))
    bad = tmp_path / "2.json"
    bad.write_text('{"format_version": 1}', encoding="utf-8")

    outcome = invoke(
        "report", "merge", str(good), str(bad), "--report", f"json:{tmp_path / 'm.json'}"
    )

    assert outcome.exit_code == 2
    assert (
        f"{bad}::/: error: invalid report: 'flowspec_version' is a required property"
        in outcome.output
    )
    assert not (tmp_path / "m.json").exists()


def test_show_rich_table_keeps_markup_literal() -> None:
    from rich.console import Console

    from flowspec.cli.report import _print_rich

    console = Console(record=True, width=160, force_terminal=True, file=io.StringIO())
    result = make_suite(make_run("invoices/[bold]x[/bold]", Verdict.ERROR, reason="boom"))

    _print_rich(console, result)
    text = console.export_text()

    assert "invoices/[bold]x[/bold]" in text
    assert "boom" in text
    assert "Totals: 1 run: 0 passed, 0 failed, 1 error" in text


def test_show_counts_unselected_runs(tmp_path: Path) -> None:
    result = make_suite(make_run("mine"), make_run("theirs", Verdict.SKIPPED, selected=False))
    outcome = invoke("report", "show", str(write_json(tmp_path / "r.json", result)))

    assert outcome.exit_code == 0
    assert "1 run left out by --shard or --rerun-failed is not listed." in outcome.output
    assert "theirs" not in outcome.output


def test_merge_message_leaves_out_unselected(tmp_path: Path) -> None:
    shard = make_suite(make_run("mine"), make_run("theirs", Verdict.SKIPPED, selected=False))
    path = write_json(tmp_path / "shard.json", shard)

    outcome = invoke("report", "merge", str(path), "--report", f"json:{tmp_path / 'm.json'}")

    assert outcome.exit_code == 0
    assert outcome.output.strip() == (
        "Merged 1 report: 1 run: 1 passed, 0 failed, 0 error, 0 timed out, 0 skipped; 1 min 15 s"
        " (1 run left out by --shard or --rerun-failed is not listed.)"
    )


def test_merge_rerun_of_interrupted_run_exit_0(tmp_path: Path) -> None:
    stopped = make_suite(
        make_run("a"),
        make_run("b", Verdict.SKIPPED, reason="not started: interrupted"),
        complete=False,
        stop_reason="interrupted",
    )
    rerun = make_suite(
        make_run("a", Verdict.SKIPPED, selected=False),
        make_run("b"),
        started_at=START + timedelta(minutes=5),
    )
    first = write_json(tmp_path / "first.json", stopped)
    second = write_json(tmp_path / "rerun.json", rerun)

    outcome = invoke(
        "report", "merge", str(first), str(second), "--report", f"json:{tmp_path / 'm.json'}"
    )

    assert outcome.exit_code == 0
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))["complete"] is True


def test_merge_unwritable_step_summary_exit_0(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_json(tmp_path / "r.json", make_suite(make_run("a")))

    outcome = invoke(
        "report",
        "merge",
        str(path),
        "--report",
        f"json:{tmp_path / 'm.json'}",
        env={"GITHUB_STEP_SUMMARY": str(tmp_path)},
    )

    assert outcome.exit_code == 0
    assert (tmp_path / "m.json").is_file()
    assert "cannot append the job summary to GITHUB_STEP_SUMMARY=" in caplog.text


def test_merge_report_into_file_as_folder_exit_2(tmp_path: Path) -> None:
    path = write_json(tmp_path / "r.json", make_suite(make_run("a")))

    outcome = invoke("report", "merge", str(path), "--report", f"junit:{path}/junit.xml")

    assert outcome.exit_code == 2
    assert "is a file, not a folder" in outcome.output


def test_show_line_break_in_name_stays_one_row(tmp_path: Path) -> None:
    result = make_suite(
        make_run("invoices[evil\nline.xml]", Verdict.FAILED, reason="first\nsecond"),
        make_run("letter"),
    )
    outcome = invoke("report", "show", str(write_json(tmp_path / "r.json", result)))

    lines = outcome.output.splitlines()
    assert lines[2].endswith("invoices[evil\\nline.xml]")
    assert lines[3].endswith("reason: first\\nsecond")
    assert lines[4].endswith("letter")


def test_show_reads_standard_input() -> None:
    data = REPORT_WRITERS["json"].render(make_suite(make_run("from-pipe")))

    outcome = CliRunner().invoke(main, ["report", "show", "-"], input=data)

    assert outcome.exit_code == 0
    assert "from-pipe" in outcome.output


def test_show_broken_standard_input_located() -> None:
    outcome = CliRunner().invoke(main, ["report", "show", "-"], input=b'{"runs": ')

    assert outcome.exit_code == 2
    assert outcome.output.startswith("<stdin>:1:10: error: invalid JSON: Expecting value")


def test_merge_standard_input_only_once(tmp_path: Path) -> None:
    outcome = invoke("report", "merge", "-", "-", "--report", f"json:{tmp_path / 'm.json'}")

    assert outcome.exit_code == 2
    assert "standard input (-) can be given only once" in outcome.output
