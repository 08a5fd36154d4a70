from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from report_support import START, make_run, make_suite, results_for_plan

from flowspec.diagnostics import Location
from flowspec.errors import UsageError
from flowspec.plan import plan_runs
from flowspec.report.merge import merge_results
from flowspec.results import SuiteResult, Verdict
from flowspec.selection import select_shard
from flowspec.spec.model import Entry, JobFile, RunSettings, Server

INVOICES = Path("suites/invoices.yaml")
LETTERS = Path("suites/letters.yaml")


def make_job(path: Path, *entries: tuple[str, tuple[str, ...]]) -> JobFile:
    return JobFile(
        path=path,
        sha256="ab" * 32,
        name=path.stem,
        server=Server(base_url="http://127.0.0.1:1", auth=None, location=Location(str(path), 2)),
        run=RunSettings(order="parallel"),
        entries=tuple(
            Entry(
                name=name,
                flow=f"flow-{name}",
                location=Location(str(path), 10 + 5 * number),
                after=after,
            )
            for number, (name, after) in enumerate(entries)
        ),
    )


def planned_suite() -> tuple[list, SuiteResult]:
    jobs = [
        make_job(
            INVOICES,
            *[(f"inv-{number}", ()) for number in range(12)],
            ("summary", ("inv-1", "inv-2")),
        ),
        make_job(
            LETTERS,
            ("welcome", ()),
            ("reminder", ("welcome",)),
            ("final", ("reminder",)),
            ("other", ()),
        ),
    ]
    runs = plan_runs(jobs)
    verdicts = {
        "invoices/inv-3": Verdict.FAILED,
        "invoices/inv-7": Verdict.TIMED_OUT,
        "letters/final": Verdict.SKIPPED,
    }
    unsharded = make_suite(*results_for_plan(runs, verdicts), job_files=(INVOICES, LETTERS))
    return runs, unsharded


@pytest.mark.parametrize(
    "total", [pytest.param(total, id=f"{total}-shards") for total in range(1, 6)]
)
def test_merge_of_shards_equals_unsharded(total: int) -> None:
    runs, unsharded = planned_suite()
    by_id = {run.run_id: run for run in unsharded.runs}
    shards = []
    for index in range(1, total + 1):
        shard_runs = select_shard(runs, index, total)
        shards.append(
            dataclasses.replace(
                unsharded,
                runs=tuple(by_id[run.id] for run in shard_runs),
                started_at=START + timedelta(seconds=index),
                ended_at=START + timedelta(seconds=10 * index),
            )
        )
    shards[0] = dataclasses.replace(shards[0], started_at=START)
    shards[-1] = dataclasses.replace(shards[-1], ended_at=unsharded.ended_at)

    merged = merge_results(list(reversed(shards)))

    assert merged == unsharded


def test_merge_later_report_wins() -> None:
    first = make_suite(make_run("a", Verdict.FAILED), make_run("b"), seconds=10)
    rerun = make_suite(make_run("a", Verdict.PASSED), started_at=START + timedelta(minutes=5))

    merged = merge_results([rerun, first])

    assert [(run.name, run.verdict) for run in merged.runs] == [
        ("a", Verdict.PASSED),
        ("b", Verdict.PASSED),
    ]
    assert merged.started_at == START
    assert merged.ended_at == rerun.ended_at


def test_merge_same_end_time_later_argument_wins() -> None:
    one = make_suite(make_run("a", Verdict.FAILED))
    two = make_suite(make_run("a", Verdict.ERROR))

    assert merge_results([one, two]).runs[0].verdict is Verdict.ERROR


def test_merge_started_run_beats_unselected() -> None:
    ran = make_suite(make_run("a", Verdict.FAILED), seconds=10)
    left_out = make_suite(make_run("a", Verdict.SKIPPED, selected=False), seconds=20)

    assert merge_results([ran, left_out]).runs[0].verdict is Verdict.FAILED


