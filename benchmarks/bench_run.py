"""The engine beside a minimal hand-written httpx client, both running the same flows.

Serves the emulator in a separate process (``flowspec emulator``) with one
short flow that produces one document, then, in this process, runs ``--runs``
executions at ``--concurrency`` twice per repeat, alternating the order:

- flowspec: ``Engine`` with ``SmartFlowsClient``, as ``flowspec run`` uses them,
  with a listener that prints nothing;
- by hand: ``httpx.AsyncClient`` and a semaphore: start, long-poll the progress
  until a terminal status, find the documents in the final model, stream each
  to a file;
- by hand with an ``fsync`` of each document, which flowspec's atomic document
  writes also do, to separate the engine's own cost from that of durable files.

    python benchmarks/bench_run.py [--runs 1000] [--concurrency 50] [--duration 100ms] [--repeat 3]

Prints a Markdown table: best wall time of each and their ratio, the median of
the per-repeat wall ratios (each side against "by hand" of the same repeat), the
best CPU time this process spent (the client's own cost, less disturbed by the
emulator's share of the cores), and HTTP requests per run as counted by the
emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from flowspec.client import SmartFlowsClient
from flowspec.diagnostics import Location
from flowspec.engine import Engine, EngineOptions
from flowspec.execution import SystemClock
from flowspec.plan import Run, plan_runs
from flowspec.results import RunResult, Verdict
from flowspec.secret import Secret
from flowspec.spec.model import Auth, Entry, JobFile, RunSettings, Server

API_KEY = "bench-run-api-key-0001"
TERMINAL = {"Success", "Warning", "Error", "Interrupted", "Canceled"}
POLL_TIMEOUT = 30


class QuietListener:
    """A listener that shows nothing, so the table measures the engine, not the terminal."""

    def run_started(self, run: Run) -> None:
        return None

    def run_progress(self, run: Run, progress: Any) -> None:
        return None

    def run_finished(self, run: Run, result: RunResult) -> None:
        return None


@contextlib.contextmanager
def emulator_process(duration: str) -> Iterator[str]:
    """Serve a one-flow project with ``flowspec emulator`` in a child process; yield its URL."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project.yaml"
        project.write_text(
            "name: bench\nusers: [{username: bench, admin: true}]\n"
            f"flows:\n  - id: bench\n    duration: {duration}\n    documents: [{{name: Report}}]\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "flowspec", "emulator", "--project", str(project)]
        process = subprocess.Popen(
            [*command, "--api-key", API_KEY], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            url = next(word for line in process.stdout for word in line.split() if "://" in word)
            yield url.rstrip("/.") + "/"
        finally:
            process.terminate()
            process.wait(timeout=10)


def bench_job(url: str, runs: int, concurrency: int) -> JobFile:
    location = Location("bench.yaml", 1)
    entries = tuple(Entry(f"run{number}", "bench", location) for number in range(runs))
    return JobFile(
        path=Path("bench.yaml"),
        sha256="0" * 64,
        name="bench",
        server=Server(url, Auth(api_key=Secret(API_KEY)), location),
        run=RunSettings(order="parallel", concurrency=concurrency),
        entries=entries,
    )


async def run_flowspec(url: str, runs: int, concurrency: int, output: Path) -> None:
    job = bench_job(url, runs, concurrency)
    planned = plan_runs([job])
    async with SmartFlowsClient(url, job.server.auth, max_connections=concurrency + 4) as client:
        engine = Engine(
            lambda _: client, SystemClock(), QuietListener(), EngineOptions(output_dir=output)
        )
        outcome = await engine.execute(planned)
    failed = [run for run in outcome.result.runs if run.verdict is not Verdict.PASSED]
    if failed:
        raise SystemExit(f"flowspec: {len(failed)} runs did not pass, first: {failed[0].reason}")


async def run_by_hand(url: str, runs: int, concurrency: int, output: Path) -> None:
    await fetch_by_hand(url, runs, concurrency, output, durable=False)


async def run_by_hand_fsync(url: str, runs: int, concurrency: int, output: Path) -> None:
    await fetch_by_hand(url, runs, concurrency, output, durable=True)


async def fetch_by_hand(
    url: str, runs: int, concurrency: int, output: Path, *, durable: bool
) -> None:
    """Run the batch with bare httpx; ``durable`` fsyncs each document as flowspec does."""
    # Idle connections expire before uvicorn's 5 s keep-alive timeout, so the server
    # does not close a reused connection under a request.
    limits = httpx.Limits(
        max_connections=concurrency + 4,
        max_keepalive_connections=concurrency + 4,
        keepalive_expiry=4.0,
    )
    timeout = httpx.Timeout(POLL_TIMEOUT + 30, connect=10)
    headers = {"X-API-Key": API_KEY}
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=timeout, headers=headers
    ) as http:

        async def one(number: int) -> None:
            async with semaphore:
                response = await http.post("api/v1/flows/executions", params={"flowId": "bench"})
                progress = response.raise_for_status().json()
                while progress["status"] not in TERMINAL:
                    path = f"api/v1/flows/executions/{progress['id']}/progress"
                    response = await http.get(path, params={"timeout": POLL_TIMEOUT})
                    progress = response.raise_for_status().json()
                for document in documents_in(progress.get("model")):
                    target = output / f"{number}-{document}"
                    async with http.stream("GET", f"api/v1/documents/{document}/content") as body:
                        with target.open("wb") as stream:
                            async for chunk in body.aiter_bytes():
                                stream.write(chunk)
                            if durable:
                                stream.flush()
                                os.fsync(stream.fileno())

        await asyncio.gather(*(one(number) for number in range(runs)))


def documents_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["id"]] if node.get("type") == "document" else []
        return found + [item for value in node.values() for item in documents_in(value)]
    if isinstance(node, list):
        return [item for value in node for item in documents_in(value)]
    return []


