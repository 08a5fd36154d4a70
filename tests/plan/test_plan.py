from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.diagnostics import Location
from flowspec.errors import SpecError
from flowspec.plan import EXECUTIONS_PATH, START_PATH, plan_as_json, plan_runs, resolve_mode, run_id
from flowspec.spec.model import Entry, JobFile, PluginInput, RunSettings, Server, XmlInput

JOB_PATH = Path("suites/nightly.yaml")


def make_job(*entries: Entry, path: Path = JOB_PATH, order: str = "sequential") -> JobFile:
    return JobFile(
        path=path,
        sha256="0" * 64,
        name=path.stem,
        server=Server(base_url="http://127.0.0.1:1", auth=None, location=Location(str(path), 2)),
        run=RunSettings(order=order),  # type: ignore[arg-type]
        entries=entries,
    )


def make_entry(name: str, line: int = 5, **fields: object) -> Entry:
    return Entry(name=name, flow=f"flow-{name}", location=Location(str(JOB_PATH), line), **fields)  # type: ignore[arg-type]


def xml_input(pattern: str, *files: str) -> XmlInput:
    return XmlInput(
        pattern=pattern,
        files=tuple(Path(file) for file in files),
        schema=None,
        location=Location(str(JOB_PATH), 9),
    )


PLUGIN = PluginInput(
    dataset="ds-1",
    entity="account",
    ids=("A-1", "A-2"),
    user="u-17",
    organization=None,
    location=Location(str(JOB_PATH), 12),
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, "none", id="no-input"),
        pytest.param({"input": PLUGIN}, "plugin", id="plugin-payload"),
        pytest.param({"input": xml_input("in/*.xml", "suites/in/a.xml")}, "xml", id="xml"),
        pytest.param({"skip_user_input": True}, "start", id="skip-user-input"),
        pytest.param(
            {"skip_user_input": True, "input": PLUGIN}, "start", id="skip-wins-over-plugin"
        ),
        pytest.param({"mode": "start", "input": PLUGIN}, "start", id="explicit-mode"),
        pytest.param({"mode": "none", "input": PLUGIN}, "none", id="explicit-beats-input"),
    ],
)
def test_resolve_mode(fields: dict[str, object], expected: str) -> None:
    assert resolve_mode(make_entry("e", **fields)) == expected


def test_plan_none_mode_endpoint() -> None:
    [run] = plan_runs([make_job(make_entry("letter"))])

    assert run.method == "POST"
    assert run.endpoint == f"{EXECUTIONS_PATH}?flowId=flow-letter"
    assert run.name == "nightly/letter"
    assert run.input_file is None


def test_plan_plugin_mode_sends_dataset() -> None:
    [run] = plan_runs([make_job(make_entry("pack", input=PLUGIN))])

    assert run.mode == "plugin"
    assert run.query == {"flowId": "flow-pack", "datasetId": "ds-1"}
    assert run.path == EXECUTIONS_PATH


def test_plan_start_mode_with_plugin_keeps_dataset() -> None:
    [run] = plan_runs([make_job(make_entry("pack", input=PLUGIN, mode="start"))])

    assert run.path == START_PATH
    assert run.query["datasetId"] == "ds-1"


def test_plan_xml_glob_expands_one_run_per_file() -> None:
    entry = make_entry(
        "invoices",
        input=xml_input("inputs/*/*.xml", "suites/inputs/a/one.xml", "suites/inputs/b/two.xml"),
    )

    runs = plan_runs([make_job(entry)])

    assert [run.name for run in runs] == [
        "nightly/invoices[a/one.xml]",
        "nightly/invoices[b/two.xml]",
    ]
    assert [run.input_file for run in runs] == [
        Path("suites/inputs/a/one.xml"),
        Path("suites/inputs/b/two.xml"),
    ]
    assert len({run.id for run in runs}) == 2


