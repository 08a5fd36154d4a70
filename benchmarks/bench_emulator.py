"""Measure how many progress polls per second the emulator serves at a given concurrency.

The emulator runs as ``flowspec emulator`` in its own process. Before the timed
part, ``--executions`` executions of a one-hour flow are started, and the load
then polls their progress in turn with ``timeout=0`` (returned at once) from
``--workers`` concurrent connections for ``--seconds``.

The load comes from ``wrk`` (``apt-get install wrk``) when ``--client wrk``, or
from httpx ``AsyncClient`` tasks in this process when ``--client httpx``. On two
cores httpx itself saturates long before the emulator does, so its figure is a
floor for the emulator, not a measurement of it.

Usage: python benchmarks/bench_emulator.py [--client wrk|httpx] [--workers 50]
       [--seconds 10] [--executions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

API_KEY = "bench-key-000001"

PROJECT = """\
name: bench
flows:
  - id: slow
    duration: 1h
    steps: [Generate document, Convert to PDF]
"""


async def start_executions(client: httpx.AsyncClient, count: int) -> list[str]:
    """Start ``count`` executions of the one-hour flow, 50 at a time."""
    ids: list[str] = []
    while len(ids) < count:
        batch = min(50, count - len(ids))
        responses = await asyncio.gather(
            *(client.post("api/v1/flows/executions?flowId=slow") for _ in range(batch))
        )
        ids += [response.json()["id"] for response in responses]
    return ids


async def poll(
    client: httpx.AsyncClient, execution_id: str, deadline: float, latencies: list[float]
) -> None:
    """Poll one execution's progress until ``deadline``, recording each latency in seconds."""
    url = f"api/v1/flows/executions/{execution_id}/progress?timeout=0"
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        response = await client.get(url)
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"poll failed: {response.status_code} {response.text}")


async def prepare(url: str, executions: int) -> list[str]:
    """Start the executions the load polls, and return their ids."""
    headers = {"X-API-Key": API_KEY}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        return await start_executions(client, executions)


WRK_SCRIPT = """\
local paths = {%s}
local index = 0
request = function()
  index = index %% #paths + 1
  return wrk.format("GET", paths[index], {["X-API-Key"] = "%s"})
end
"""


def measure_with_wrk(url: str, ids: list[str], workers: int, seconds: float) -> None:
    paths = ", ".join(f'"/api/v1/flows/executions/{i}/progress?timeout=0"' for i in ids)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (paths, API_KEY))
        script.flush()
        command = ["wrk", "-t1", f"-c{workers}", f"-d{seconds:g}s", "--latency"]
        command += ["-s", script.name, url]
        print(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


async def measure_with_httpx(url: str, ids: list[str], workers: int, seconds: float) -> None:
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    headers = {"X-API-Key": API_KEY}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:
        latencies: list[float] = []
        began = time.perf_counter()
        deadline = began + seconds
        tasks = (poll(client, ids[i % len(ids)], deadline, latencies) for i in range(workers))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began

    ordered = sorted(latencies)
    print(f"workers: {workers}, seconds: {elapsed:.2f}, polls: {len(latencies)}")
    print(f"polls per second: {len(latencies) / elapsed:.0f}")
    print(f"latency p50: {statistics.median(ordered) * 1000:.1f} ms")
    print(f"latency p99: {ordered[int(len(ordered) * 0.99)] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=["wrk", "httpx"], default="wrk")
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--executions", type=int, default=1000)
    args = parser.parse_args()
    if args.client == "wrk" and shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install wrk, or use --client httpx")

    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project.yaml"
        project.write_text(PROJECT, encoding="utf-8")
        command = [sys.executable, "-m", "flowspec", "emulator", "--project", str(project)]
        command += ["--api-key", API_KEY]
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        ) as server:
            try:
                assert server.stdout is not None
                url = server.stdout.readline().split(" listening on ")[1].strip()
                ids = asyncio.run(prepare(url, args.executions))
                print(f"executions in store: {len(ids)}")
                if args.client == "wrk":
                    measure_with_wrk(url, ids, args.workers, args.seconds)
                else:
                    asyncio.run(measure_with_httpx(url, ids, args.workers, args.seconds))
            finally:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
