import os
import time
from pathlib import Path

import pytest

from flowspec.errors import SpecError
from flowspec.spec.yamlload import MAX_DEPTH, load_yaml, parse_yaml


def parse(text: str) -> object:
    return parse_yaml(Path("t.yaml"), text).data


def errors(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_yaml(Path("t.yaml"), text)
    return [f"{d.location.line}:{d.location.column}: {d.message}" for d in caught.value.diagnostics]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("yes", "yes", id="yes-stays-string"),
        pytest.param("no", "no", id="no-stays-string"),
        pytest.param("NO", "NO", id="NO-stays-string"),
        pytest.param("on", "on", id="on-stays-string"),
        pytest.param("off", "off", id="off-stays-string"),
        pytest.param("true", True, id="true"),
        pytest.param("True", True, id="True"),
        pytest.param("FALSE", False, id="FALSE"),
        pytest.param("0777", 777, id="leading-zero-is-decimal"),
        pytest.param("0o17", 15, id="octal"),
        pytest.param("0x1F", 31, id="hex"),
        pytest.param("1:30", "1:30", id="no-sexagesimal"),
        pytest.param("2027-01-01", "2027-01-01", id="no-dates"),
        pytest.param("1_000", "1_000", id="no-underscores"),
        pytest.param("~", None, id="tilde-null"),
        pytest.param("", None, id="empty-null"),
        pytest.param("1e3", 1000.0, id="float-exponent"),
        pytest.param("'8'", "8", id="quoted-stays-string"),
        pytest.param("<<", "<<", id="no-merge-key"),
    ],
)
def test_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    assert parse(f"key: {text}\n") == {"key": value}


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(path).data == {"a": 1}


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecError) as caught:
        load_yaml(path)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.location.line, diagnostic.location.column) == (2, 7)
    assert "UTF-8" in diagnostic.message


def test_utf16_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("a: 1\n".encode("utf-16"))
    with pytest.raises(SpecError, match="1 error"):
        load_yaml(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: 1\nb: 2\na: 3\n", "3:1: duplicate key 'a'", id="duplicate-key"),
        pytest.param(
            "a: 1\n---\nb: 2\n", "2:1: the file contains more than one", id="two-documents"
        ),
        pytest.param("", "1:1: the file has no YAML document", id="empty"),
        pytest.param("# nothing\n", "1:1: the file has no YAML document", id="only-comment"),
        pytest.param("- a\n- b\n", "1:1: the top level must be a mapping", id="top-level-list"),
        pytest.param("just text\n", "1:1: the top level must be a mapping", id="top-level-scalar"),
        pytest.param("a:\n\tb: 1\n", "2:1: tab character", id="tab-indent"),
        pytest.param("a:\n  b: 1\n  \tc: 2\n", "3:3: tab character", id="tab-after-spaces"),
        pytest.param("a: [1, 2\n", "2:1: did not find expected ',' or ']'", id="unclosed-flow"),
        pytest.param("a: b: c\n", "1:5: mapping values are not allowed", id="nested-colon"),
        pytest.param("a: *x\n", "1:4: alias '*x' refers to no anchor", id="undefined-alias"),
        pytest.param("a: &x [1, *x]\n", "1:11: this alias refers to a collection", id="recursive"),
        pytest.param("a: !!binary aGk=\n", "1:4: unsupported tag", id="binary-tag"),
        pytest.param("a: !!python/name:os.system\n", "1:4: unsupported tag", id="python-tag"),
        pytest.param("a: !!int abc\n", "1:4: 'abc' is tagged as an integer", id="bad-int-tag"),
        pytest.param("? [1]\n: 2\n", "1:3: a mapping key must be a single value", id="list-key"),
        pytest.param("a: \x07\n", "1:4: character 0x07 is not allowed", id="control-char"),
    ],
)
def test_malformed_yaml_is_located(text: str, expected: str) -> None:
    assert any(error.startswith(expected) for error in errors(text)), errors(text)


def test_all_duplicate_keys_are_reported() -> None:
    assert len(errors("a: 1\na: 2\nb: {c: 1, c: 2}\n")) == 2


def test_tabs_inside_block_scalars_are_content() -> None:
    assert parse("a: |\n  x\n  \ty\n") == {"a": "x\n\ty\n"}


