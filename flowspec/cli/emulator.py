"""``flowspec emulator``: serve the Smart Flows emulator for a project file."""

from __future__ import annotations

import contextlib
import ipaddress
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from flowspec.errors import UsageError

# The project schema requires the same minimum of the api_keys in a project file.
MIN_API_KEY_LENGTH = 8


def _check_api_keys(api_keys: tuple[str, ...]) -> None:
    """Raise ``UsageError`` for a key that is short or could not travel in a header.

    An empty key would let a request with an empty ``X-API-Key`` header in.
    The message names the key by position only, because the key is a secret.
    """
    for position, key in enumerate(api_keys, start=1):
        if len(key) < MIN_API_KEY_LENGTH:
            raise UsageError(
                f"--api-key number {position} is {len(key)} characters long; "
                f"give a key of at least {MIN_API_KEY_LENGTH} characters"
            )
        if not key.isprintable() or key != key.strip() or not key.isascii():
            raise UsageError(
                f"--api-key number {position} contains spaces at its ends, control or "
                "non-ASCII characters, which an X-API-Key header cannot carry; "
                "use letters, digits and punctuation"
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("emulator")
@click.option(
    "--project",
    "project_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The emulator project file (YAML) to serve.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on; 0 picks a free port, printed at start.",
)
@click.option(
    "--seed", default=0, show_default=True, help="Seed for generated ids and injected faults."
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY",
    help="Accept KEY in X-API-Key for the project's first admin user (repeatable).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND[:KEY=VALUE,...]",
    help="Inject a fault, e.g. rate_limit:first=2,endpoints=start or "
    "drop_connection:probability=0.1 (repeatable; replaces the project's fault of that kind).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host that is not a loopback address.",
)
def emulator_command(
    project_path: Path,
    host: str,
    port: int,
    seed: int,
    api_keys: tuple[str, ...],
    faults: tuple[str, ...],
    allow_remote: bool,
) -> None:
    """Serve the Smart Flows emulator until Ctrl-C or SIGTERM.

    Prints the base URL it listens on. An invalid project file gets located
    errors and exit code 2.
    """
    from flowspec.emulator.app import create_app
    from flowspec.emulator.fault_options import faults_from_options
    from flowspec.emulator.project import load_project
    from flowspec.emulator.server import serve_app_in_thread

    if not allow_remote and not _is_loopback(host):
        raise UsageError(
            f"--host {host} is not a loopback address; add --allow-remote to listen on it"
        )
    _check_api_keys(api_keys)
    project = load_project(project_path, extra_api_keys=api_keys)
    app = create_app(project, seed=seed, faults=faults_from_options(faults))
    stop = threading.Event()
    with _stop_on_signals(stop), serve_app_in_thread(app, host, port) as url:
        click.echo(f"Emulator for project {project.name!r} listening on {url}")
        click.echo("Press Ctrl-C to stop.", err=True)
        # A timeout keeps the main thread returning to Python code, where signal handlers run.
        while not stop.wait(0.5):
            pass
    click.echo("Emulator stopped.", err=True)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Make Ctrl-C and SIGTERM set ``stop``, so the server shuts down and the exit code is 0.

    The server runs in a background thread, where uvicorn installs no signal
    handlers of its own, so these are the only ones.
    """
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda number, frame: stop.set()) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
