"""The reports of real runs: ``flowspec run`` against the emulator, then show, rerun and merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from report_support import assert_valid_json_report, assert_valid_junit

from flowspec.cli import main
from flowspec.report import read_report
from flowspec.results import Verdict

SUITE = Path(__file__).parent / "data" / "suite.yaml"


def flowspec(*args: str, summary: Path | None = None) -> Result:
    environment = {"GITHUB_STEP_SUMMARY": str(summary) if summary else ""}
    return CliRunner().invoke(main, list(args), env=environment)


@pytest.fixture
def first_run(tmp_path: Path) -> Path:
    """Run the suite once with all three reports and return the folder that contains them."""
    summary = tmp_path / "summary.md"
    outcome = flowspec(
        "run",
        str(SUITE),
        "--output-dir",
        str(tmp_path / "out"),
        "--report",
        f"json:{tmp_path / 'report.json'}",
        "--report",
        f"junit:{tmp_path / 'junit.xml'}",
        "--report",
        f"markdown:{tmp_path / 'report.md'}",
        summary=summary,
    )
    assert outcome.exit_code == 1, outcome.output
    return tmp_path


def test_run_writes_all_three_reports(first_run: Path) -> None:
    report = assert_valid_json_report((first_run / "report.json").read_bytes())
    verdicts = {run["name"]: run["verdict"] for run in report["runs"]}
    root = assert_valid_junit((first_run / "junit.xml").read_bytes())
    markdown = (first_run / "report.md").read_text(encoding="utf-8")

    assert verdicts == {
        "suite/letter": "passed",
        "suite/second-letter": "passed",
        "suite/broken": "failed",
        "suite/after-broken": "skipped",
        "suite/third-letter": "passed",
    }
    assert report["complete"] is True
    assert [root.get(name) for name in ("tests", "failures", "errors", "skipped")] == [
        "5",
        "1",
        "0",
        "1",
    ]
    assert "| suite/broken | **FAILED** | Error |" in markdown
    assert "### **FAILED**: suite/broken" in markdown


def test_run_appends_step_summary_once(first_run: Path) -> None:
    summary = (first_run / "summary.md").read_text(encoding="utf-8")
    assert summary.count("# flowspec results") == 1


def test_run_documents_in_report(first_run: Path) -> None:
    result = read_report(first_run / "report.json")
    letter = next(run for run in result.runs if run.name == "suite/letter")

    assert len(letter.documents) == 1
    assert letter.documents[0].size > 0
    assert letter.execution_id


def test_show_real_report_exit_1(first_run: Path) -> None:
    outcome = flowspec("report", "show", str(first_run / "report.json"))

    assert outcome.exit_code == 1
    assert outcome.output.splitlines()[-1].startswith("Totals: 5 runs: 3 passed, 1 failed")


def test_rerun_failed_then_merge(first_run: Path) -> None:
    rerun = flowspec(
        "run",
        str(SUITE),
        "--output-dir",
        str(first_run / "rerun"),
        "--rerun-failed",
        str(first_run / "report.json"),
        "--report",
        f"json:{first_run / 'rerun.json'}",
    )
    rerun_result = read_report(first_run / "rerun.json")
    started = {run.name for run in rerun_result.runs if run.selected}

    assert rerun.exit_code == 1, rerun.output
    assert started == {"suite/broken", "suite/after-broken"}

    merged = flowspec(
        "report",
        "merge",
        str(first_run / "report.json"),
        str(first_run / "rerun.json"),
        "--report",
        f"json:{first_run / 'merged.json'}",
    )
    merged_result = read_report(first_run / "merged.json")
    verdicts = {run.name: run.verdict for run in merged_result.runs}

    assert merged.exit_code == 1
    assert len(merged_result.runs) == 5
    assert verdicts["suite/letter"] is Verdict.PASSED
    assert verdicts["suite/broken"] is Verdict.FAILED


def test_shards_merge_to_every_run(tmp_path: Path) -> None:
    for index in (1, 2):
        outcome = flowspec(
            "run",
            str(SUITE),
            "--output-dir",
            str(tmp_path / f"out-{index}"),
            "--shard",
            f"{index}/2",
            "--report",
            f"json:{tmp_path / f'shard-{index}.json'}",
        )
        assert outcome.exit_code in (0, 1), outcome.output

    merged = flowspec(
        "report",
        "merge",
        str(tmp_path / "shard-1.json"),
        str(tmp_path / "shard-2.json"),
        "--report",
        f"json:{tmp_path / 'merged.json'}",
    )
    report = json.loads((tmp_path / "merged.json").read_text(encoding="utf-8"))
    started = [run["name"] for run in report["runs"] if run["selected"]]

    assert merged.exit_code == 1
    assert sorted(started) == [
        "suite/after-broken",
        "suite/broken",
        "suite/letter",
        "suite/second-letter",
        "suite/third-letter",
    ]
    assert report["totals"]["failed"] == 1