def test_alias_bomb_fails_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    started = time.monotonic()
    assert "more than 1,000,000 values" in " ".join(errors("\n".join(lines) + "\n"))
    assert time.monotonic() - started < 10


def test_aliases_within_bound_expand() -> None:
    assert parse("a: &x {k: 1}\nb: *x\n") == {"a": {"k": 1}, "b": {"k": 1}}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000], ids=["just-over", "huge"])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    text = "a: " + "[" * depth + "]" * depth + "\n"
    # Recent libyaml builds stop at depth 1,000 with their own "maximum nesting depth" error.
    assert "nest" in " ".join(errors(text))


def test_locate_points_at_value() -> None:
    document = parse_yaml(Path("t.yaml"), "flows:\n  - name: x\n    input:\n      xml: a\n")
    location = document.locate("/flows/0/input/xml")
    assert (location.line, location.column, location.pointer) == (4, 12, "/flows/0/input/xml")


def test_locate_missing_key_gives_parent_mapping() -> None:
    document = parse_yaml(Path("t.yaml"), "flows:\n  - name: x\n    flow: y\n")
    location = document.locate("/flows/0/missing")
    assert (location.line, location.column) == (2, 5)


def test_locate_key_points_at_key() -> None:
    document = parse_yaml(Path("t.yaml"), "server:\n  base_url: x\n")
    location = document.locate_key("/server/base_url")
    assert (location.line, location.column) == (2, 3)


def test_locate_through_alias_gives_alias_place() -> None:
    document = parse_yaml(Path("t.yaml"), "x: &a {k: 1}\ny: *a\n")
    assert document.locate("/y").line == 2
    assert document.locate("/y/k").line == 1


def test_locate_escaped_pointer() -> None:
    document = parse_yaml(Path("t.yaml"), "answers:\n  a/b: 1\n  c~d: 2\n")
    assert document.locate("/answers/a~1b").line == 2
    assert document.locate("/answers/c~0d").line == 3


def test_missing_file_is_a_diagnostic(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_yaml(tmp_path / "nope.yaml")
    assert caught.value.diagnostics[0].message == "file not found"


def test_directory_is_a_diagnostic(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_yaml(tmp_path)
    assert "directory" in caught.value.diagnostics[0].message


def test_pure_python_parser_gives_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from flowspec.spec import yamlnodes

    text = "a: [1, 0o17, yes]\nb: &x {c: 2027-01-01}\nd: *x\n"
    with_libyaml = parse(text)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    monkeypatch.setattr(yamlnodes, "_PARSER", yamlnodes._parser_class())
    assert parse(text) == with_libyaml
    assert errors("a:\n\tb: 1\n")[0].startswith("2:1: tab character")


def test_unquoted_reference_in_flow_mapping_gets_hint() -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(Path("t.yaml"), "auth: {api_key: ${KEY}}\n")
    assert (
        caught.value.diagnostics[0].hint == "inside { } or [ ], quote ${VAR} references: '${VAR}'"
    )


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        pytest.param(
            "flows:\n  - name: a\n   flow: f\n",
            "check the indentation: the items of one list start in the same column",
            id="list-item-indent",
        ),
        pytest.param(
            "flows:\n  - name: a\n      flow: f\n",
            "check the indentation of this line, or quote a value that contains ': '",
            id="value-with-colon",
        ),
        pytest.param(
            "version: 1\nflows: [a, b\n",
            "close the '[' opened at line 2, or quote values with , [ ] { }",
            id="open-bracket",
        ),
        pytest.param(
            "version: 1\nflows: {a: 1\nname: x\n",
            "close the '{' opened at line 2, or quote values with , [ ] { }",
            id="open-brace",
        ),
        pytest.param('name: "abc\n', "close the quote opened at line 1", id="open-quote"),
    ],
)
def test_syntax_error_gets_next_step(text: str, hint: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_yaml(Path("s.yaml"), text)

    assert len(caught.value.diagnostics) == 1
    assert caught.value.diagnostics[0].hint == hint


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the platform has no FIFOs")
def test_fifo_is_a_diagnostic_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    os.mkfifo(path)

    with pytest.raises(SpecError) as caught:
        load_yaml(path)

    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == (
        "is not a regular file but a FIFO, socket or device; save it to a file"
    )
