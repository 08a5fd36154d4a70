import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ENVIRON, HEADER, messages, problems

from flowspec.errors import SpecError
from flowspec.spec import load_job_files
from flowspec.spec.model import PluginInput, XmlInput

Write = Callable[..., Path]


def entries(text: str) -> str:
    return HEADER + "flows:\n" + text


def test_valid_file_gives_model(write: Write) -> None:
    path = write(
        HEADER
        + """\
defaults:
  timeout: 5m
  poll_timeout: 45
  expect: {status: Warning}
  answers: {Country: BE}
run: {order: parallel, concurrency: 3, fail_fast: true}
flows:
  - name: first
    flow: 8d1f
    expect: {documents: 2}
    answers: {Name: ACME}
    timeout: 1h30m
  - name: second
    flow: 1c2a
    input:
      plugin: {dataset: d1, entity: account, ids: A-1, user: u-17, organization: org}
    after: first
    poll_timeout: 2m
    save: "{entry}/{execution}-{document}"
    download: false
    cancel_on_timeout: false
    outputs: [summary]
"""
    )
    [job] = load_job_files([path], environ=ENVIRON)
    first, second = job.entries
    assert job.name == "suite"
    assert (job.run.order, job.run.concurrency, job.run.fail_fast) == ("parallel", 3, True)
    assert first.timeout == 5400.0
    assert first.poll_timeout == 45.0
    assert first.expect.status == ("Warning",)
    assert first.expect.documents == 2
    assert first.answers == {"Country": "BE", "Name": "ACME"}
    assert second.timeout == 300.0
    assert second.poll_timeout == 120.0
    assert second.after == ("first",)
    assert second.input == PluginInput(
        "d1", "account", ("A-1",), "u-17", "org", second.input.location
    )
    assert (second.download, second.cancel_on_timeout, second.outputs) == (
        False,
        False,
        ("summary",),
    )
    assert second.save == "{entry}/{execution}-{document}"
    assert first.location.line == 13


