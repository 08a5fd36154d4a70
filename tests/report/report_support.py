"""Builders, hypothesis strategies and validators shared by the report tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import strategies as st
from lxml import etree

from flowspec.plan import Run
from flowspec.results import DocumentResult, JobFileInfo, RunResult, SuiteResult, Verdict

REPO = Path(__file__).resolve().parents[2]
JUNIT_XSD = REPO / "tests" / "junit" / "junit.xsd"
REPORT_SCHEMA = REPO / "schemas" / "report.schema.json"

START = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
JOB = Path("suites/invoices.yaml")
HOSTILE = (
    "\x00\x01\x08\x0b\x0c\x1b[31m\x7f",
    "]]>",
    "<script>alert(1)</script>",
    "a | b || c",
    "``` `code` ````",
    "Grüße, 日本語, ☃, 𝄞",
    "line one\nline two\r\nline three",
    "\ufffe\uffff",
    "-- comment -->",
    "&amp; &lt;",
)


@cache
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(JUNIT_XSD)))


def assert_valid_junit(data: bytes) -> etree._Element:
    """Parse JUnit bytes and assert they are valid against the test XSD; return the root."""
    root = etree.fromstring(data)
    schema = junit_schema()
    assert schema.validate(root), str(schema.error_log)
    return root


@cache
def report_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid_json_report(data: bytes) -> dict[str, Any]:
    """Parse a JSON report and assert it is valid against the report schema; return it."""
    document: dict[str, Any] = json.loads(data.decode("utf-8"))
    report_validator().validate(document)
    return document


def make_run(
    name: str = "invoices/acme",
    verdict: Verdict = Verdict.PASSED,
    *,
    run_id: str | None = None,
    job_file: Path = JOB,
    line: int = 7,
    **fields: Any,
) -> RunResult:
    return RunResult(
        run_id=run_id or f"id-{name}",
        name=name,
        job_file=job_file,
        line=line,
        flow="8d1f0c2e",
        mode="xml",
        verdict=verdict,
        **fields,
    )


def make_suite(
    *runs: RunResult,
    job_files: Sequence[Path] = (JOB,),
    started_at: datetime = START,
    seconds: float = 75.0,
    base_urls: tuple[str, ...] = ("https://flows.example.test/api",),
    **fields: Any,
) -> SuiteResult:
    return SuiteResult(
        flowspec_version="0.1.0",
        started_at=started_at,
        ended_at=started_at + timedelta(seconds=seconds),
        job_files=tuple(JobFileInfo(path, "ab" * 32, path.stem) for path in job_files),
        base_urls=base_urls,
        runs=runs,
        **fields,
    )


def document(name: str = "letter.pdf") -> DocumentResult:
    return DocumentResult(
        id=f"doc-{name}",
        name=name,
        content_type="application/pdf",
        size=1234,
        sha256="cd" * 32,
        path=Path("out") / name,
    )


def results_for_plan(runs: Sequence[Run], verdicts: dict[str, Verdict]) -> list[RunResult]:
    """Build the result of each planned run, with the verdict ``verdicts`` gives its name."""
    return [
        make_run(
            run.name,
            verdicts.get(run.name, Verdict.PASSED),
            run_id=run.id,
            job_file=run.job.path,
            line=run.entry.location.line or 0,
        )
        for run in runs
    ]


# Strategies: any text hypothesis draws (control characters included, lone
# surrogates excluded because UTF-8 cannot hold them), mixed with known-hostile pieces.
hostile_text = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE)), max_size=4).map(
    "".join
)
sha256 = st.text("0123456789abcdef", min_size=64, max_size=64)
paths = st.from_regex(r"[a-z0-9_]{1,8}(/[a-z0-9_.-]{1,8}){0,2}", fullmatch=True).map(Path)
seconds = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
optional_text = st.none() | hostile_text
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)

documents = st.builds(
    DocumentResult,
    id=hostile_text,
    name=hostile_text,
    content_type=optional_text,
    size=st.integers(min_value=0, max_value=2**40),
    sha256=sha256,
    path=st.none() | paths,
)

run_results = st.builds(
    RunResult,
    run_id=st.text(min_size=1, max_size=20),
    name=hostile_text,
    job_file=paths,
    line=st.integers(min_value=0, max_value=10**6),
    flow=hostile_text,
    mode=st.sampled_from(["none", "xml", "plugin", "start"]),
    verdict=st.sampled_from(Verdict),
    reason=optional_text,
    input_file=st.none() | paths,
    input_sha256=st.none() | sha256,
    execution_id=optional_text,
    attempts=st.integers(min_value=0, max_value=50),
    status=optional_text,
    expected_statuses=st.lists(hostile_text, max_size=3).map(tuple),
    expected_documents=st.none() | st.integers(min_value=0, max_value=100),
    queued_seconds=seconds,
    running_seconds=seconds,
    total_seconds=seconds,
    messages=st.lists(hostile_text, max_size=4).map(tuple),
    documents=st.lists(documents, max_size=3).map(tuple),
    selected=st.booleans(),
)


@st.composite
def suite_results(draw: st.DrawFn) -> SuiteResult:
    started = draw(moments)
    # A suite never contains two runs with one id: the engine keeps its results by id.
    runs = draw(st.lists(run_results, max_size=6, unique_by=lambda run: run.run_id).map(tuple))
    job_paths = list(
        dict.fromkeys([run.job_file for run in runs] + draw(st.lists(paths, max_size=2)))
    )
    complete = draw(st.booleans())
    return SuiteResult(
        flowspec_version=draw(st.text(min_size=1, max_size=10)),
        started_at=started,
        ended_at=started + timedelta(seconds=draw(seconds)),
        job_files=tuple(JobFileInfo(path, draw(sha256), draw(hostile_text)) for path in job_paths),
        base_urls=tuple(
            draw(
                st.lists(st.sampled_from(["https://a.test", "http://127.0.0.1:8080/x"]), max_size=2)
            )
        ),
        runs=runs,
        complete=complete,
        stop_reason=None if complete else draw(optional_text),
    )
