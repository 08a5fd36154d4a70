"""Loading emulator project files: the model, located errors and the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.emulator.durations import parse_duration
from flowspec.emulator.project import load_project
from flowspec.emulator.testing import write_project
from flowspec.errors import SpecError
from flowspec.schemas import EMULATOR_PROJECT, load_schema
from tests.emulator.projects import demo_project, files


def load_errors(folder: Path, data: dict[str, Any], extra: dict[str, str] | None = None) -> str:
    path = write_project(folder, data, {**files(), **(extra or {})})
    with pytest.raises(SpecError) as caught:
        load_project(path)
    return "\n".join(str(d) for d in caught.value.diagnostics)


def test_demo_project_loads_into_model(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, demo_project(), files()))

    assert set(project.flows) == {"letter", "invoice", "account", "form", "signing"}
    assert project.flows["invoice"].duration == pytest.approx(0.1)
    assert project.flows["invoice"].steps == ("Read data", "Generate document", "Convert to PDF")
    assert project.flows["form"].user_input is not None
    assert project.datasets["invoice-data"].schema_bytes.startswith(b"<?xml")
    assert project.plugin_datasets["crm-accounts"].entity == "account"
    assert project.users[1].may_use("letter")
    assert not project.users[1].may_use("invoice")


def test_extra_api_keys_go_to_admin(tmp_path: Path) -> None:
    project = load_project(
        write_project(tmp_path, demo_project(), files()), extra_api_keys=["ci-key-000001"]
    )

    admin = project.users[0]
    assert admin.admin
    assert [key.reveal() for key in admin.api_keys] == ["alice-key-0001", "ci-key-000001"]


def test_project_without_users_gets_admin(tmp_path: Path) -> None:
    path = write_project(tmp_path, {"flows": [{"id": "f"}]})

    project = load_project(path, extra_api_keys=["ci-key-000001"])

    assert project.users[0].username == "admin"
    assert project.users[0].api_keys[0].reveal() == "ci-key-000001"


def test_unknown_property_is_located(tmp_path: Path) -> None:
    data = demo_project()
    data["flows"][1]["duraton"] = "1s"

    errors = load_errors(tmp_path, data)

    assert "project.yaml:" in errors
    assert "unknown key 'duraton'" in errors
    assert "did you mean 'duration'?" in errors


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            {"duration": "fast"},
            "'fast' is not a valid duration (expected e.g. 200ms, 2s, 1.5m, 1h)",
            id="bad-duration",
        ),
        pytest.param({"outcome": "Done"}, "must be one of Success", id="bad-outcome"),
        pytest.param({"input": "xml"}, "must be one of none, user, plugin", id="bad-input-type"),
        pytest.param({"dataset": "nope"}, "unknown data set 'nope'", id="unknown-dataset"),
    ],
)
def test_flow_errors_are_reported(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    data = demo_project()
    data["flows"][1].update(change)

    errors = load_errors(tmp_path, data)

    assert expected in errors


def test_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "project.yaml"
    path.write_text("flows:\n  - id: f\n    duration: soon\n", encoding="utf-8")

    with pytest.raises(SpecError) as caught:
        load_project(path)

    location = caught.value.diagnostics[0].location
    assert (location.line, location.column) == (3, 15)


def test_user_flow_needs_dataset(tmp_path: Path) -> None:
    data = demo_project()
    del data["flows"][1]["dataset"]

    errors = load_errors(tmp_path, data)

    assert "has input 'user' but no dataset" in errors


def test_missing_xsd_file_is_reported(tmp_path: Path) -> None:
    data = demo_project()
    data["datasets"][0]["schema"] = "missing.xsd"

    errors = load_errors(tmp_path, data)

    assert "file not found: missing.xsd" in errors


def test_xsd_outside_project_folder_is_rejected(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("canary-4711")
    data = demo_project()
    data["datasets"][0]["schema"] = "../secret.txt"

    errors = load_errors(tmp_path / "project", data)

    assert "project.yaml" in errors
    assert "canary-4711" not in errors


def test_broken_xsd_is_reported(tmp_path: Path) -> None:
    data = demo_project()
    data["datasets"][0]["schema"] = "broken.xsd"

    errors = load_errors(tmp_path, data, {"broken.xsd": "<xs:schema"})

    assert "broken.xsd" in errors


def test_duplicate_flow_id_is_reported(tmp_path: Path) -> None:
    data = demo_project()
    data["flows"].append({"id": "letter"})

    errors = load_errors(tmp_path, data)

    assert "duplicate flow id 'letter'" in errors


def test_duplicate_api_key_message_hides_key(tmp_path: Path) -> None:
    data = demo_project()
    data["users"][1]["api_keys"] = ["alice-key-0001"]

    errors = load_errors(tmp_path, data)

    assert "API key already belongs to another user" in errors
    assert "alice-key-0001" not in errors


def test_default_of_wrong_type_is_reported(tmp_path: Path) -> None:
    data = demo_project()
    data["flows"][3]["user_input"]["fields"][2]["default"] = "three"

    errors = load_errors(tmp_path, data)

    assert "default 'three' does not fit the field's type 'integer'" in errors


def test_user_with_unknown_flow_is_reported(tmp_path: Path) -> None:
    data = demo_project()
    data["users"][1]["flows"] = ["ghost"]

    errors = load_errors(tmp_path, data)

    assert "unknown flow 'ghost'" in errors


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "project.yaml"
    path.write_text("flows: [\n  {id: f\n", encoding="utf-8")

    with pytest.raises(SpecError) as caught:
        load_project(path)

    assert caught.value.diagnostics[0].location.line == 3
    assert "did not find expected ','" in caught.value.diagnostics[0].message


def test_missing_project_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_project(tmp_path / "nowhere.yaml")

    assert caught.value.diagnostics[0].message == "file not found"


def _described(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    if "description" in node:
        return True
    reference = node.get("$ref", "")
    if not reference.startswith("#/$defs/"):
        return False
    return "description" in schema["$defs"][reference.removeprefix("#/$defs/")]


def _undescribed(schema: dict[str, Any], node: Any, pointer: str = "") -> list[str]:
    missing: list[str] = []
    if isinstance(node, dict):
        for name, child in node.get("properties", {}).items():
            if not _described(schema, child):
                missing.append(f"{pointer}/properties/{name}")
        for key, value in node.items():
            missing += _undescribed(schema, value, f"{pointer}/{key}")
    return missing


def test_schema_describes_every_property() -> None:
    schema = load_schema(EMULATOR_PROJECT)

    assert _undescribed(schema, schema) == []


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["ms", "s", "m", "h"]))
def test_duration_units_scale(number: int, unit: str) -> None:
    factor = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]

    assert parse_duration(f"{number}{unit}") == pytest.approx(number * factor)


@given(st.text(max_size=12).filter(lambda text: not text.strip().replace(".", "", 1).isdigit()))
def test_duration_rejects_text_without_unit(text: str) -> None:
    try:
        parse_duration(text)
    except ValueError:
        return
    assert text.strip()[-1] in "smh"


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        pytest.param("invoice-dat", "did you mean 'invoice-data'?", id="typo"),
        pytest.param("zz", "use one of the ids under datasets: invoice-data", id="no-close-match"),
    ],
)
def test_unknown_data_set_hint(tmp_path: Path, dataset: str, expected: str) -> None:
    data = demo_project()
    data["flows"][1]["dataset"] = dataset

    errors = load_errors(tmp_path, data)

    assert f"unknown data set '{dataset}'; {expected}" in errors


def test_unknown_flow_of_user_hint(tmp_path: Path) -> None:
    data = demo_project()
    data["users"][1]["flows"] = ["lettr"]

    errors = load_errors(tmp_path, data)

    assert "unknown flow 'lettr'; did you mean 'letter'?" in errors


def test_short_api_key_names_minimum(tmp_path: Path) -> None:
    data = demo_project()
    data["users"][0]["api_keys"] = ["short"]

    errors = load_errors(tmp_path, data)

    assert errors.endswith(": error: 'users[0].api_keys[0]' must be at least 8 characters long")
