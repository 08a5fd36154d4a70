from __future__ import annotations

import datetime
from typing import Any

import pytest

from flowspec.forms import answer_form, field_titles, to_json_value, unused_answers_message

NAME_KEY = "ea75_1cd7"
DATE_KEY = "b812_aa01"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        NAME_KEY: {"type": "string", "minLength": 1},
        DATE_KEY: {"type": "string", "format": "date"},
        "notes": {"type": "string"},
    },
    "required": [NAME_KEY, DATE_KEY],
}
FORM: list[Any] = [
    {
        "title": "Customer",
        "items": [
            {"key": NAME_KEY, "title": "Customer name", "type": "text"},
            {"key": DATE_KEY, "title": "Start date", "type": "date"},
        ],
    },
    {"items": [{"key": "notes", "title": "Notes", "type": "text"}]},
]


def test_field_titles_walks_nested_groups() -> None:
    assert field_titles(FORM) == {
        NAME_KEY: "Customer name",
        DATE_KEY: "Start date",
        "notes": "Notes",
    }


def test_answer_by_key() -> None:
    answer = answer_form(SCHEMA, FORM, {}, {NAME_KEY: "ACME", DATE_KEY: "2027-01-01"})

    assert answer.ok
    assert answer.values == {NAME_KEY: "ACME", DATE_KEY: "2027-01-01"}


def test_answer_by_title_converts_dates() -> None:
    answers = {"Customer name": "ACME", "Start date": datetime.date(2027, 1, 1)}

    answer = answer_form(SCHEMA, FORM, {}, answers)

    assert answer.ok
    assert answer.values[DATE_KEY] == "2027-01-01"
    assert answer.values[NAME_KEY] == "ACME"


def test_answer_key_wins_over_title() -> None:
    answers = {NAME_KEY: "by key", "Customer name": "by title", DATE_KEY: "2027-01-01"}

    answer = answer_form(SCHEMA, FORM, {}, answers)

    assert answer.values[NAME_KEY] == "by key"


def test_answer_falls_back_to_model_default() -> None:
    answer = answer_form(SCHEMA, FORM, {DATE_KEY: "2026-05-01"}, {"Customer name": "ACME"})

    assert answer.ok
    assert answer.values[DATE_KEY] == "2026-05-01"


def test_answer_falls_back_to_schema_default() -> None:
    schema = {
        **SCHEMA,
        "properties": {
            **SCHEMA["properties"],
            DATE_KEY: {"type": "string", "default": "2026-01-01"},
        },
    }

    answer = answer_form(schema, FORM, None, {"Customer name": "ACME"})

    assert answer.values[DATE_KEY] == "2026-01-01"


def test_missing_required_fields_are_named() -> None:
    answer = answer_form(SCHEMA, FORM, {}, {})

    assert not answer.ok
    assert answer.problems == (
        f"no answer and no default for 'Customer name' (key {NAME_KEY}), "
        f"'Start date' (key {DATE_KEY})",
    )


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param(
            {"Customer name": "", "Start date": "2027-01-01"},
            f"invalid answer for 'Customer name' (key {NAME_KEY}): '' should be non-empty",
            id="min-length",
        ),
        pytest.param(
            {"Customer name": "ACME", "Start date": "2027-13-45"},
            f"invalid answer for 'Start date' (key {DATE_KEY}): '2027-13-45' is not a 'date'",
            id="date-format",
        ),
        pytest.param(
            {"Customer name": 42, "Start date": "2027-01-01"},
            f"invalid answer for 'Customer name' (key {NAME_KEY}): 42 is not of type 'string'",
            id="type",
        ),
    ],
)
def test_invalid_answer_is_named(answers: dict[str, Any], expected: str) -> None:
    answer = answer_form(SCHEMA, FORM, {}, answers)

    assert answer.problems == (expected,)


def test_invalid_form_schema_is_problem() -> None:
    answer = answer_form({"type": "no-such-type"}, [], {}, {})

    assert len(answer.problems) == 1
    assert "not valid JSON Schema" in answer.problems[0]


def test_to_json_value_nested() -> None:
    value = {"when": datetime.datetime(2027, 1, 1, 8, 30), "days": (datetime.date(2027, 1, 2),)}

    assert to_json_value(value) == {"when": "2027-01-01T08:30:00", "days": ["2027-01-02"]}


def test_answer_form_records_used_names() -> None:
    answers = {"Customer name": "ACME", DATE_KEY: "2027-01-04", "Colour": "blue"}

    answer = answer_form(SCHEMA, FORM, {}, answers)

    assert answer.used == frozenset({"Customer name", DATE_KEY})
    assert answer.fields == (
        f"'Customer name' (key {NAME_KEY})",
        f"'Start date' (key {DATE_KEY})",
        "'Notes' (key notes)",
    )


def test_unused_answers_message_names_each_unused() -> None:
    message = unused_answers_message({"b": 1, "a": 2, "used": 3}, {"used"}, ["'X' (key x)"])
    assert message == "answers matched no form field: 'a', 'b'; the forms had 'X' (key x)"


def test_unused_answers_message_none_when_all_used() -> None:
    assert unused_answers_message({"a": 1}, {"a"}, ["'A' (key a)"]) is None


def test_missing_field_names_unmatched_answers() -> None:
    answers = {"Customer nme": "ACME", "Start date": "2027-01-04"}

    answer = answer_form(SCHEMA, FORM, {}, answers)

    assert answer.problems == (
        f"no answer and no default for 'Customer name' (key {NAME_KEY})"
        " (answers that matched no field: 'Customer nme')",
    )
