import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ENVIRON, HEADER

from flowspec.cli import main

Write = Callable[..., Path]
VALID = HEADER + "flows:\n  - {name: a, flow: f}\n"
INVALID = HEADER + "flows:\n  - {name: a, flow: f, timout: 5m}\n  - {name: b}\n"


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args], env=ENVIRON)
    return result.exit_code, result.output


def test_valid_file_exits_0(write: Write) -> None:
    code, output = run("validate", write(VALID))
    assert code == 0
    assert output == "1 file valid\n"


def test_several_valid_files_counted(write: Write) -> None:
    assert run("validate", write(VALID, "a.yaml"), write(VALID, "b.yaml"))[1] == "2 files valid\n"


def test_text_lists_errors_then_count(write: Write) -> None:
    good, bad = write(VALID, "good.yaml"), write(INVALID, "bad.yaml")
    code, output = run("validate", good, bad)
    assert code == 2
    assert output.splitlines() == [
        f"{bad}:7:24: error: unknown key 'timout'; did you mean 'timeout'?",
        f"{bad}:8:5: error: missing required key 'flow' in flows[1]",
        "",
        "2 errors in 1 of 2 files",
    ]


def test_text_groups_files_with_blank_line(write: Write) -> None:
    first, second = write(INVALID, "one.yaml"), write(INVALID, "two.yaml")
    lines = run("validate", first, second)[1].splitlines()
    assert lines[2] == ""
    assert lines[3].startswith(str(second))
    assert lines[-1] == "4 errors in 2 of 2 files"


def test_json_format(write: Write) -> None:
    good, bad = write(VALID, "good.yaml"), write(INVALID, "bad.yaml")
    code, output = run("validate", "--format", "json", good, bad)
    document = json.loads(output)
    assert code == 2
    assert document["version"] == 1
    assert document["valid"] is False
    assert document["summary"] == {"files": 2, "invalid_files": 1, "errors": 2}
    assert document["files"] == [
        {"path": str(good), "valid": True, "errors": 0},
        {"path": str(bad), "valid": False, "errors": 2},
    ]
    assert document["errors"][0] == {
        "job_file": str(bad),
        "file": str(bad),
        "line": 7,
        "column": 24,
        "pointer": "/flows/0/timout",
        "severity": "error",
        "message": "unknown key 'timout'",
        "hint": "did you mean 'timeout'?",
    }


def test_json_valid(write: Write) -> None:
    document = json.loads(run("validate", "--format", "json", write(VALID))[1])
    assert document["valid"] is True
    assert document["errors"] == []


def test_github_format(write: Write) -> None:
    bad = write(INVALID, "bad.yaml")
    code, output = run("validate", "--format", "github", bad)
    assert code == 2
    assert output.splitlines() == [
        f"::error file={bad},line=7,col=24::unknown key 'timout'; did you mean 'timeout'?",
        f"::error file={bad},line=8,col=5::missing required key 'flow' in flows[1]",
        "2 errors in 1 file",
    ]


def test_github_escapes_data_and_properties(write: Write) -> None:
    from flowspec.cli.validate import _annotation
    from flowspec.diagnostics import Diagnostic, Location

    diagnostic = Diagnostic(Location("a,b:c.yaml", 1, 2), "100% wrong\r\nnext")
    assert (
        _annotation(diagnostic)
        == "::error file=a%2Cb%3Ac.yaml,line=1,col=2::100%25 wrong%0D%0Anext"
    )


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("validate", tmp_path / "nope.yaml")
    assert code == 2
    assert output.startswith(f"{tmp_path / 'nope.yaml'}: error: file not found")


def test_directory_is_an_error(tmp_path: Path) -> None:
    code, output = run("validate", tmp_path)
    assert code == 2
    assert "is a directory" in output


