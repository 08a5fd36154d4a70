import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.client._client import _seconds_parameter


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(30, "30", id="whole"),
        pytest.param(100.0, "100", id="whole-float"),
        pytest.param(0.25, "0.25", id="fraction"),
        pytest.param(12.3456, "12.346", id="rounded"),
        pytest.param(1e-5, "0", id="tiny"),
        pytest.param(-2.0, "0", id="negative"),
    ],
)
def test_seconds_parameter(seconds: float, expected: str) -> None:
    assert _seconds_parameter(seconds) == expected


@given(st.floats(min_value=0, max_value=1e6))
def test_seconds_parameter_is_plain_decimal(seconds: float) -> None:
    text = _seconds_parameter(seconds)

    assert "e" not in text.lower()
    assert abs(float(text) - seconds) <= 0.0005 + 1e-9 * seconds