def test_unknown_key_suggests_close_name(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    timout: 5m\n"))
    [diagnostic] = problems(path)
    assert (diagnostic.location.line, diagnostic.location.column) == (9, 5)
    assert diagnostic.message == "unknown key 'timout'"
    assert diagnostic.hint == "did you mean 'timeout'?"


def test_enum_lists_allowed_values(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    mode: pluginn\n"))
    [diagnostic] = problems(path)
    assert "none, xml, plugin, start" in diagnostic.message
    assert diagnostic.hint == "did you mean 'plugin'?"


def test_status_alternatives_report_the_closest(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    expect: {status: [Success, Warnin]}\n"))
    assert messages(path) == [
        "9:32: 'flows[0].expect.status[1]' must be one of Success, Warning, Error, "
        "Interrupted, Canceled, not 'Warnin'"
    ]


def test_missing_required_key_at_parent(write: Write) -> None:
    assert messages(write(entries("  - name: a\n"))) == [
        "7:5: missing required key 'flow' in flows[0]"
    ]


def test_auth_needs_one_method(write: Write) -> None:
    text = (
        HEADER.replace("    api_key: ${API_KEY}\n", "    {}\n") + "flows:\n  - {name: a, flow: f}\n"
    )
    assert "needs 'api_key' or 'login'" in messages(write(text))[0]


def test_duplicate_entry_names(write: Write) -> None:
    path = write(entries("  - {name: a, flow: f}\n  - {name: a, flow: g}\n"))
    assert messages(path) == ["8:12: duplicate entry name 'a' (first used on line 7)"]


def test_after_must_name_an_entry(write: Write) -> None:
    path = write(entries("  - {name: load, flow: f}\n  - {name: b, flow: g, after: [laod]}\n"))
    [diagnostic] = problems(path)
    assert diagnostic.message == "'after' names 'laod', which is no entry of this file"
    assert diagnostic.hint == "did you mean 'load'?"


def test_cycle_reported_whole(write: Write) -> None:
    path = write(
        entries(
            "  - {name: a, flow: f, after: [c]}\n"
            "  - {name: b, flow: f, after: [a]}\n"
            "  - {name: c, flow: f, after: [b]}\n"
        )
    )
    assert messages(path) == ["7:31: entries wait for each other in a cycle: a -> c -> b -> a"]


def test_self_wait_is_a_cycle(write: Write) -> None:
    path = write(entries("  - {name: a, flow: f, after: a}\n"))
    assert messages(path) == ["7:31: entries wait for each other in a cycle: a -> a"]


MODE_CASES = [
    ("mode: none\n    input: {xml: in.xml}", "mode none sends no XML"),
    ("mode: plugin\n    input: {xml: in.xml}", "mode plugin sends no XML"),
    ("mode: xml", "mode xml needs an XML input"),
    ("mode: plugin", "mode plugin needs a plug-in payload"),
    (
        "mode: xml\n    input: {plugin: {dataset: d, entity: e, ids: [i], user: u}}",
        "mode xml sends no plug-in",
    ),
    ("mode: none\n    skip_user_input: true", "skip_user_input: true needs mode start"),
    ("skip_user_input: true\n    answers: {a: 1}", "answers are never used: skip_user_input"),
    ("mode: start\n    answers: {a: 1}", "answers are never used: mode start"),
]


@pytest.mark.parametrize(
    ("fields", "expected"), MODE_CASES, ids=[case[1][:40] for case in MODE_CASES]
)
def test_mode_and_input_must_fit(write: Write, fields: str, expected: str) -> None:
    path = write(entries(f"  - name: a\n    flow: f\n    {fields}\n"))
    (path.parent / "in.xml").write_text("<a/>")
    assert [m for m in messages(path) if expected in m], messages(path)


@pytest.mark.parametrize(
    "fields",
    [
        "mode: start",
        "mode: start\n    input: {xml: in.xml}",
        "mode: start\n    input: {plugin: {dataset: d, entity: e, ids: [i], user: u}}",
        "skip_user_input: true\n    input: {xml: in.xml}",
        "mode: xml\n    input: {xml: in.xml}",
    ],
    ids=["start", "start-xml", "start-plugin", "skip-xml", "xml"],
)
def test_fitting_modes_are_valid(write: Write, fields: str) -> None:
    path = write(entries(f"  - name: a\n    flow: f\n    {fields}\n"))
    (path.parent / "in.xml").write_text("<a/>")
    assert messages(path) == []


def test_glob_results_sorted(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: 'in/**/*.xml'}\n"))
    for name in ("b.xml", "a.xml", "sub/c.xml"):
        (path.parent / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "in" / name).write_text("<a/>")
    [job] = load_job_files([path], environ=ENVIRON)
    xml = job.entries[0].input
    assert isinstance(xml, XmlInput)
    assert [f.relative_to(path.parent).as_posix() for f in xml.files] == [
        "in/a.xml",
        "in/b.xml",
        "in/sub/c.xml",
    ]


def test_glob_matching_nothing(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: 'in/*.xml'}\n"))
    assert "no file matches in/*.xml" in messages(path)[0]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("../outside.xml", "climbs out with '..'"),
        ("/etc/hosts", "is absolute"),
        ("missing.xml", "file not found: missing.xml"),
        ("folder", "not a file: folder"),
    ],
    ids=["dotdot", "absolute", "missing", "directory"],
)
def test_referenced_file_problems(write: Write, reference: str, expected: str) -> None:
    path = write(
        entries(f"  - name: a\n    flow: f\n    input: {{xml: '{reference}'}}\n"), "job/suite.yaml"
    )
    (path.parent / "folder").mkdir()
    (path.parent.parent / "outside.xml").write_text("<a/>")
    assert expected in " ".join(messages(path))


def test_symlink_escape_is_rejected(write: Write, tmp_path: Path) -> None:
    path = write(
        entries("  - name: a\n    flow: f\n    input: {xml: 'in/*.xml'}\n"), "job/suite.yaml"
    )
    (tmp_path / "secret.xml").write_text("<a/>")
    (path.parent / "in").mkdir()
    os.symlink(tmp_path / "secret.xml", path.parent / "in" / "link.xml")
    assert "leads outside the referencing file's folder" in " ".join(messages(path))


def test_schema_file_must_exist(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: in.xml, schema: in.xsd}\n"))
    (path.parent / "in.xml").write_text("<a/>")
    assert messages(path) == ["9:34: file not found: in.xsd (looked in " + str(path.parent) + ")"]


def test_schema_needs_xml(write: Write) -> None:
    plugin = "{dataset: d, entity: e, ids: i, user: u}"
    text = entries(f"  - name: a\n    flow: f\n    input: {{schema: in.xsd, plugin: {plugin}}}\n")
    assert any("'schema' needs 'xml'" in m for m in messages(write(text)))


def test_ca_bundle_and_emulator_project_must_exist(write: Write) -> None:
    text = HEADER.replace("${SMARTFLOWS_URL}", "emulator:project.yaml") + "  ca_bundle: ca.pem\n"
    found = messages(write(text + "flows:\n  - {name: a, flow: f}\n"))
    assert any("emulator project: file not found: project.yaml" in m for m in found)
    assert any("file not found: ca.pem" in m for m in found)


def test_emulator_project_resolved(write: Write) -> None:
    text = HEADER.replace("${SMARTFLOWS_URL}", "emulator:project.yaml")
    path = write(text + "flows:\n  - {name: a, flow: f}\n")
    (path.parent / "project.yaml").write_text("flows: []\n")
    [job] = load_job_files([path], environ=ENVIRON)
    assert job.server.emulator_project == path.parent / "project.yaml"


def test_plain_http_needs_opt_in(write: Write) -> None:
    text = HEADER.replace("${SMARTFLOWS_URL}", "http://smartflows.example")
    assert (
        "would send credentials unencrypted"
        in messages(write(text + "flows:\n  - {name: a, flow: f}\n"))[0]
    )


@pytest.mark.parametrize(
    "url", ["http://localhost:8080", "http://127.0.0.1:9000/", "http://[::1]:80"]
)
def test_plain_http_to_loopback_is_fine(write: Write, url: str) -> None:
    text = HEADER.replace("${SMARTFLOWS_URL}", url)
    assert messages(write(text + "flows:\n  - {name: a, flow: f}\n")) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://[::1", "invalid base URL: Invalid IPv6 URL", id="broken-ipv6"),
        pytest.param("https://h.example:99999/", "Port out of range", id="port-too-big"),
        pytest.param("https://h.example:0/", "port 0 is not a valid port", id="port-zero"),
        pytest.param("https://ci:pw@h.example/", "contains a user name or password", id="userinfo"),
        pytest.param("https://h.example/?tenant=1", "has a query or fragment", id="query"),
    ],
)
def test_bad_base_url_is_located(write: Write, url: str, expected: str) -> None:
    environ = {**ENVIRON, "SMARTFLOWS_URL": url}
    found = messages(write(HEADER + "flows:\n  - {name: a, flow: f}\n"), environ)
    assert len(found) == 1
    assert found[0].startswith("3:13: ")
    assert expected in found[0]


