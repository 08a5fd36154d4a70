"""The entry fields ``download``, ``cancel_on_timeout`` and ``outputs``, against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_support import (
    Emulator,
    Recorder,
    SteppingClock,
    entry,
    execute,
    job,
    server_status,
)

from flowspec.engine import Engine
from flowspec.plan import Run
from flowspec.report.jsonreport import JsonReportWriter
from flowspec.report.junit import JUnitReportWriter
from flowspec.report.markdown import render_markdown
from flowspec.report.reading import parse_report
from flowspec.results import Verdict
from flowspec.spec.model import Expect


async def test_download_false_saves_nothing(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", download=False, expect=Expect(documents=1)))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    [document] = result.documents
    assert result.verdict is Verdict.PASSED, result.reason
    assert list(tmp_path.iterdir()) == []
    assert document.name == "Report"
    assert document.path is None
    assert document.size is None
    assert document.sha256 is None
    assert document.content_type is not None
    assert document.content_type.startswith("application/pdf")
    assert emulator.stats()["requests"].get("document_content", 0) == 0


async def test_download_false_counts_documents(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", download=False, expect=Expect(documents=2)))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.FAILED
    assert result.reason == "produced 1 document, expected 2 documents"


async def test_undownloaded_document_in_reports(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", download=False, expect=Expect(documents=2)))
    outcome = await execute([suite], tmp_path)

    data = JsonReportWriter().render(outcome.result)
    junit = JUnitReportWriter().render(outcome.result).decode("utf-8")

    [document] = json.loads(data)["runs"][0]["documents"]
    assert document["path"] is None
    assert document["size"] is None
    assert document["sha256"] is None
    assert parse_report(data, Path("report.json")).runs == outcome.result.runs
    assert "Report (application/pdf, not downloaded)" in junit


async def test_timeout_keeps_execution_running(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("endless", "long", timeout=60.0, cancel_on_timeout=False))

    outcome = await execute([suite], tmp_path, clock=SteppingClock(step=100.0))

    [result] = outcome.result.runs
    assert result.verdict is Verdict.TIMED_OUT
    assert result.execution_id is not None
    assert (result.reason or "").endswith(
        f"; execution {result.execution_id} left running (cancel_on_timeout: false)"
    )
    assert result.status == "Running"
    assert await server_status(emulator.url, result.execution_id) == "Running"
    assert emulator.stats()["requests"].get("cancel", 0) == 0


class InterruptOnRunning(Recorder):
    """Interrupts the engine when the first run reports ``Running``."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None

    def run_progress(self, run: Run, progress: Any) -> None:
        super().run_progress(run, progress)
        if progress["status"] == "Running" and self.engine is not None:
            self.engine.interrupt()


async def test_interrupt_keeps_execution_running(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("endless", "long", cancel_on_timeout=False))
    listener = InterruptOnRunning()

    def attach(engine: Engine) -> None:
        listener.engine = engine

    outcome = await execute([suite], tmp_path, listener=listener, on_engine=attach)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.ERROR
    assert result.execution_id is not None
    assert result.reason == (
        f"interrupted; execution {result.execution_id} left running (cancel_on_timeout: false)"
    )
    assert await server_status(emulator.url, result.execution_id) == "Running"


async def test_outputs_recorded(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", outputs=("archiveUrl", "pages")))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.PASSED, result.reason
    assert result.outputs == {"archiveUrl": "https://archive.example/reports/1", "pages": "3"}
    assert emulator.stats()["requests"].get("status", 0) == 2


async def test_no_outputs_no_requests(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick"))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.outputs == {}
    assert emulator.stats()["requests"].get("status", 0) == 0


async def test_unknown_output_is_run_error(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", outputs=("archiveUrl", "missing")))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.ERROR
    assert (result.reason or "").startswith("reading output 'missing' failed: ")
    assert "has no output named 'missing'" in (result.reason or "")
    assert result.outputs == {"archiveUrl": "https://archive.example/reports/1"}
    assert len(result.documents) == 1


async def test_outputs_in_reports(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", outputs=("archiveUrl",)))
    outcome = await execute([suite], tmp_path)

    data = JsonReportWriter().render(outcome.result)
    markdown = render_markdown(outcome.result)

    assert json.loads(data)["runs"][0]["outputs"] == {
        "archiveUrl": "https://archive.example/reports/1"
    }
    assert parse_report(data, Path("report.json")).runs[0].outputs == outcome.result.runs[0].outputs
    assert "## Flow outputs" in markdown
    assert '- output archiveUrl: "https://archive.example/reports/1"' in markdown


@pytest.mark.parametrize(
    "remove",
    [pytest.param(("outputs",), id="no-outputs"), pytest.param((), id="with-outputs")],
)
async def test_report_without_outputs_reads(
    emulator: Emulator, tmp_path: Path, remove: tuple[str, ...]
) -> None:
    suite = job(emulator.url, entry("letter", "quick"))
    outcome = await execute([suite], tmp_path)
    document = json.loads(JsonReportWriter().render(outcome.result))
    for key in remove:
        del document["runs"][0][key]

    result = parse_report(json.dumps(document).encode(), Path("old.json"))

    assert result.runs[0].outputs == {}


async def test_failed_run_keeps_its_reason(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("broken", "failing", outputs=("archiveUrl",)))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.FAILED
    assert result.reason == "ended with status Error, expected Success"
    assert result.outputs == {}
    assert emulator.stats()["requests"].get("status", 0) == 1
