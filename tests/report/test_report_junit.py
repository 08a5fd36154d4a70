from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import etree
from report_support import (
    HOSTILE,
    assert_valid_junit,
    document,
    make_run,
    make_suite,
    suite_results,
)

from flowspec.report import REPORT_WRITERS
from flowspec.report._text import xml_safe
from flowspec.results import SuiteResult, Verdict

RENDER = REPORT_WRITERS["junit"].render


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(result=suite_results())
def test_junit_valid_for_any_result(result: SuiteResult) -> None:
    root = assert_valid_junit(RENDER(result))
    selected = [run for run in result.runs if run.selected]

    assert int(root.get("tests")) == len(selected)
    assert len(root.findall("testsuite/testcase")) == len(selected)


@pytest.mark.parametrize(
    "text", [pytest.param(text, id=f"hostile-{n}") for n, text in enumerate(HOSTILE)]
)
def test_junit_hostile_text_survives(text: str) -> None:
    run = make_run(
        f"name {text}", Verdict.FAILED, reason=f"reason {text}", messages=(f"said {text}",)
    )
    root = assert_valid_junit(RENDER(make_suite(run)))

    testcase = root.find("testsuite/testcase")
    assert testcase.get("name") == xml_safe(f"name {text}")
    assert testcase.find("failure").get("message") == xml_safe(f"reason {text}")
    assert xml_safe(f"said {text}") in testcase.findtext("system-out")


def test_junit_escapes_forbidden_characters() -> None:
    run = make_run("bell\x07 and escape\x1b", Verdict.PASSED)
    root = assert_valid_junit(RENDER(make_suite(run)))

    assert root.find("testsuite/testcase").get("name") == "bell\\x07 and escape\\x1b"


def test_junit_long_message_cut_in_attribute_only() -> None:
    reason = "x" * 100_000
    root = assert_valid_junit(RENDER(make_suite(make_run("big", Verdict.ERROR, reason=reason))))

    error = root.find("testsuite/testcase/error")
    assert len(error.get("message")) < 1100
    assert reason in error.text


@pytest.mark.parametrize(
    ("verdict", "tag", "kind"),
    [
        pytest.param(Verdict.FAILED, "failure", "failed", id="failed"),
        pytest.param(Verdict.ERROR, "error", "error", id="error"),
        pytest.param(Verdict.TIMED_OUT, "error", "timed out", id="timed-out"),
        pytest.param(Verdict.SKIPPED, "skipped", None, id="skipped"),
    ],
)
def test_junit_outcome_element(verdict: Verdict, tag: str, kind: str | None) -> None:
    run = make_run("one", verdict, reason="because", status="Error", execution_id="ex-1")
    testcase = assert_valid_junit(RENDER(make_suite(run))).find("testsuite/testcase")

    outcome = testcase.find(tag)
    assert outcome is not None
    assert outcome.get("message") == "because"
    assert outcome.get("type") == kind
    assert len(testcase) == 2  # the outcome and system-out with the execution id


def test_junit_passed_run_has_no_outcome() -> None:
    testcase = assert_valid_junit(RENDER(make_suite(make_run("ok")))).find("testsuite/testcase")
    assert len(testcase) == 0


def test_junit_one_testsuite_per_job_file() -> None:
    other = Path("suites/letters.yaml")
    result = make_suite(
        make_run("invoices/a", Verdict.FAILED),
        make_run("letters/b", Verdict.TIMED_OUT, job_file=other, total_seconds=2.5),
        make_run("letters/c", Verdict.SKIPPED, job_file=other, total_seconds=0.5),
        job_files=(Path("suites/invoices.yaml"), other),
    )
    suites = assert_valid_junit(RENDER(result)).findall("testsuite")

    assert [suite.get("name") for suite in suites] == ["invoices", "letters"]
    invoices = suites[0]
    assert [invoices.get(name) for name in ("tests", "failures", "errors", "skipped", "time")] == [
        "1",
        "1",
        "0",
        "0",
        "0.000",
    ]
    letters = suites[1]
    assert [letters.get(name) for name in ("tests", "failures", "errors", "skipped", "time")] == [
        "2",
        "0",
        "1",
        "1",
        "3.000",
    ]
    assert letters.get("timestamp") == "2026-03-01T08:30:00"


def test_junit_testcase_attributes() -> None:
    run = make_run("invoices/acme", line=12, total_seconds=1.2345, documents=(document(),))
    testcase = assert_valid_junit(RENDER(make_suite(run))).find("testsuite/testcase")

    assert testcase.attrib == {
        "classname": "invoices",
        "name": "invoices/acme",
        "time": "1.234",
        "file": "suites/invoices.yaml",
        "line": "12",
    }
    assert "letter.pdf (application/pdf, 1234 bytes" in testcase.findtext("system-out")


def test_junit_incomplete_run_says_so() -> None:
    result = make_suite(make_run("a"), complete=False, stop_reason="server error -- 503")
    root = assert_valid_junit(RENDER(result))

    comment = root[0]
    assert comment.tag is etree.Comment
    assert "INCOMPLETE RUN: stopped early: server error - - 503" in comment.text
    properties = {prop.get("name"): prop.get("value") for prop in root.iter("property")}
    assert properties["complete"] == "false"
    assert properties["stop_reason"] == "server error -- 503"


def test_junit_strips_url_credentials() -> None:
    data = RENDER(make_suite(base_urls=("https://bot:s3cret@flows.example.test/",)))
    assert b"s3cret" not in data


def test_junit_leaves_out_unselected_runs() -> None:
    result = make_suite(
        make_run("mine", Verdict.FAILED), make_run("other", Verdict.SKIPPED, selected=False)
    )
    root = assert_valid_junit(RENDER(result))

    assert [testcase.get("name") for testcase in root.iter("testcase")] == ["mine"]
    assert root.find("testsuite").get("skipped") == "0"


def test_junit_escapes_lone_surrogate() -> None:
    root = assert_valid_junit(RENDER(make_suite(make_run("bad \ud800 name", Verdict.FAILED))))
    assert root.find("testsuite/testcase").get("name") == "bad \\ud800 name"


def test_junit_negative_time_reads_as_zero() -> None:
    root = assert_valid_junit(RENDER(make_suite(make_run("a", total_seconds=-0.5))))
    assert root.find("testsuite/testcase").get("time") == "0.000"
