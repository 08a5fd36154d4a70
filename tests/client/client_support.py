"""Credentials the client tests use, and the check that they never leak."""

from __future__ import annotations

API_KEY = "fs-key-5d0c83be41a7"
PASSWORD = "fs-pw-9e1f2a7c"
SECRETS = (API_KEY, PASSWORD, "Bearer ")


def assert_no_secret(error: BaseException) -> None:
    """Fail when the error, or any error chained to it, shows a credential."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for text in (str(current), repr(current), *map(str, current.args)):
            for secret in SECRETS:
                assert secret not in text, f"{type(current).__name__} shows a credential"
        current = current.__cause__ or current.__context__
