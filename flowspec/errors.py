"""Every error flowspec raises on purpose, under one root.

::

    FlowspecError                 exit 1: something went wrong that fits no other class
    ├── UsageError                exit 2: the command line is wrong
    ├── SpecError                 exit 2: job files, XML inputs or an emulator project are invalid
    │   └── ReportError           exit 2: a result report file cannot be read or is invalid
    ├── ServerError               exit 3: the Smart Flows server could not be used
    │   ├── ServerUnreachable     exit 3: no connection could be made, or it kept failing
    │   ├── AuthenticationFailed  exit 3: the server rejected the credentials (401/403)
    │   └── ApiError              exit 3: the server answered a request with an unexpected error
    │       └── NotFound          exit 3: the flow, execution or document does not exist (404)
    ├── StartUnconfirmed          exit 1: a start request may or may not have created an execution
    └── Interrupted               exit 130: the user stopped the run (Ctrl-C or SIGTERM)

Exit code 1 also means "some run did not meet its expectations", which is a
result rather than an error, so no exception carries it. ``ExitCode`` is the
one definition of the codes; the README's table mirrors it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowspec.diagnostics import Diagnostic


class ExitCode(IntEnum):
    """Process exit codes of every flowspec command."""

    OK = 0
    RUNS_FAILED = 1
    INVALID_INPUT = 2
    SERVER_UNUSABLE = 3
    INTERRUPTED = 130


class FlowspecError(Exception):
    """Something went wrong that no more specific class describes."""

    exit_code: ExitCode = ExitCode.RUNS_FAILED


class UsageError(FlowspecError):
    """The command line is wrong: a bad option value or a missing file argument."""

    exit_code = ExitCode.INVALID_INPUT


class SpecError(FlowspecError):
    """Job files, XML inputs or an emulator project are invalid, as ``diagnostics`` locates."""

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        count = len(self.diagnostics)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the input files")


class ReportError(SpecError):
    """A result report file cannot be read or does not match the report schema."""


class ServerError(FlowspecError):
    """The Smart Flows server could not be used."""

    exit_code = ExitCode.SERVER_UNUSABLE


class ServerUnreachable(ServerError):
    """No connection to the server could be made, or it kept failing after all retries."""


class AuthenticationFailed(ServerError):
    """The server rejected the credentials (HTTP 401 or 403)."""


class ApiError(ServerError):
    """The server responded to a request with an error that retrying cannot fix."""

    def __init__(self, message: str, *, status_code: int, method: str, url: str) -> None:
        self.status_code = status_code
        self.method = method
        self.url = url
        super().__init__(message)


class NotFound(ApiError):
    """The flow, execution, data set or document does not exist on the server (HTTP 404)."""


class StartUnconfirmed(FlowspecError):
    """A start request failed in a way that may have created an execution, so it was not retried.

    ``cause`` is the failure alone (``502 Bad Gateway``, ``connection reset``), for
    callers that word their own message around it.
    """

    def __init__(self, message: str, *, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause


class Interrupted(FlowspecError):
    """The user stopped the run with Ctrl-C or SIGTERM."""

    exit_code = ExitCode.INTERRUPTED
