"""``flowspec validate`` and ``flowspec schema``."""

from __future__ import annotations

import click


@click.command("validate")
def validate_command() -> None:
    """Check job files and the XML they reference."""
    raise click.ClickException("validate is being built")


@click.command("schema")
def schema_command() -> None:
    """Print the job-file JSON Schema."""
    raise click.ClickException("schema is being built")
