from __future__ import annotations

import pytest
from report_support import document, make_run, make_suite

from flowspec.report.markdown import (
    code_block,
    escape_inline,
    render_markdown,
    render_step_summary,
)
from flowspec.results import Verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a | b", "a \\| b", id="pipe"),
        pytest.param("`code`", "\\`code\\`", id="backticks"),
        pytest.param("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;", id="html"),
        pytest.param("one\ntwo\r\nthree", "one<br>two<br>three", id="newlines"),
        pytest.param("*bold* [link](x)", "\\*bold\\* \\[link\\](x)", id="markup"),
        pytest.param("tom & jerry", "tom &amp; jerry", id="ampersand"),
        pytest.param("\x1b[31mred", "\\\\x1b\\[31mred", id="escape-sequence"),
        pytest.param("Grüße ☃", "Grüße ☃", id="non-ascii"),
    ],
)
def test_escape_inline(text: str, expected: str) -> None:
    assert escape_inline(text) == expected


def test_code_block_fence_outlasts_backticks() -> None:
    block = code_block("before\n`````\nafter")
    assert block.startswith("``````text\n")
    assert block.endswith("\n``````")


def test_markdown_table_row_per_run() -> None:
    result = make_suite(
        make_run("invoices/a | b", Verdict.PASSED, status="Success", documents=(document(),)),
        make_run("invoices/c", Verdict.TIMED_OUT, status="Running", total_seconds=600),
    )
    lines = render_markdown(result).splitlines()

    assert "| invoices/a \\| b | passed | Success | 0.00 s | 1 |" in lines
    assert "| invoices/c | **TIMED OUT** | Running | 10 min 00 s | 0 |" in lines
    assert "## invoices (suites/invoices.yaml)" in lines


def test_markdown_totals_line() -> None:
    result = make_suite(make_run("a"), make_run("b", Verdict.FAILED))
    totals = render_markdown(result).splitlines()[2]

    assert totals.startswith(
        "**FAILED**: 2 runs (1 passed, 1 failed, 0 error, 0 timed out, 0 skipped)"
    )
    assert "in 1 min 15 s" in totals


def test_markdown_details_only_for_runs_not_passed() -> None:
    result = make_suite(
        make_run("good", Verdict.PASSED, messages=("fine",)),
        make_run(
            "bad",
            Verdict.ERROR,
            reason="XML rejected <b>",
            execution_id="6de9206a",
            messages=("cvc-complex-type: ```", "second"),
        ),
    )
    text = render_markdown(result)
    details = text.split("## Runs that did not pass", 1)[1]

    assert "### **ERROR**: bad" in details
    assert "- reason: XML rejected &lt;b&gt;" in details
    assert "- execution id: 6de9206a" in details
    assert "````text\ncvc-complex-type: ```\nsecond\n````" in details
    assert "good" not in details


def test_markdown_all_passed_has_no_details() -> None:
    text = render_markdown(make_suite(make_run("a"), make_run("b")))

    assert text.splitlines()[2].startswith("**PASSED**")
    assert "did not pass" not in text


def test_markdown_incomplete_run_warns_at_top() -> None:
    result = make_suite(make_run("a"), complete=False, stop_reason="server unreachable")
    lines = render_markdown(result).splitlines()

    assert lines[2] == "> [!WARNING]"
    assert lines[3] == "> **Incomplete run**: stopped early: server unreachable."
    assert lines[6].startswith("**FAILED**")


def test_markdown_long_messages_are_cut() -> None:
    message = "y" * 100_000
    text = render_markdown(make_suite(make_run("big", Verdict.FAILED, messages=(message,))))

    assert len(text) < 5_000
    assert "(98000 more characters)" in text


def test_markdown_keeps_last_messages() -> None:
    messages = tuple(f"message {number}" for number in range(30))
    text = render_markdown(make_suite(make_run("chatty", Verdict.FAILED, messages=messages)))

    assert "Last 20 server messages:" in text
    assert "message 29" in text
    assert "message 9\n" not in text


def test_markdown_leaves_out_unselected_runs() -> None:
    result = make_suite(
        make_run("mine"),
        make_run("other", Verdict.SKIPPED, selected=False),
        make_run("third", Verdict.SKIPPED, selected=False),
    )
    text = render_markdown(result)

    assert "1 run (1 passed, 0 failed, 0 error, 0 timed out, 0 skipped)" in text
    assert "2 runs left out by --shard or --rerun-failed are not listed." in text
    assert "other" not in text


def test_step_summary_small_result_is_whole() -> None:
    result = make_suite(make_run("a"), make_run("b", Verdict.FAILED))

    assert render_step_summary(result) == render_markdown(result)


@pytest.mark.parametrize("limit", [3000, 6000, 20000])
def test_step_summary_fits_limit(limit: int) -> None:
    runs = [make_run(f"passed-{number}") for number in range(200)]
    runs += [
        make_run(f"broken-{number}", Verdict.FAILED, messages=("x" * 500,)) for number in range(40)
    ]
    result = make_suite(*runs)

    text = render_step_summary(result, limit=limit)

    assert len(text.encode("utf-8")) <= limit
    assert "**FAILED**: 240 runs (200 passed, 40 failed" in text
    assert "The tables of runs are left out" in text
    assert "| passed-0 |" not in text
    shown = text.count("### **FAILED**")
    assert 0 < shown < 40
    assert f"{40 - shown} more runs that did not pass are left out" in text


def test_step_summary_keeps_every_detail_that_fits() -> None:
    runs = [make_run(f"passed-{number}") for number in range(300)]
    runs.append(make_run("broken", Verdict.ERROR, reason="boom"))
    result = make_suite(*runs)

    text = render_step_summary(result, limit=4000)

    assert "### **ERROR**: broken" in text
    assert "left out; the reports list them" not in text