def test_base_url_password_not_quoted(write: Write) -> None:
    environ = {**ENVIRON, "SMARTFLOWS_URL": "https://ci:hunter2-pw@h.example/"}
    found = messages(write(HEADER + "flows:\n  - {name: a, flow: f}\n"), environ)
    assert "hunter2-pw" not in " ".join(found)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{run}/{doc}", "unknown field {doc}"),
        ("{run:>10}", "takes no format"),
        ("/abs/{run}", "is absolute"),
        ("../{run}", "climbs out"),
        ("{run", "invalid save template"),
    ],
    ids=["unknown", "format-spec", "absolute", "dotdot", "unbalanced"],
)
def test_save_template_problems(write: Write, template: str, expected: str) -> None:
    path = write(entries(f"  - name: a\n    flow: f\n    save: '{template}'\n"))
    assert expected in " ".join(messages(path))


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("timeout", "0s", "is not a positive duration"),
        ("timeout", "90", "must be a string, not the integer 90"),
        ("timeout", "1m1h", "is not a valid duration"),
        ("poll_timeout", "0", "must be at least 1"),
        ("poll_timeout", "301", "must be at most 300"),
        ("poll_timeout", "10m", "must be between 1s and 300s"),
    ],
)
def test_duration_problems(write: Write, field: str, value: str, expected: str) -> None:
    path = write(entries(f"  - name: a\n    flow: f\n    {field}: {value}\n"))
    assert expected in " ".join(messages(path))


