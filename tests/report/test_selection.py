from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_support import make_run, make_suite

from flowspec.diagnostics import Location
from flowspec.errors import UsageError
from flowspec.plan import Run
from flowspec.results import Verdict
from flowspec.selection import (
    failed_run_ids,
    parse_shard,
    select_rerun,
    select_shard,
    shard_of,
)
from flowspec.spec.model import Entry, JobFile, RunSettings, Server

JOB = JobFile(
    path=Path("suites/nightly.yaml"),
    sha256="0" * 64,
    name="nightly",
    server=Server(base_url="http://127.0.0.1:1", auth=None, location=Location("nightly.yaml", 2)),
    run=RunSettings(),
    entries=(),
)
ENTRY = Entry(name="entry", flow="flow-1", location=Location("nightly.yaml", 5))


def make_plan_run(run_id: str, after: tuple[str, ...] = ()) -> Run:
    return Run(
        id=run_id,
        name=f"nightly/{run_id}",
        job=JOB,
        entry=ENTRY,
        mode="none",
        method="POST",
        path="/api/v1/flows/executions",
        query={},
        input_file=None,
        after=after,
    )


@st.composite
def plans(draw: st.DrawFn) -> list[Run]:
    ids = draw(st.lists(st.text(min_size=1, max_size=12), unique=True, max_size=40))
    runs = []
    for number, run_id in enumerate(ids):
        earlier = ids[:number]
        after = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        runs.append(make_plan_run(run_id, tuple(after)))
    return runs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2/4", (2, 4), id="plain"),
        pytest.param(" 1 / 1 ", (1, 1), id="spaces"),
        pytest.param("8/8", (8, 8), id="last"),
    ],
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("0/4", "invalid shard 0/4: K must be between 1 and 4, like 1/4", id="zero"),
        pytest.param("5/4", "invalid shard 5/4: K must be between 1 and 4, like 1/4", id="too-big"),
        pytest.param(
            "a/b", "invalid shard 'a/b': expected K/N with whole numbers, like 2/4", id="letters"
        ),
        pytest.param(
            "1/0", "invalid shard 1/0: the number of shards N must be 1 or more", id="no-shards"
        ),
        pytest.param("-1/4", "invalid shard '-1/4': expected K/N", id="negative"),
        pytest.param("2/4/8", "invalid shard '2/4/8': expected K/N", id="three-parts"),
        pytest.param("٢/٤", "invalid shard '٢/٤': expected K/N", id="arabic-digits"),
    ],
)
def test_parse_shard_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_shard(text)
    assert str(caught.value).startswith(message)


def test_shard_of_is_stable() -> None:
    # Fixed values: a change here moves runs between shards on every CI setup.
    assert [shard_of(key, 4) for key in ("a", "b", "c", "0123456789abcdef")] == [3, 3, 3, 1]


@given(runs=plans())
def test_every_run_in_exactly_one_shard(runs: list[Run]) -> None:
    for total in range(1, 9):
        shards = [select_shard(runs, index, total) for index in range(1, total + 1)]
        placed = [run.id for shard in shards for run in shard]
        assert sorted(placed) == sorted(run.id for run in runs)


@given(runs=plans(), total=st.integers(min_value=1, max_value=8))
def test_shard_keeps_dependencies_together(runs: list[Run], total: int) -> None:
    for index in range(1, total + 1):
        shard_ids = {run.id for run in select_shard(runs, index, total)}
        for run in runs:
            if run.id in shard_ids:
                assert set(run.after) <= shard_ids


def test_select_shard_keeps_plan_order() -> None:
    runs = [make_plan_run(f"run-{number}") for number in range(50)]
    for index in (1, 2, 3):
        shard = select_shard(runs, index, 3)
        assert shard == sorted(shard, key=runs.index)


def test_select_shard_spreads_runs() -> None:
    runs = [make_plan_run(f"run-{number}") for number in range(400)]
    sizes = [len(select_shard(runs, index, 4)) for index in range(1, 5)]
    assert min(sizes) > 70


def test_select_shard_rejects_bad_index() -> None:
    with pytest.raises(UsageError, match="K must be between 1 and 2"):
        select_shard([], 3, 2)


def test_failed_run_ids_skips_unselected() -> None:
    report = make_suite(
        make_run("a", Verdict.PASSED),
        make_run("b", Verdict.FAILED),
        make_run("c", Verdict.ERROR),
        make_run("d", Verdict.TIMED_OUT),
        make_run("e", Verdict.SKIPPED, reason="after: b failed"),
        make_run("f", Verdict.SKIPPED, selected=False),
    )
    assert failed_run_ids(report) == {"id-b", "id-c", "id-d", "id-e"}


def test_select_rerun_exactly_failed_runs() -> None:
    runs = [make_plan_run("a"), make_plan_run("b", ("a",)), make_plan_run("c")]
    report = make_suite(
        make_run("a", run_id="a"),
        make_run("b", Verdict.FAILED, run_id="b"),
        make_run("c", Verdict.ERROR, run_id="c"),
    )
    assert [run.id for run in select_rerun(runs, failed_run_ids(report))] == ["b", "c"]


def test_select_rerun_ignores_unknown_ids(caplog: pytest.LogCaptureFixture) -> None:
    selected = select_rerun([make_plan_run("a")], {"a", "gone"})

    assert [run.id for run in selected] == ["a"]
    assert "1 failed run(s) from the report are no longer in the job files: gone" in caplog.text


def test_select_rerun_no_match_is_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        select_rerun([make_plan_run("a")], {"gone-1", "gone-2"})

    assert str(caught.value).startswith(
        "none of the 2 runs that did not pass in the report is in these job files;"
    )


def test_select_rerun_nothing_failed_selects_nothing() -> None:
    assert select_rerun([make_plan_run("a")], set()) == []
