"""The JUnit XML report, in the Ant/Jenkins shape that Jenkins, GitLab and GitHub reporters read.

One ``<testsuite>`` per job file, one ``<testcase>`` per run. Every text and
attribute passes through ``xml_safe`` because run names, reasons and server
messages may hold characters XML 1.0 forbids. lxml escapes ``<``, ``&`` and
``]]>`` itself, so no CDATA section is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from flowspec.report._details import (
    describe_document,
    describe_run,
    verdict_reason,
    without_unselected,
)
from flowspec.report._text import shorten, strip_userinfo, xml_safe
from flowspec.report.jsonreport import as_utc
from flowspec.results import RunResult, SuiteResult, Verdict

# Reporters show the message attribute on one line; the element text keeps the whole reason.
_MESSAGE_LIMIT = 1000


def _seconds(value: float) -> str:
    # JUnit readers parse time as a non-negative decimal, so a clock step backwards reads as 0.
    return f"{max(value, 0.0):.3f}"


def _set(element: etree._Element, name: str, value: str) -> None:
    element.set(name, xml_safe(value))


def _comment_text(text: str) -> str:
    # XML comments may not contain "--" nor end with "-".
    text = xml_safe(text)
    while "--" in text:
        text = text.replace("--", "- -")
    return f" {text} "


def _group_by_job_file(result: SuiteResult) -> dict[Path, list[RunResult]]:
    groups: dict[Path, list[RunResult]] = {job.path: [] for job in result.job_files}
    for run in result.runs:
        groups.setdefault(run.job_file, []).append(run)
    return groups


def _count(runs: Iterable[RunResult], *verdicts: Verdict) -> str:
    return str(sum(1 for run in runs if run.verdict in verdicts))


def _outcome(testcase: etree._Element, run: RunResult) -> None:
    if run.verdict is Verdict.PASSED:
        return

    message = shorten(verdict_reason(run), _MESSAGE_LIMIT)
    if run.verdict is Verdict.SKIPPED:
        skipped = etree.SubElement(testcase, "skipped")
        _set(skipped, "message", message)
        return

    tag = "failure" if run.verdict is Verdict.FAILED else "error"
    outcome = etree.SubElement(testcase, tag)
    _set(outcome, "message", message)
    _set(outcome, "type", run.verdict.value)
    outcome.text = xml_safe("\n".join(describe_run(run)))


def _system_out(run: RunResult) -> str:
    lines: list[str] = []
    if run.execution_id:
        lines.append(f"execution id: {run.execution_id}")
    if run.messages:
        lines.append("messages:")
        lines.extend(f"  {message}" for message in run.messages)
    if run.documents:
        lines.append("documents:")
        lines.extend(f"  {describe_document(document)}" for document in run.documents)
    return "\n".join(lines)


def _testcase(parent: etree._Element, run: RunResult) -> None:
    testcase = etree.SubElement(parent, "testcase")
    _set(testcase, "classname", run.job_file.stem)
    _set(testcase, "name", run.name)
    _set(testcase, "time", _seconds(run.total_seconds))
    _set(testcase, "file", run.job_file.as_posix())
    _set(testcase, "line", str(run.line))
    _outcome(testcase, run)

    output = _system_out(run)
    if output:
        etree.SubElement(testcase, "system-out").text = xml_safe(output)


def _properties(parent: etree._Element, result: SuiteResult, job_file: Path) -> None:
    properties = etree.SubElement(parent, "properties")
    values = [("flowspec.version", result.flowspec_version), ("job_file", job_file.as_posix())]
    values += [("job_file.sha256", job.sha256) for job in result.job_files if job.path == job_file]
    values += [("base_url", strip_userinfo(url)) for url in result.base_urls]
    values.append(("complete", "true" if result.complete else "false"))
    if result.stop_reason:
        values.append(("stop_reason", result.stop_reason))
    for name, value in values:
        prop = etree.SubElement(properties, "property")
        _set(prop, "name", name)
        _set(prop, "value", value)


def _testsuite(
    parent: etree._Element, result: SuiteResult, job_file: Path, runs: list[RunResult]
) -> None:
    suite = etree.SubElement(parent, "testsuite")
    _set(suite, "name", job_file.stem)
    _set(suite, "tests", str(len(runs)))
    _set(suite, "failures", _count(runs, Verdict.FAILED))
    _set(suite, "errors", _count(runs, Verdict.ERROR, Verdict.TIMED_OUT))
    _set(suite, "skipped", _count(runs, Verdict.SKIPPED))
    _set(suite, "time", _seconds(sum(run.total_seconds for run in runs)))
    started = as_utc(result.started_at).replace(tzinfo=None, microsecond=0)
    _set(suite, "timestamp", started.isoformat())
    _properties(suite, result, job_file)
    for run in runs:
        _testcase(suite, run)


def to_element(result: SuiteResult) -> etree._Element:
    """Build the ``<testsuites>`` element of ``result``, leaving out runs that were not selected."""
    result, _ = without_unselected(result)
    root = etree.Element("testsuites")
    _set(root, "name", "flowspec")
    _set(root, "tests", str(len(result.runs)))
    _set(root, "failures", _count(result.runs, Verdict.FAILED))
    _set(root, "errors", _count(result.runs, Verdict.ERROR, Verdict.TIMED_OUT))
    _set(root, "skipped", _count(result.runs, Verdict.SKIPPED))
    elapsed = as_utc(result.ended_at) - as_utc(result.started_at)
    _set(root, "time", _seconds(max(elapsed.total_seconds(), 0.0)))
    if not result.complete:
        reason = result.stop_reason or "no reason recorded"
        root.append(etree.Comment(_comment_text(f"INCOMPLETE RUN: stopped early: {reason}")))

    for job_file, runs in _group_by_job_file(result).items():
        _testsuite(root, result, job_file, runs)
    return root


class JUnitReportWriter:
    """Writes the JUnit XML report."""

    description = "JUnit XML for CI test reporters (Jenkins, GitLab, GitHub)"

    def render(self, result: SuiteResult) -> bytes:
        """Render ``result`` as a JUnit XML document, UTF-8 with an XML declaration."""
        root = to_element(result)
        data: bytes = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", pretty_print=True
        )
        return data
