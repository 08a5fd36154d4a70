"""Checking many documents in forked worker processes, so that validation uses every core."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flowspec.diagnostics import Diagnostic

if TYPE_CHECKING:
    from flowspec.xmlcheck._checker import XmlChecker

Item = tuple[Path, "Path | None"]

# An estimate from benchmarks/bench_xml.sh on 2 cores: checking a 20 KB
# document takes about 0.4 ms, and starting the pool tens of milliseconds.
MIN_FILES_PER_PROCESS = 100
_CHUNKS_PER_PROCESS = 4

# The checker the workers use. Forked workers inherit it, compiled schemas
# included, because lxml objects cannot be pickled.
_worker_checker: XmlChecker | None = None


def default_processes(file_count: int) -> int:
    """Return how many processes pay off for ``file_count`` files on this machine now.

    Only idle cores help: forking onto a core that other work keeps busy made
    checking slower in the benchmark. The one-minute load average estimates
    how many cores are busy.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    idle = (cpus or 1) - (os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
    return max(1, min(int(idle + 0.5), file_count // MIN_FILES_PER_PROCESS))


def check_in_processes(
    checker: XmlChecker, items: Sequence[Item], processes: int
) -> list[list[Diagnostic]] | None:
    """Check ``items`` in ``processes`` forked workers, or return None when forking is unsafe.

    Forking is safe only without other threads, whose locks the children
    would inherit held, and only where the platform offers ``fork``.
    """
    # Imported here because they cost about 10 ms, which callers that check
    # one document at a time, such as the emulator, need not pay.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return None

    global _worker_checker
    size = max(1, -(-len(items) // (processes * _CHUNKS_PER_PROCESS)))
    chunks = [list(items[start : start + size]) for start in range(0, len(items), size)]
    _worker_checker = checker
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            results = list(pool.map(_check_chunk, chunks))
    except BrokenProcessPool:
        # A worker died (killed for memory, for example), so the caller
        # checks the files in this process instead.
        # NOTE: no test kills a worker, so this branch has not been run.
        return None
    finally:
        _worker_checker = None
    return [diagnostics for chunk in results for diagnostics in chunk]


def _check_chunk(chunk: list[Item]) -> list[list[Diagnostic]]:
    assert _worker_checker is not None, "set before the workers were forked"
    return [_worker_checker.check(xml_path, xsd_path) for xml_path, xsd_path in chunk]
