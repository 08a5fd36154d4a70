"""``flowspec report show`` and ``flowspec report merge``."""

from __future__ import annotations

import click


@click.group("report")
def report_group() -> None:
    """Work with result reports."""