def request_total(url: str) -> int:
    stats = httpx.get(f"{url}__emulator/stats").json()
    return sum(count for endpoint, count in stats["requests"].items())


def measure(
    url: str, side: Callable[[str, int, int, Path], Awaitable[None]], runs: int, concurrency: int
) -> tuple[float, float, int]:
    """Return one side's wall time, the CPU time of this process, and the requests it sent."""
    before = request_total(url)
    with tempfile.TemporaryDirectory() as folder:
        started, cpu_started = time.perf_counter(), time.process_time()
        asyncio.run(side(url, runs, concurrency, Path(folder)))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return seconds, cpu, request_total(url) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", default="100ms", help="emulated flow duration")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    sides = {
        "flowspec": run_flowspec,
        "by hand": run_by_hand,
        "by hand, fsync each document": run_by_hand_fsync,
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    cpu_times: dict[str, list[float]] = {name: [] for name in sides}
    requests: dict[str, int] = {}
    with emulator_process(options.duration) as url:
        for repeat in range(options.repeat):
            order = list(sides) if repeat % 2 == 0 else list(reversed(sides))
            for name in order:
                seconds, cpu, sent = measure(url, sides[name], options.runs, options.concurrency)
                times[name].append(seconds)
                cpu_times[name].append(cpu)
                requests[name] = sent

    best = {name: min(values) for name, values in times.items()}
    print(
        f"{options.runs} runs at concurrency {options.concurrency}, flow duration "
        f"{options.duration}, best of {options.repeat}; {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}"
    )
    print()
    best_cpu = {name: min(values) for name, values in cpu_times.items()}
    print(
        "| client | best wall s | all wall s | best wall ratio | median wall ratio "
        "| best client CPU s | CPU ratio | requests per run |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in sides:
        all_times = ", ".join(f"{value:.2f}" for value in times[name])
        ratio = best[name] / best["by hand"]
        paired = [mine / hand for mine, hand in zip(times[name], times["by hand"], strict=True)]
        cpu_ratio = best_cpu[name] / best_cpu["by hand"]
        per_run = requests[name] / options.runs
        print(
            f"| {name} | {best[name]:.2f} | {all_times} | {ratio:.2f}x "
            f"| {statistics.median(paired):.2f}x | {best_cpu[name]:.2f} | {cpu_ratio:.2f}x "
            f"| {per_run:.2f} |"
        )


if __name__ == "__main__":
    main()