def test_unreadable_file_is_an_error(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(VALID)
    original = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, output = run("validate", path)
    assert code == 2
    assert output.startswith(f"{path}: error: cannot be read: Permission denied")


def test_binary_junk_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.yaml"
    path.write_bytes(bytes(range(256)))
    code, output = run("validate", path)
    assert code == 2
    assert "Traceback" not in output


def test_no_files_is_a_usage_error() -> None:
    assert run("validate")[0] == 2


def test_no_xml_option_skips_xml(write: Write) -> None:
    path = write(HEADER + "flows:\n  - {name: a, flow: f, input: {xml: in.xml}}\n")
    (path.parent / "in.xml").write_text("<broken>")
    assert run("validate", path)[0] == 2
    assert run("validate", "--no-xml", path)[0] == 0


def test_schema_command_prints_schema() -> None:
    code, output = run("schema")
    schema = json.loads(output)
    assert code == 0
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:flowspec:schema:jobfile:1"


def test_validate_module_imports_heavy_libraries_lazily() -> None:
    import ast

    import flowspec.cli.validate as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    names = {
        alias.name for node in top_level if isinstance(node, ast.Import) for alias in node.names
    }
    names |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
    assert names <= {
        "__future__",
        "json",
        "collections.abc",
        "pathlib",
        "typing",
        "click",
        "flowspec.errors",
    }


CODE_XSD = """\
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="codes"><xs:complexType><xs:sequence>
    <xs:element name="code" type="xs:integer" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


def write_xml_with_errors(write: Write, error_count: int) -> Path:
    """Write a job file whose one XML input breaks its XSD ``error_count`` times."""
    path = write(
        HEADER + "flows:\n  - {name: a, flow: f, input: {xml: in.xml, schema: codes.xsd}}\n"
    )
    (path.parent / "codes.xsd").write_text(CODE_XSD)
    codes = "".join(f"  <code>x{index}</code>\n" for index in range(error_count))
    (path.parent / "in.xml").write_text(f"<codes>\n{codes}</codes>\n")
    return path


def test_text_count_includes_errors_not_shown(write: Write) -> None:
    lines = run("validate", write_xml_with_errors(write, 25))[1].splitlines()
    assert lines[-3].endswith(
        "note: 5 more errors not shown; only the first 20 of each file are reported"
    )
    assert lines[-1] == "25 errors in 1 file"


def test_json_counts_exclude_note_itself(write: Write) -> None:
    document = json.loads(run("validate", "--format", "json", write_xml_with_errors(write, 25))[1])
    assert document["summary"]["errors"] == 25
    assert document["files"][0]["errors"] == 25
    assert len(document["errors"]) == 21
    assert document["errors"][-1]["severity"] == "note"


def test_json_count_without_note(write: Write) -> None:
    document = json.loads(run("validate", "--format", "json", write_xml_with_errors(write, 3))[1])
    assert document["summary"]["errors"] == 3
    assert len(document["errors"]) == 3


def test_github_writes_note_as_notice(write: Write) -> None:
    lines = run("validate", "--format", "github", write_xml_with_errors(write, 21))[1].splitlines()
    assert lines[-2].startswith("::notice file=")
    assert lines[-2].endswith(
        "::1 more error not shown; only the first 20 of each file are reported"
    )
    assert lines[-1] == "21 errors in 1 file"


def test_xml_problems_stay_with_their_job_file(write: Write) -> None:
    first = write_xml_with_errors(write, 2)
    second = write(HEADER + "flows:\n  - {name: b, flow: f, input: {xml: other.xml}}\n", "two.yaml")
    (second.parent / "other.xml").write_text("<open>")
    document = json.loads(run("validate", "--format", "json", first, second)[1])
    assert [record["errors"] for record in document["files"]] == [2, 1]
    assert {e["file"] for e in document["errors"] if e["job_file"] == str(first)} == {
        str(first.parent / "in.xml")
    }
    assert {e["file"] for e in document["errors"] if e["job_file"] == str(second)} == {
        str(second.parent / "other.xml")
    }


def test_validate_skips_run_and_report_imports(write: Write) -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from flowspec.cli import main\n"
        "CliRunner().invoke(main, ['validate', '--no-xml', sys.argv[1]])\n"
        "print(sorted({'httpx', 'rich', 'flowspec.engine'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(write(VALID))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "[]\n"


def test_invalid_emulator_project_is_reported(write: Write) -> None:
    path = write(
        "version: 1\nserver: {base_url: 'emulator:project.yaml'}\nflows: [{name: a, flow: a}]\n"
    )
    (path.parent / "project.yaml").write_text("name: p\nflows:\n  - {id: a, input: nope}\n")
    code, output = run("validate", path)
    assert code == 2
    assert output.splitlines()[0].startswith(f"{path.parent / 'project.yaml'}:3:")
    assert "'flows[0].input' must be one of none, user, plugin, not 'nope'" in output
    assert output.splitlines()[-1] == "1 error in 1 file"


def test_valid_emulator_project_passes(write: Write) -> None:
    path = write(
        "version: 1\nserver: {base_url: 'emulator:project.yaml'}\nflows: [{name: a, flow: a}]\n"
    )
    (path.parent / "project.yaml").write_text("name: p\nflows:\n  - {id: a}\n")
    assert run("validate", path) == (0, "1 file valid\n")
