"""The checked job-file model: what the loader and checks hand to the planner.

Every record is frozen, keeps the ``Location`` of the YAML node it came from,
and holds secrets only as ``Secret``. Durations are seconds as floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flowspec.diagnostics import Location
from flowspec.secret import Secret

Mode = Literal["none", "xml", "plugin", "start"]
Order = Literal["sequential", "parallel"]

TERMINAL_STATUSES = ("Success", "Warning", "Error", "Interrupted", "Canceled")


@dataclass(frozen=True)
class Login:
    """Username and password for JWT authentication (``POST /api/v1/authenticate/login``)."""

    username: str
    password: Secret
    scope: str | None = None


@dataclass(frozen=True)
class Auth:
    """How to authenticate: exactly one of ``api_key`` and ``login`` is set."""

    api_key: Secret | None = None
    login: Login | None = None


@dataclass(frozen=True)
class Server:
    """The Smart Flows server a job file runs against.

    ``base_url`` is an ``http(s)://`` URL, or ``emulator:PATH`` to start the
    emulator on loopback with the project file at ``PATH`` (already resolved
    against the job file's folder and stored in ``emulator_project``).
    """

    base_url: str
    auth: Auth | None
    location: Location
    emulator_project: Path | None = None
    ca_bundle: Path | None = None
    allow_insecure_http: bool = False


@dataclass(frozen=True)
class RunSettings:
    """The ``run`` section: order, concurrency limit and fail-fast."""

    order: Order = "sequential"
    concurrency: int = 4
    fail_fast: bool = False


@dataclass(frozen=True)
class Expect:
    """Expected outcome: one of ``status``, and ``documents`` documents when given."""

    status: tuple[str, ...] = ("Success",)
    documents: int | None = None


@dataclass(frozen=True)
class XmlInput:
    """XML input: the files a glob matched (sorted), and an optional local XSD."""

    pattern: str
    files: tuple[Path, ...]
    schema: Path | None
    location: Location


@dataclass(frozen=True)
class PluginInput:
    """A CRM record reference sent as the plug-in payload."""

    dataset: str
    entity: str
    ids: tuple[str, ...]
    user: str
    organization: str | None
    location: Location


@dataclass(frozen=True)
class Entry:
    """One entry of ``flows``: a flow to run, its input, and the expected outcome.

    ``defaults`` are already applied. ``mode`` is as written (None when left
    out). Documents are saved only when ``download`` is true, a timed-out
    execution is cancelled only when ``cancel_on_timeout`` is true, and
    ``outputs`` names the flow outputs to read after the run.
    """

    name: str
    flow: str
    location: Location
    mode: Mode | None = None
    input: XmlInput | PluginInput | None = None
    skip_user_input: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    expect: Expect = field(default_factory=Expect)
    timeout: float = 600.0
    poll_timeout: float = 30.0
    after: tuple[str, ...] = ()
    save: str = "{run}/{document}"
    download: bool = True
    cancel_on_timeout: bool = True
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobFile:
    """A loaded and checked job file."""

    path: Path
    sha256: str
    name: str
    server: Server
    run: RunSettings
    entries: tuple[Entry, ...]
    version: int = 1
