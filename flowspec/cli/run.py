"""``flowspec plan`` and ``flowspec run``."""

from __future__ import annotations

import click


@click.command("plan")
def plan_command() -> None:
    """Print the runs that ``run`` would start."""
    raise click.ClickException("plan is being built")


@click.command("run")
def run_command() -> None:
    """Run the flows of job files."""
    raise click.ClickException("run is being built")
