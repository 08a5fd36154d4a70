"""The credential scan around every client test.

Every test in this folder runs with the log captured at DEBUG. Afterwards no
record may contain the API key, the password or a bearer token. Tests
that catch an exception pass it to ``assert_no_secret``, which also reads the
chained causes, because httpx exceptions can carry the request and its headers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from client_support import SECRETS, assert_no_secret


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture every log record at DEBUG and check none of them shows a credential."""
    caplog.set_level(logging.DEBUG)
    yield
    # In teardown, ``caplog.records`` holds only teardown's records.
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            assert_no_secret(record.exc_info[1])
        for secret in SECRETS:
            assert secret not in text, f"log record from {record.name} shows a credential"
