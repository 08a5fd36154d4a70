"""Helpers for job-file tests: write a job file into a temporary folder and check it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from flowspec.diagnostics import Diagnostic
from flowspec.spec import check_job_files

#: The environment every job-file test runs with.
ENVIRON = {"SMARTFLOWS_URL": "https://acme.smartflows.example", "API_KEY": "k3y-s3cr3t-value"}

#: A valid job file; tests append entries or replace parts of it.
HEADER = """\
version: 1
server:
  base_url: ${SMARTFLOWS_URL}
  auth:
    api_key: ${API_KEY}
"""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a job file (dedented) into ``tmp_path``; return its path."""

    def write_file(text: str, name: str = "suite.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
        return path

    return write_file


def problems(path: Path, environ: dict[str, str] | None = None) -> list[Diagnostic]:
    """Return the diagnostics of one job file (XML checks included)."""
    [check] = check_job_files([path], environ=ENVIRON if environ is None else environ)
    return list(check.diagnostics)


def messages(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Return ``line:col: message`` of each diagnostic of one job file."""
    return [f"{d.location.line}:{d.location.column}: {d.message}" for d in problems(path, environ)]
