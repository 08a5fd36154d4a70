"""The HTTP client's overhead beside bare httpx, against servers on loopback.

Serves, in background threads of this process, the emulator (with a small
project) and a plain ASGI app that returns one large document. Times, best
of ``--repeat``:

- ``--calls`` sequential ``get_flow`` calls, and the same number spread over
  ``--concurrency`` tasks, against bare ``httpx.AsyncClient.get`` + ``json()``;
- ``download_document`` of a ``--megabytes`` MiB body (streamed, hashed,
  fsynced, renamed) against bare ``httpx`` reading the body into memory and
  ``Path.write_bytes``.

    python benchmarks/bench_client.py [--calls 500] [--concurrency 20] [--megabytes 32] [--repeat 5]

Prints a Markdown table with seconds and ratios to bare httpx. Server and
client share one process and its GIL, so the server's time is in both columns.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from starlette.types import Receive, Scope, Send

from flowspec.client import SmartFlowsClient
from flowspec.emulator.server import serve_app_in_thread
from flowspec.emulator.testing import TEST_API_KEY, build_app, project_from
from flowspec.secret import Secret
from flowspec.spec.model import Auth

PROJECT = {"name": "bench", "users": [{"username": "bench", "admin": True}], "flows": [{"id": "f"}]}
CHUNK = 256 * 1024


class LargeDocument:
    """An ASGI app that answers every request with the same large body, in chunks."""

    def __init__(self, size: int) -> None:
        self.content = bytes(range(256)) * (size // 256)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/pdf")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for start in range(0, len(self.content), CHUNK):
            chunk = self.content[start : start + CHUNK]
            more = start + CHUNK < len(self.content)
            await send({"type": "http.response.body", "body": chunk, "more_body": more})


def best_of(
    repeat: int, first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """Return the fastest of ``repeat`` timed runs of each, in seconds.

    The two alternate, so a warm-up or a noisy moment on the machine does not
    favour one of them.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, measured in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            asyncio.run(run())
            measured.append(time.perf_counter() - started)
    return min(times[0]), min(times[1])


async def spread(calls: int, concurrency: int, call: Callable[[], Awaitable[object]]) -> None:
    """Make ``calls`` calls from ``concurrency`` tasks."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    share, rest = divmod(calls, concurrency)
    await asyncio.gather(*(worker(share + (index < rest)) for index in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--megabytes", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-client-"))
    project = project_from(PROJECT, folder / "project")
    auth = Auth(api_key=Secret(TEST_API_KEY))
    headers = {"X-API-Key": TEST_API_KEY}
    document = LargeDocument(options.megabytes * 1024 * 1024)

    with serve_app_in_thread(build_app(project)) as url, serve_app_in_thread(document) as doc_url:

        async def client_calls(concurrency: int) -> None:
            async with SmartFlowsClient(url, auth) as client:
                await spread(options.calls, concurrency, lambda: client.get_flow("f"))

        async def bare_calls(concurrency: int) -> None:
            async with httpx.AsyncClient(base_url=url, headers=headers) as client:

                async def get() -> object:
                    response = await client.get("api/v1/flows/f")
                    response.raise_for_status()
                    return response.json()

                await spread(options.calls, concurrency, get)

        async def client_download() -> None:
            async with SmartFlowsClient(doc_url, None) as client:
                await client.download_document("d", folder / "client.pdf")

        async def bare_download() -> None:
            async with httpx.AsyncClient(base_url=doc_url) as client:
                response = await client.get("api/v1/documents/d/content")
                (folder / "bare.pdf").write_bytes(response.content)

        rows = [
            ("sequential get_flow", lambda: bare_calls(1), lambda: client_calls(1)),
            (
                f"get_flow from {options.concurrency} tasks",
                lambda: bare_calls(options.concurrency),
                lambda: client_calls(options.concurrency),
            ),
            (f"download {options.megabytes} MiB", bare_download, client_download),
        ]
        print(f"{options.calls} calls per row, best of {options.repeat}\n")
        print("| operation | bare httpx (s) | flowspec client (s) | ratio |")
        print("|---|---:|---:|---:|")
        for name, bare, ours in rows:
            bare_seconds, our_seconds = best_of(options.repeat, bare, ours)
            ratio = our_seconds / bare_seconds
            print(f"| {name} | {bare_seconds:.3f} | {our_seconds:.3f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
