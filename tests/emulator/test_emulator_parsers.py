"""Property tests: request parsers reject bad input with 400 or SpecError, never crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from flowspec.emulator.errors import ApiProblem
from flowspec.emulator.fault_options import faults_from_options
from flowspec.emulator.filters import matches, parse_filter, parse_query_filter
from flowspec.emulator.paging import page_request
from flowspec.errors import SpecError

KEYS = ("displayName", "status", "flowId", "createdAt")
RECORD = {
    "displayName": "Invoice",
    "status": "Success",
    "flowId": "invoice",
    "createdAt": "2026-12-04T20:00:00.000Z",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["group", "type", "nodes", "condition", "key", "operator", "values", "and"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def attempt(function: Callable[..., Any], *args: Any) -> tuple[Any, Exception | None]:
    """Call ``function``; return its result, or the ApiProblem or SpecError it raised."""
    try:
        return function(*args), None
    except (ApiProblem, SpecError) as error:
        return None, error


@given(json_values)
def test_filter_body_parses_or_gets_400(body: Any) -> None:
    tree, error = attempt(parse_filter, body, KEYS)

    if error is not None:
        assert isinstance(error, ApiProblem)
        assert error.status == 400
    else:
        assert matches(tree, RECORD) in {True, False}


@given(st.text(max_size=40))
def test_query_filter_parses_or_gets_400(text: str) -> None:
    conditions, error = attempt(parse_query_filter, text, KEYS)

    if error is not None:
        assert isinstance(error, ApiProblem)
        assert error.status == 400
    else:
        assert all(condition.key in KEYS for condition in conditions)


@given(st.dictionaries(st.sampled_from(["page", "size", "sort"]), st.text(max_size=12)))
def test_page_request_parses_or_gets_400(query: dict[str, str]) -> None:
    request, error = attempt(page_request, query, ("displayName", "id"))

    if error is not None:
        assert isinstance(error, ApiProblem)
        assert error.status == 400
    else:
        assert request.page >= 0
        assert 1 <= request.size <= 1000


@given(st.text(max_size=60))
def test_fault_option_parses_or_raises_spec_error(option: str) -> None:
    settings, error = attempt(faults_from_options, [option])

    if error is not None:
        assert isinstance(error, SpecError)
        assert error.diagnostics
    else:
        assert len(settings.rules) == 1


def test_page_rejects_non_ascii_digits() -> None:
    _, error = attempt(page_request, {"page": "\u00b2"}, ("id",))

    assert isinstance(error, ApiProblem)
    assert error.status == 400
