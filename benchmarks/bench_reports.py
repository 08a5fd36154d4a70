"""Report writing and reading on a large suite, each beside the bare serializer it builds on.

Builds a ``SuiteResult`` of 5,000 runs (a tenth of them failed with server
messages, every run with one document) and times, best of ``--repeat``:

- each writer's ``render`` against ``json.dumps`` of the same JSON document,
- ``read_report`` (JSON parsing, schema validation, rebuilding the result)
  against ``json.loads`` of the same file, and the two schema checks alone
  (jsonschema, and the compiled check that spares it on valid reports),
- ``select_shard`` for 8 shards, for scale.

    python benchmarks/bench_reports.py [--runs 5000] [--repeat 5]

Prints a Markdown table with seconds and ratios to ``json.dumps``/``json.loads``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import timeit
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flowspec.diagnostics import Location
from flowspec.plan import Run
from flowspec.report import REPORT_WRITERS, read_report
from flowspec.report.jsonreport import to_document
from flowspec.report.reading import _validator, is_valid_report
from flowspec.results import DocumentResult, JobFileInfo, RunResult, SuiteResult, Verdict
from flowspec.selection import select_shard
from flowspec.spec.model import Entry, JobFile, RunSettings, Server

JOB = Path("suites/bench.yaml")
START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def build_result(count: int) -> SuiteResult:
    """Build a result of ``count`` runs. Every tenth run failed with server messages."""
    runs = []
    for index in range(count):
        failed = index % 10 == 0
        runs.append(
            RunResult(
                run_id=f"{index:016x}",
                name=f"bench/entry-{index}[input-{index}.xml]",
                job_file=JOB,
                line=10 + index,
                flow="8d1f4c52",
                mode="xml",
                verdict=Verdict.FAILED if failed else Verdict.PASSED,
                reason="status Error, expected Success" if failed else None,
                input_file=Path(f"inputs/input-{index}.xml"),
                input_sha256="ab" * 32,
                execution_id=f"exec-{index}",
                attempts=1,
                status="Error" if failed else "Success",
                expected_statuses=("Success",),
                total_seconds=1.5,
                messages=("Generate document", "cvc-complex-type.2.4: <b> | ]]>" * 5)
                if failed
                else (),
                documents=(
                    DocumentResult(
                        f"doc-{index}", "letter.pdf", "application/pdf", 20_000, "cd" * 32, None
                    ),
                ),
            )
        )
    return SuiteResult(
        flowspec_version="0.1.0",
        started_at=START,
        ended_at=START + timedelta(minutes=5),
        job_files=(JobFileInfo(JOB, "ef" * 32, "bench"),),
        base_urls=("https://flows.example.test",),
        runs=tuple(runs),
    )


def build_plan(count: int) -> list[Run]:
    """Build ``count`` planned runs. Every fifth run waits for the one before it."""
    job = JobFile(
        JOB,
        "ef" * 32,
        "bench",
        Server("https://flows.example.test", None, Location(str(JOB), 2)),
        RunSettings(),
        (),
    )
    entry = Entry("entry", "flow", Location(str(JOB), 5))
    ids = [f"{index:016x}" for index in range(count)]
    return [
        Run(
            run_id,
            f"bench/{run_id}",
            job,
            entry,
            "none",
            "POST",
            "/",
            {},
            None,
            (ids[index - 1],) if index % 5 == 4 else (),
        )
        for index, run_id in enumerate(ids)
    ]


def best(action: Callable[[], object], repeat: int) -> float:
    return min(timeit.repeat(action, number=1, repeat=repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    result = build_result(options.runs)
    document = to_document(result)
    dumps = best(lambda: json.dumps(document, indent=2, ensure_ascii=False), options.repeat)

    rows = [("json.dumps (baseline)", dumps, 1.0)]
    for name, writer in REPORT_WRITERS.items():
        seconds = best(lambda writer=writer: writer.render(result), options.repeat)
        rows.append((f"render {name}", seconds, seconds / dumps))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.json"
        path.write_bytes(REPORT_WRITERS["json"].render(result))
        loads = best(lambda: json.loads(path.read_text(encoding="utf-8")), options.repeat)
        reading = best(lambda: read_report(path), options.repeat)
    rows.append(("json.loads (baseline)", loads, 1.0))
    rows.append(("read_report", reading, reading / loads))
    full_check = best(lambda: list(_validator().iter_errors(document)), options.repeat)
    quick_check = best(lambda: is_valid_report(document), options.repeat)
    rows.append(("jsonschema validation alone", full_check, full_check / loads))
    rows.append(("compiled schema check alone", quick_check, quick_check / loads))

    plan = build_plan(options.runs)
    sharding = best(lambda: [select_shard(plan, k, 8) for k in range(1, 9)], options.repeat)
    rows.append(("select_shard, all 8 shards", sharding, float("nan")))

    print(f"{options.runs} runs, best of {options.repeat}\n")
    print("| step | seconds | ratio to baseline |")
    print("|---|---:|---:|")
    for label, seconds, ratio in rows:
        ratio_text = "-" if ratio != ratio else f"{ratio:.1f}x"
        print(f"| {label} | {seconds:.3f} | {ratio_text} |")


if __name__ == "__main__":
    main()
