"""Located problems in input files: the one error shape every checker produces."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column when known, else a JSON pointer or nothing."""

    file: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}::{self.pointer}" if self.pointer else self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one location, with an optional hint on what to do.

    A ``note`` is no problem itself. ``not_shown`` is the number of problems
    that a note such as "5 more errors not shown" represents, so counts stay true.
    """

    location: Location
    message: str
    hint: str | None = None
    severity: str = "error"
    not_shown: int = 0

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text