def test_all_files_reported_together(write: Write) -> None:
    first = write(entries("  - name: a\n"), "one.yaml")
    second = write(entries("  - {name: b, flow: f, mode: nope}\n"), "two.yaml")
    with pytest.raises(SpecError) as caught:
        load_job_files([first, second], environ=ENVIRON)
    assert {d.location.file for d in caught.value.diagnostics} == {str(first), str(second)}


def test_xml_inputs_are_checked(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: in.xml}\n"))
    (path.parent / "in.xml").write_text("<a><b></a>\n")
    [diagnostic] = problems(path)
    assert diagnostic.location.file == str(path.parent / "in.xml")
    assert diagnostic.location.line == 1


def test_xml_checked_against_schema(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: in.xml, schema: in.xsd}\n"))
    (path.parent / "in.xml").write_text("<a><c/></a>\n")
    (path.parent / "in.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="a"><xs:complexType><xs:sequence>'
        '<xs:element name="b"/></xs:sequence></xs:complexType></xs:element></xs:schema>'
    )
    [diagnostic] = problems(path)
    assert diagnostic.location.file == str(path.parent / "in.xml")


def test_xml_checked_even_when_job_file_has_other_errors(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: in.xml}\n  - name: b\n"))
    (path.parent / "in.xml").write_text("<a>\n")
    files = {d.location.file for d in problems(path)}
    assert files == {str(path), str(path.parent / "in.xml")}


def test_xml_check_can_be_skipped(write: Write) -> None:
    path = write(entries("  - name: a\n    flow: f\n    input: {xml: in.xml}\n"))
    (path.parent / "in.xml").write_text("<a>\n")
    assert load_job_files([path], environ=ENVIRON, check_xml=False)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            "mode: plugin\n    input: {xml: in.xml}",
            "9:11: mode plugin sends no XML, but input.xml is given",
            id="plugin-with-xml",
        ),
        pytest.param(
            "mode: xml\n    input: {plugin: {dataset: d, entity: e, ids: [i], user: u}}",
            "9:11: mode xml sends no plug-in payload, but input.plugin is given",
            id="xml-with-plugin",
        ),
    ],
)
def test_mode_mismatch_reported_once(write: Write, fields: str, expected: str) -> None:
    path = write(entries(f"  - name: a\n    flow: f\n    {fields}\n"))
    (path.parent / "in.xml").write_text("<a/>")
    assert messages(path) == [expected]


def test_after_without_close_name_lists_entries(write: Write) -> None:
    path = write(entries("  - {name: load, flow: f}\n  - {name: send, flow: f, after: [zzz]}\n"))
    [diagnostic] = problems(path)
    assert diagnostic.message == "'after' names 'zzz', which is no entry of this file"
    assert diagnostic.hint == "name one of the entries: load, send"


FLOWS = "flows:\n  - {name: a, flow: f}\n"


def test_real_server_without_auth_is_rejected(write: Write) -> None:
    text = "version: 1\nserver:\n  base_url: https://acme.example/\n" + FLOWS
    found = messages(write(text))
    assert found == [
        "3:3: server.auth is missing, and a Smart Flows server rejects requests without credentials"
    ]


def test_emulator_without_auth_is_fine(write: Write, tmp_path: Path) -> None:
    (tmp_path / "project.yaml").write_text("placeholder")
    text = "version: 1\nserver:\n  base_url: emulator:project.yaml\n" + FLOWS
    found = messages(write(text))
    assert not any("server.auth" in message for message in found)