def test_plan_input_outside_glob_folder_uses_file_name() -> None:
    entry = make_entry("invoices", input=xml_input("inputs/*.xml", "elsewhere/x.xml"))

    [run] = plan_runs([make_job(entry)])

    assert run.name == "nightly/invoices[x.xml]"


def test_plan_after_resolves_to_all_runs_of_entry() -> None:
    invoices = make_entry(
        "invoices", input=xml_input("in/*.xml", "suites/in/a.xml", "suites/in/b.xml")
    )
    form = make_entry("form", after=("invoices",))

    runs = plan_runs([make_job(invoices, form, order="parallel")])

    assert runs[2].after == (runs[0].id, runs[1].id)
    assert runs[0].after == ()


def test_plan_keeps_file_order_across_job_files() -> None:
    first = make_job(make_entry("b"), make_entry("a"), path=Path("one.yaml"))
    second = make_job(make_entry("c"), path=Path("two.yaml"))

    runs = plan_runs([first, second])

    assert [run.name for run in runs] == ["one/b", "one/a", "two/c"]


def test_plan_unknown_after_is_located_error() -> None:
    entry = make_entry("form", line=7, after=("missing",))

    with pytest.raises(SpecError) as caught:
        plan_runs([make_job(make_entry("letter"), entry)])

    [diagnostic] = caught.value.diagnostics
    assert str(diagnostic.location) == "suites/nightly.yaml:7"
    assert "'missing'" in diagnostic.message
    assert diagnostic.hint == "use one of: letter"


def test_plan_after_cycle_is_error() -> None:
    first = make_entry("a", line=3, after=("b",))
    second = make_entry("b", line=8, after=("a",))

    with pytest.raises(SpecError) as caught:
        plan_runs([make_job(first, second)])

    messages = [diagnostic.message for diagnostic in caught.value.diagnostics]
    assert "entry 'a' waits for itself: a -> b -> a" in messages
    assert "entry 'b' waits for itself: b -> a -> b" in messages


def test_plan_as_json_shape() -> None:
    [run] = plan_runs([make_job(make_entry("pack", line=11, input=PLUGIN))])

    document = plan_as_json([run])

    assert document["version"] == 1
    assert document["runs"][0] == {
        "id": run.id,
        "name": "nightly/pack",
        "job_file": "suites/nightly.yaml",
        "line": 11,
        "entry": "pack",
        "flow": "flow-pack",
        "mode": "plugin",
        "method": "POST",
        "endpoint": f"{EXECUTIONS_PATH}?flowId=flow-pack&datasetId=ds-1",
        "input": "account A-1, A-2 as u-17",
        "order": "sequential",
        "after": [],
    }


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
# One path segment: no separator, no NUL (which no file name holds), not "." or "..".
segments = names.filter(lambda name: not {"/", "\0"} & set(name) and name not in (".", ".."))


@given(entry=names, first=segments, second=segments)
def test_run_id_differs_by_input(entry: str, first: str, second: str) -> None:
    same = run_id(JOB_PATH, entry, Path(first)) == run_id(JOB_PATH, entry, Path(second))
    assert same == (first == second)


def test_run_id_same_for_every_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "inputs").mkdir()
    monkeypatch.chdir(tmp_path)
    spellings = [
        (Path("suite.yaml"), Path("inputs/a.xml")),
        (Path("./suite.yaml"), Path("./inputs/../inputs/a.xml")),
        (tmp_path / "suite.yaml", tmp_path / "inputs" / "a.xml"),
    ]

    ids = {run_id(job_file, "invoices", input_file) for job_file, input_file in spellings}

    assert len(ids) == 1
    assert ids != {run_id(Path("other.yaml"), "invoices", Path("inputs/a.xml"))}


def test_run_id_relative_to_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path)
    from_root = run_id(Path("ci/suite.yaml"), "letter", None)
    monkeypatch.chdir(tmp_path / "ci")

    from_ci = run_id(Path("suite.yaml"), "letter", None)

    assert from_root != from_ci
    assert from_ci == run_id(tmp_path / "ci" / "suite.yaml", "letter", None)
