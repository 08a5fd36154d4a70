"""The table that ``flowspec plan`` prints: one row per run, as a rich table or plain text."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from flowspec.plan import Run, describe_input
from flowspec.report._text import single_line


def _plan_rows(runs: Sequence[Run]) -> list[tuple[str, ...]]:
    by_id = {run.id: run for run in runs}
    rows: list[tuple[str, ...]] = []
    for position, run in enumerate(runs, start=1):
        waits = _describe_after([by_id[run_id] for run_id in run.after if run_id in by_id])
        order = run.job.run.order
        cells = (
            str(position),
            run.name,
            run.mode,
            f"{run.method} {run.endpoint}",
            describe_input(run) or "-",
            order,
            waits,
        )
        # Names of XML files found by a glob reach the terminal, and a file name
        # may hold any byte but "/" and NUL.
        rows.append(tuple(single_line(cell) for cell in cells))
    return rows


def _describe_after(dependencies: Sequence[Run]) -> str:
    """Name the entries waited for, once each, with their run count when a glob expanded them."""
    counts: dict[str, int] = {}
    for dependency in dependencies:
        label = f"{dependency.job.path.stem}/{dependency.entry.name}"
        counts[label] = counts.get(label, 0) + 1
    labels = [label if count == 1 else f"{label} ({count} runs)" for label, count in counts.items()]
    return ", ".join(labels) or "-"


_PLAN_HEADERS = ("#", "run", "mode", "request", "input", "order", "after")


def plan_table(runs: Sequence[Run]) -> Table:
    """Return the runs as a rich table, for a terminal."""
    table = Table(*_PLAN_HEADERS, title=f"{len(runs)} runs")
    for row in _plan_rows(runs):
        table.add_row(*row)
    return table


def plan_text(runs: Sequence[Run]) -> str:
    """Return the runs as columns of plain text aligned with spaces, for pipes and logs."""
    rows = [_PLAN_HEADERS, *_plan_rows(runs)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_PLAN_HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)
