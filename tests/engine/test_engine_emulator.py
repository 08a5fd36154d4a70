"""The engine against the emulator over real HTTP: modes, order, after, fail-fast, forms."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from engine_support import (
    DATA,
    Emulator,
    Recorder,
    by_name,
    entry,
    execute,
    job,
    server_status,
)

from flowspec.diagnostics import Location
from flowspec.errors import ExitCode
from flowspec.results import Verdict
from flowspec.spec.model import Expect, PluginInput, XmlInput

ORDERS = XmlInput(
    pattern="data/orders/*.xml",
    files=(DATA / "orders" / "order-1.xml", DATA / "orders" / "order-2.xml"),
    schema=None,
    location=Location("engine.yaml", 9),
)
ACCOUNTS = PluginInput(
    dataset="crm-accounts",
    entity="account",
    ids=("A-1", "A-2"),
    user="u-17",
    organization=None,
    location=Location("engine.yaml", 12),
)


async def test_every_mode_passes(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(
        emulator.url,
        entry("letter", "quick", expect=Expect(documents=1)),
        entry("orders", "order", input=ORDERS, expect=Expect(documents=1)),
        entry("accounts", "account", input=ACCOUNTS, expect=Expect(documents=2)),
        entry("skipping", "form", skip_user_input=True),
        entry("plugin-start", "account", input=ACCOUNTS, mode="start"),
    )

    outcome = await execute([suite], tmp_path)

    results = by_name(outcome)
    assert outcome.exit_code is ExitCode.OK
    assert [run.verdict for run in outcome.result.runs] == [Verdict.PASSED] * 6
    assert results["engine/orders[order-1.xml]"].mode == "xml"
    assert results["engine/accounts"].mode == "plugin"
    assert results["engine/skipping"].mode == "start"
    assert emulator.stats()["starts"] == 6


async def test_documents_saved_with_hash(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("orders", "order", input=ORDERS, save="{input}/{document}"))

    outcome = await execute([suite], tmp_path)

    [document] = by_name(outcome)["engine/orders[order-1.xml]"].documents
    saved = tmp_path / document.path  # type: ignore[operator]
    assert document.path == Path("order-1.xml/Order confirmation.pdf")
    assert document.content_type is not None
    assert document.content_type.startswith("application/pdf")
    assert document.size == len(saved.read_bytes())
    assert document.sha256 == hashlib.sha256(saved.read_bytes()).hexdigest()


async def test_same_document_names_get_suffix(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("accounts", "account", input=ACCOUNTS, save="{document}"))

    outcome = await execute([suite], tmp_path)

    paths = sorted(str(document.path) for document in outcome.result.runs[0].documents)
    assert paths == ["Account summary-2.pdf", "Account summary.pdf"]
    assert all((tmp_path / path).is_file() for path in paths)


async def test_input_hash_recorded(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("orders", "order", input=ORDERS))

    outcome = await execute([suite], tmp_path)

    first = outcome.result.runs[0]
    assert first.input_file == ORDERS.files[0]
    assert first.input_sha256 == hashlib.sha256(ORDERS.files[0].read_bytes()).hexdigest()


async def test_parallel_honours_concurrency(emulator: Emulator, tmp_path: Path) -> None:
    entries = [entry(f"m{number}", "medium") for number in range(6)]
    suite = job(emulator.url, *entries, order="parallel", concurrency=2)
    recorder = Recorder()

    outcome = await execute([suite], tmp_path, listener=recorder)

    assert outcome.exit_code is ExitCode.OK
    assert recorder.max_overlap() == 2


async def test_concurrency_option_overrides_job_file(emulator: Emulator, tmp_path: Path) -> None:
    entries = [entry(f"m{number}", "medium") for number in range(6)]
    suite = job(emulator.url, *entries, order="parallel", concurrency=1)
    recorder = Recorder()

    await execute([suite], tmp_path, listener=recorder, concurrency=3)

    assert recorder.max_overlap() == 3


async def test_sequential_runs_one_at_a_time_in_order(emulator: Emulator, tmp_path: Path) -> None:
    entries = [entry(f"q{number}", "quick") for number in range(4)]
    suite = job(emulator.url, *entries, order="sequential", concurrency=8)
    recorder = Recorder()

    await execute([suite], tmp_path, listener=recorder, concurrency=8)

    assert recorder.max_overlap() == 1
    assert recorder.finished == [f"engine/q{number}" for number in range(4)]


async def test_after_waits_for_dependency(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(
        emulator.url,
        entry("report", "quick", after=("first",)),
        entry("first", "medium"),
        order="parallel",
        concurrency=4,
    )
    recorder = Recorder()

    outcome = await execute([suite], tmp_path, listener=recorder)

    assert outcome.exit_code is ExitCode.OK
    assert recorder.spans["engine/report"][0] >= recorder.spans["engine/first"][1]


async def test_after_failed_dependency_skips(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(
        emulator.url,
        entry("broken", "failing"),
        entry("report", "quick", after=("broken",)),
        order="parallel",
    )

    outcome = await execute([suite], tmp_path)

    report = by_name(outcome)["engine/report"]
    assert outcome.exit_code is ExitCode.RUNS_FAILED
    assert report.verdict is Verdict.SKIPPED
    assert report.reason == "skipped because engine/broken did not pass (failed)"
    assert report.execution_id is None
    assert emulator.stats()["starts"] == 1


async def test_failed_status_reason(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("broken", "failing"))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.FAILED
    assert result.status == "Error"
    assert result.reason == "ended with status Error, expected Success"


async def test_document_count_mismatch_fails(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("letter", "quick", expect=Expect(documents=2)))

    outcome = await execute([suite], tmp_path)

    assert outcome.result.runs[0].reason == "produced 1 document, expected 2 documents"


async def test_fail_fast_skips_the_rest(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(
        emulator.url,
        entry("broken", "failing"),
        entry("slow", "medium"),
        entry("later", "quick"),
        entry("last", "quick"),
        order="parallel",
        concurrency=2,
        fail_fast=True,
    )

    outcome = await execute([suite], tmp_path)

    results = by_name(outcome)
    assert results["engine/broken"].verdict is Verdict.FAILED
    assert results["engine/slow"].verdict is Verdict.PASSED  # in flight: allowed to finish
    assert results["engine/later"].verdict is Verdict.SKIPPED
    assert results["engine/later"].reason == "not started: fail_fast after engine/broken failed"
    assert results["engine/last"].verdict is Verdict.SKIPPED
    assert emulator.stats()["starts"] == 2


async def test_form_answered_by_title(emulator: Emulator, tmp_path: Path) -> None:
    answers = {"Customer name": "ACME", "Start date": "2027-01-01"}
    suite = job(emulator.url, entry("onboarding", "form", answers=answers))
    recorder = Recorder()

    outcome = await execute([suite], tmp_path, listener=recorder)

    assert outcome.result.runs[0].verdict is Verdict.PASSED
    assert "UserInput" in recorder.statuses["engine/onboarding"]


async def test_form_answered_by_key(emulator: Emulator, tmp_path: Path) -> None:
    answers = {"a1b2_name": "ACME", "c3d4_start": "2027-01-01", "e5f6_manager": "Dana"}
    suite = job(emulator.url, entry("onboarding", "form", answers=answers))

    outcome = await execute([suite], tmp_path)

    assert outcome.result.runs[0].verdict is Verdict.PASSED


async def test_misspelt_answer_recorded_and_logged(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    answers = {"Customer name": "ACME", "Start date": "2027-01-01", "Colour": "blue"}
    suite = job(emulator.url, entry("onboarding", "form", answers=answers))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.PASSED
    [message] = [m for m in result.messages if m.startswith("answers matched no form field")]
    assert message.startswith("answers matched no form field: 'Colour'; the forms had ")
    assert "'Customer name' (key a1b2_name)" in message
    assert any("'Colour'" in record.getMessage() for record in caplog.records)


async def test_all_answers_used_adds_no_message(emulator: Emulator, tmp_path: Path) -> None:
    answers = {"Customer name": "ACME", "Start date": "2027-01-01"}
    suite = job(emulator.url, entry("onboarding", "form", answers=answers))

    outcome = await execute([suite], tmp_path)

    assert not any("answers matched" in m for m in outcome.result.runs[0].messages)


async def test_unanswerable_form_cancels(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("onboarding", "form", answers={"Customer name": "ACME"}))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.ERROR
    assert result.reason is not None
    assert "'Start date' (key c3d4_start)" in result.reason
    assert "'Customer name'" not in result.reason
    assert result.execution_id is not None
    assert await server_status(emulator.url, result.execution_id) == "Canceled"


async def test_invalid_answer_cancels(emulator: Emulator, tmp_path: Path) -> None:
    answers = {"Customer name": "ACME", "Start date": "first of May"}
    suite = job(emulator.url, entry("onboarding", "form", answers=answers))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert result.verdict is Verdict.ERROR
    assert result.reason is not None
    assert "invalid answer for 'Start date' (key c3d4_start)" in result.reason
    assert result.execution_id is not None
    assert await server_status(emulator.url, result.execution_id) == "Canceled"


async def test_selected_runs_only(emulator: Emulator, tmp_path: Path) -> None:
    from flowspec.plan import plan_runs

    suite = job(emulator.url, entry("one", "quick"), entry("two", "quick"))
    first_id = plan_runs([suite])[0].id

    outcome = await execute([suite], tmp_path, selected=frozenset({first_id}))

    results = by_name(outcome)
    assert results["engine/one"].verdict is Verdict.PASSED
    assert results["engine/two"].verdict is Verdict.SKIPPED
    assert results["engine/two"].selected is False
    assert emulator.stats()["starts"] == 1


async def test_two_job_files_one_after_another(emulator: Emulator, tmp_path: Path) -> None:
    first = job(emulator.url, entry("a", "quick"))
    second = replace(job(emulator.url, entry("b", "quick")), path=Path("other.yaml"))
    recorder = Recorder()

    outcome = await execute([first, second], tmp_path, listener=recorder)

    assert [run.name for run in outcome.result.runs] == ["engine/a", "other/b"]
    assert recorder.finished == ["engine/a", "other/b"]
    assert [info.path for info in outcome.result.job_files] == [
        Path("engine.yaml"),
        Path("other.yaml"),
    ]


async def test_timings_recorded(emulator: Emulator, tmp_path: Path) -> None:
    suite = job(emulator.url, entry("slow", "medium"))

    outcome = await execute([suite], tmp_path)

    [result] = outcome.result.runs
    assert 0.25 <= result.total_seconds < 5
    assert result.running_seconds + result.queued_seconds == result.total_seconds
    assert result.attempts == 1
    assert result.messages[-1] == "Flow finished"


async def test_queued_time_recorded(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve(capacity=1)
    suite = job(emulator.url, entry("first", "medium"), entry("second", "medium"), order="parallel")
    recorder = Recorder()

    outcome = await execute([suite], tmp_path, listener=recorder)

    second = by_name(outcome)["engine/second"]
    assert outcome.exit_code is ExitCode.OK
    assert "Queued" in recorder.statuses["engine/second"]
    assert second.queued_seconds > 0.1
    assert second.running_seconds > 0.2
