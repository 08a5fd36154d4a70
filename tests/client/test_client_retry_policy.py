import email.utils
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.client import RetryPolicy
from flowspec.client._retry import parse_retry_after

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)


def test_delay_doubles_until_max_delay() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.5, max_delay=3.0)

    delays = [policy.delay(attempt, None, lambda: 1.0) for attempt in range(1, 7)]

    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_delay_scales_ceiling_by_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)

    assert policy.delay(3, None, lambda: 0.25) == 1.0
    assert policy.delay(3, None, lambda: 0.0) == 0.0


@given(
    attempt=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    base_delay=st.floats(min_value=0.0, max_value=10.0),
    max_delay=st.floats(min_value=0.0, max_value=100.0),
)
def test_delay_stays_within_jitter_bounds(
    attempt: int, jitter: float, base_delay: float, max_delay: float
) -> None:
    policy = RetryPolicy(base_delay=base_delay, max_delay=max_delay)

    delay = policy.delay(attempt, None, lambda: jitter)

    assert 0.0 <= delay <= max_delay
    assert delay <= base_delay * 2.0 ** (attempt - 1)


def test_retry_after_replaces_backoff() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=1.0)

    assert policy.delay(1, 7.0, lambda: 1.0) == 7.0


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)

    assert policy.delay(1, 3600.0, lambda: 1.0) == 60.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("5", 5.0, id="seconds"),
        pytest.param(" 12 ", 12.0, id="seconds-with-spaces"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("Fri, 04 Dec 2026 12:00:30 GMT", 30.0, id="http-date"),
        pytest.param("Fri, 04 Dec 2026 11:59:00 GMT", 0.0, id="http-date-in-past"),
        pytest.param(None, None, id="missing"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("-3", None, id="negative"),
        pytest.param("1.5", None, id="fraction"),
        pytest.param("\u00b2", None, id="superscript-digit"),
        pytest.param("\u0661\u0662", None, id="arabic-indic-digits"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_retry_after_seconds_round_trip(seconds: int) -> None:
    assert parse_retry_after(str(seconds), now=NOW) == float(seconds)


@given(st.integers(min_value=-86_400, max_value=86_400))
def test_parse_retry_after_date_round_trip(offset: int) -> None:
    header = email.utils.format_datetime(NOW + timedelta(seconds=offset), usegmt=True)

    assert parse_retry_after(header, now=NOW) == max(0.0, float(offset))


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(header: str) -> None:
    result = parse_retry_after(header, now=NOW)

    assert result is None or result >= 0.0


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
