"""Next steps for PyYAML syntax errors, whose own messages name only the parser's state."""

from __future__ import annotations

import yaml

# (text in PyYAML's problem, hint); ``{line}`` is the line where the open
# construct began. The first match wins.
_HINTS = (
    (
        "expected '-' indicator",
        "check the indentation: the items of one list start in the same column",
    ),
    (
        "expected key",
        "check the indentation: the keys of one mapping start in the same column",
    ),
    (
        "expected <block end>",
        "check the indentation: the keys of one mapping start in the same column",
    ),
    (
        "mapping values are not allowed",
        "check the indentation of this line, or quote a value that contains ': '",
    ),
    ("expected ',' or ']'", "close the '[' opened at line {line}, or quote values with , [ ] { }"),
    ("expected ',' or '}'", "close the '{' opened at line {line}, or quote values with , [ ] { }"),
    ("quoted scalar", "close the quote opened at line {line}"),
)


def syntax_hint(exc: yaml.MarkedYAMLError) -> str | None:
    """Return what to do about a YAML syntax error, or None when there is no common cause."""
    problem = f"{exc.problem or ''} {exc.context or ''}"
    line = exc.context_mark.line + 1 if exc.context_mark is not None else "?"
    for text, hint in _HINTS:
        if text in problem:
            return hint.replace("{line}", str(line))
    return None
