import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from flowspec.schemas import JOBFILE, load_schema, schema_path

SCHEMA = load_schema(JOBFILE)
#: Objects whose keys the user chooses.
OPEN_OBJECTS = {"#/$defs/answers"}


def subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from subschemas(value, f"{where}/{index}")


def described(schema: dict[str, Any]) -> bool:
    if "description" in schema:
        return True
    ref = schema.get("$ref", "")
    return ref.startswith("#/$defs/") and "description" in SCHEMA["$defs"][ref.split("/")[-1]]


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"]


@pytest.mark.parametrize(
    ("where", "schema"),
    [(where, node) for where, node in subschemas(SCHEMA) if "properties" in node],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_property_has_a_description(where: str, schema: dict[str, Any]) -> None:
    missing = [name for name, sub in schema["properties"].items() if not described(sub)]
    assert missing == []


@pytest.mark.parametrize(
    ("where", "schema"),
    [(where, node) for where, node in subschemas(SCHEMA) if node.get("type") == "object"],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_object_rejects_unknown_keys(where: str, schema: dict[str, Any]) -> None:
    if where in OPEN_OBJECTS:
        return
    assert schema.get("additionalProperties") is False


def test_schema_file_is_what_flowspec_schema_prints() -> None:
    assert json.loads(schema_path(JOBFILE).read_text(encoding="utf-8")) == SCHEMA


def test_design_sketch_is_valid() -> None:
    sketch = {
        "version": 1,
        "name": "invoice-regression",
        "server": {"base_url": "https://x.example", "auth": {"api_key": "********"}},
        "defaults": {"timeout": "10m", "expect": {"status": ["Success"]}},
        "run": {"order": "parallel", "concurrency": 8, "fail_fast": False},
        "flows": [
            {"name": "welcome-letter", "flow": "8d1f"},
            {
                "name": "invoices",
                "flow": "1c2a",
                "input": {"xml": "inputs/invoices/*.xml", "schema": "schemas/invoice.xsd"},
                "expect": {"status": ["Success", "Warning"], "documents": 1},
                "save": "out/{run}/{document}",
            },
            {
                "name": "account-pack",
                "flow": "77e0",
                "input": {
                    "plugin": {"dataset": "5a9", "entity": "account", "ids": ["A-1"], "user": "u"}
                },
            },
            {
                "name": "onboarding-form",
                "flow": "42bb",
                "answers": {"Customer name": "ACME", "Start date": "2027-01-01"},
                "after": ["invoices"],
            },
        ],
    }
    assert list(Draft202012Validator(SCHEMA).iter_errors(sketch)) == []
