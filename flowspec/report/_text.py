"""Text clean-up shared by the writers: what may reach a report file or a terminal.

Run names, reasons and server messages come from job files and from the
server, so they may hold control characters, lone surrogates (from JSON
``\\ud800`` escapes) or terminal escape sequences. Writers keep every other
character and show the bad ones as visible escapes such as ``\\x1b``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Characters XML 1.0 forbids (section 2.2, production [2]); tab, LF and CR are allowed.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls except tab and LF; DEL too, because terminals act on them.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """Replace the characters XML 1.0 cannot hold with visible ``\\xNN``/``\\uNNNN`` escapes."""
    return _XML_FORBIDDEN.sub(_escape_character, text)


def unicode_safe(text: str) -> str:
    """Replace lone surrogates, which UTF-8 cannot encode, with visible ``\\uNNNN`` escapes."""
    return _LONE_SURROGATE.sub(_escape_character, text)


def terminal_safe(text: str) -> str:
    """Replace control characters (escape sequences included) with visible escapes."""
    return _TERMINAL_CONTROL.sub(_escape_character, text)


def single_line(text: str) -> str:
    """Escape control characters like ``terminal_safe`` and show line breaks as ``\\n``.

    For table rows, which a line break inside a name or reason would split.
    """
    return terminal_safe(text).replace("\n", "\\n")


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    omitted = len(text) - limit
    return f"{text[:limit]}… ({omitted} more characters)"


def strip_userinfo(url: str) -> str:
    """Return ``url`` without any ``user:password@`` part, so reports never hold credentials."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))