def test_merge_complete_only_if_all_complete() -> None:
    done = make_suite(make_run("a"))
    stopped = make_suite(make_run("b"), complete=False, stop_reason="interrupted by Ctrl-C")

    merged = merge_results([done, stopped])

    assert merged.complete is False
    assert merged.stop_reason == "interrupted by Ctrl-C"
    assert merge_results([done, done]).complete is True


def test_merge_rerun_completes_interrupted_run() -> None:
    stopped = make_suite(
        make_run("a"),
        make_run("b", Verdict.ERROR, reason="interrupted; execution e-1 was cancelled"),
        make_run("c", Verdict.SKIPPED, reason="not started: interrupted"),
        complete=False,
        stop_reason="interrupted",
        seconds=10,
    )
    rerun = make_suite(
        make_run("a", Verdict.SKIPPED, selected=False),
        make_run("b"),
        make_run("c"),
        started_at=START + timedelta(minutes=5),
    )

    merged = merge_results([stopped, rerun])

    assert merged.complete is True
    assert merged.stop_reason is None
    assert [run.verdict for run in merged.runs] == [Verdict.PASSED] * 3


def test_merge_partial_rerun_stays_incomplete() -> None:
    stopped = make_suite(
        make_run("b", Verdict.ERROR, reason="interrupted"),
        make_run("c", Verdict.SKIPPED, reason="not started: interrupted"),
        complete=False,
        stop_reason="interrupted",
        seconds=10,
    )
    rerun = make_suite(make_run("b"), started_at=START + timedelta(minutes=5))

    merged = merge_results([stopped, rerun])

    assert merged.complete is False
    assert merged.stop_reason == "interrupted"


def test_merge_lone_incomplete_report_stays_incomplete() -> None:
    stopped = make_suite(make_run("a"), complete=False, stop_reason="interrupted")

    merged = merge_results([stopped, stopped])

    assert merged.complete is False
    assert merged.stop_reason == "interrupted"


def test_merge_unions_job_files_and_urls() -> None:
    one = make_suite(make_run("a"), job_files=(INVOICES,), base_urls=("https://a.test",))
    two = make_suite(
        make_run("b", job_file=LETTERS),
        job_files=(LETTERS, INVOICES),
        base_urls=("https://b.test", "https://a.test"),
    )

    merged = merge_results([one, two])

    assert [job.path for job in merged.job_files] == [INVOICES, LETTERS]
    assert merged.base_urls == ("https://a.test", "https://b.test")


def test_merge_warns_on_changed_job_file(caplog: pytest.LogCaptureFixture) -> None:
    one = make_suite(make_run("a"), seconds=1)
    two = dataclasses.replace(
        one,
        job_files=(dataclasses.replace(one.job_files[0], sha256="ef" * 32),),
        ended_at=START + timedelta(hours=1),
    )

    merged = merge_results([one, two])

    assert merged.job_files[0].sha256 == "ef" * 32
    assert "differs between the merged reports" in caplog.text


def test_merge_warns_on_job_file_named_twice(caplog: pytest.LogCaptureFixture) -> None:
    relative = Path("suites/invoices.yaml")
    absolute = Path("/ci/checkout/suites/invoices.yaml")
    one = make_suite(make_run("a", run_id="r-rel", job_file=relative), job_files=(relative,))
    two = make_suite(make_run("a", run_id="r-abs", job_file=absolute), job_files=(absolute,))

    merged = merge_results([one, two])

    assert len(merged.runs) == 2
    assert len(caplog.records) == 1
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(
            "1 run appears under several ids, for example a from /ci/checkout/suites/invoices.yaml"
            " and suites/invoices.yaml: the reports name the same job file by different paths"
        )
    )


def test_merge_same_paths_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    one = make_suite(make_run("a"), make_run("b", line=9))
    two = make_suite(make_run("a", Verdict.FAILED), started_at=START + timedelta(minutes=1))

    merge_results([one, two])

    assert caplog.records == []


def test_merge_nothing_is_usage_error() -> None:
    with pytest.raises(UsageError, match="no reports to merge"):
        merge_results([])
