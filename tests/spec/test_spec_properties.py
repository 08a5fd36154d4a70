"""Whatever the input, loading gives a job file or located diagnostics, never another exception."""

import string
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from conftest import ENVIRON, HEADER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowspec.cli import main
from flowspec.spec import check_job_files

KEYS = st.sampled_from(
    [
        "version",
        "server",
        "flows",
        "name",
        "flow",
        "input",
        "xml",
        "plugin",
        "mode",
        "after",
        "expect",
        "status",
        "timeout",
        "save",
        "answers",
        "auth",
        "api_key",
        "base_url",
        "run",
    ]
) | st.text(string.ascii_letters + "_${}:-", max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["${API_KEY}", "${UNSET}", "$${x}", "${A:-1}", "10m", "*.xml", "emulator:x"])
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def check_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "suite.yaml"
        path.write_bytes(data)
        [check] = check_job_files([path], environ=ENVIRON)
    if check.job is None:
        assert check.diagnostics
    for diagnostic in check.diagnostics:
        assert diagnostic.location.file
        assert diagnostic.message


@PROPERTY_SETTINGS
@given(DOCUMENTS)
def test_any_yaml_document_gives_model_or_diagnostics(document: Any) -> None:
    check_bytes(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))


@PROPERTY_SETTINGS
@given(st.dictionaries(KEYS, DOCUMENTS, max_size=4))
def test_any_flows_entries_give_model_or_diagnostics(entry: dict[str, Any]) -> None:
    text = HEADER + yaml.safe_dump({"flows": [entry]}, allow_unicode=True)
    check_bytes(text.encode("utf-8"))


ENTRY_KEYS = st.sampled_from(
    [
        "mode",
        "input",
        "skip_user_input",
        "answers",
        "expect",
        "timeout",
        "poll_timeout",
        "after",
        "save",
        "download",
        "cancel_on_timeout",
        "outputs",
    ]
)
SECTIONS = st.fixed_dictionaries(
    {},
    optional={
        "defaults": st.dictionaries(ENTRY_KEYS, DOCUMENTS, max_size=4),
        "run": st.dictionaries(st.sampled_from(["order", "concurrency", "fail_fast"]), SCALARS),
    },
)


@PROPERTY_SETTINGS
@given(st.dictionaries(ENTRY_KEYS, DOCUMENTS, max_size=5), SECTIONS)
def test_any_entry_settings_give_model_or_diagnostics(
    entry: dict[str, Any], sections: dict[str, Any]
) -> None:
    document = {**sections, "flows": [{"name": "a", "flow": "f", **entry}]}
    text = HEADER + yaml.safe_dump(document, allow_unicode=True)
    check_bytes(text.encode("utf-8"))


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_give_diagnostics(data: bytes) -> None:
    check_bytes(data)


@PROPERTY_SETTINGS
@given(st.text(alphabet=string.printable + "\t\u00e9\ufeff&*!|>-[]{}", max_size=200))
def test_any_text_gives_diagnostics(text: str) -> None:
    check_bytes(text.encode("utf-8"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200) | DOCUMENTS.map(lambda d: yaml.safe_dump(d).encode("utf-8")))
def test_validate_cli_exits_0_or_2(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "suite.yaml"
        path.write_bytes(data)
        for output_format in ("text", "json", "github"):
            result = CliRunner().invoke(
                main, ["validate", "--format", output_format, str(path)], env=ENVIRON
            )
            assert result.exit_code in (0, 2), result.output
            assert "Traceback" not in result.output
            assert "internal error" not in result.output
