"""``flowspec emulator``."""

from __future__ import annotations

import click


@click.command("emulator")
def emulator_command() -> None:
    """Serve the Smart Flows emulator."""
    raise click.ClickException("emulator is being built")
