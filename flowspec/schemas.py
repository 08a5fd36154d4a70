"""Locate the JSON Schemas that ship with flowspec.

In a wheel they sit in ``flowspec/_schemas``; in a source checkout they are the
top-level ``schemas/`` folder, so both places are tried.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGED = Path(__file__).parent / "_schemas"
_SOURCE_TREE = Path(__file__).parent.parent / "schemas"

JOBFILE = "jobfile.schema.json"
REPORT = "report.schema.json"
EMULATOR_PROJECT = "emulator-project.schema.json"


def schema_path(name: str) -> Path:
    """Return the path of the shipped schema file ``name``."""
    for folder in (_PACKAGED, _SOURCE_TREE):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"schema {name!r} is missing from the flowspec installation")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Parse and cache the shipped schema file ``name``."""
    with schema_path(name).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
