from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ENVIRON, HEADER, messages, problems

from flowspec.secret import Secret
from flowspec.spec import load_job_files

ENTRY = "flows:\n  - name: a\n    flow: f\n"


def load(path: Path, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    [job] = load_job_files([path], environ=environ or ENVIRON)
    return job


def test_reference_takes_environment_value(write: Callable[..., Path]) -> None:
    job = load(write(HEADER + ENTRY))
    assert job.server.base_url == "https://acme.smartflows.example"


def test_default_used_when_unset(write: Callable[..., Path]) -> None:
    text = HEADER + "run:\n  order: ${ORDER:-parallel}\n" + ENTRY
    assert load(write(text)).run.order == "parallel"


def test_default_used_when_empty(write: Callable[..., Path]) -> None:
    text = HEADER + "run:\n  order: ${ORDER:-parallel}\n" + ENTRY
    assert load(write(text), {**ENVIRON, "ORDER": ""}).run.order == "parallel"


def test_unquoted_reference_takes_yaml_type(write: Callable[..., Path]) -> None:
    text = HEADER + "run:\n  concurrency: ${N}\n  fail_fast: ${FF}\n" + ENTRY
    job = load(write(text), {**ENVIRON, "N": "12", "FF": "true"})
    assert job.run.concurrency == 12
    assert job.run.fail_fast is True


def test_quoted_reference_stays_string(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: '${FLOW}'\n"
    assert load(write(text), {**ENVIRON, "FLOW": "12345"}).entries[0].flow == "12345"


def test_reference_inside_text(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: f\n    answers: {Name: 'Mr ${WHO}!'}\n"
    job = load(write(text), {**ENVIRON, "WHO": "Smith"})
    assert job.entries[0].answers == {"Name": "Mr Smith!"}


def test_double_dollar_escapes(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: f\n    answers: {Text: 'cost $${PRICE}'}\n"
    assert load(write(text)).entries[0].answers == {"Text": "cost ${PRICE}"}


def test_unset_variable_located_at_reference(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: f\n    answers: {Name: 'Mr ${WHO}'}\n"
    assert messages(write(text)) == ["9:25: environment variable WHO is not set"]


def test_malformed_reference_is_an_error(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: f\n    answers: {Name: '${1X}'}\n"
    assert messages(write(text)) == [
        "9:22: invalid ${...} reference: expected ${NAME} or ${NAME:-default}"
    ]


def test_secret_comes_from_environment(write: Callable[..., Path]) -> None:
    auth = load(write(HEADER + ENTRY)).server.auth
    assert auth.api_key == Secret("k3y-s3cr3t-value")


def test_literal_secret_is_an_error_without_its_value(write: Callable[..., Path]) -> None:
    text = HEADER.replace("${API_KEY}", "hunter2-literal") + ENTRY
    [diagnostic] = problems(write(text))
    assert "must come from the environment" in diagnostic.message
    assert "hunter2" not in str(diagnostic)


def test_numeric_literal_secret_does_not_leak(write: Callable[..., Path]) -> None:
    text = HEADER.replace("${API_KEY}", "987654321") + ENTRY
    assert all("987654321" not in str(d) for d in problems(write(text)))


def test_secret_with_default_is_an_error(write: Callable[..., Path]) -> None:
    text = HEADER.replace("${API_KEY}", "${API_KEY:-fallback}") + ENTRY
    [diagnostic] = problems(write(text))
    assert "must come from the environment" in diagnostic.message
    assert "fallback" not in str(diagnostic)


def test_login_password_must_be_a_reference(write: Callable[..., Path]) -> None:
    text = HEADER.replace("api_key: ${API_KEY}", "login: {username: u, password: pw123}") + ENTRY
    [diagnostic] = problems(write(text))
    assert "'password' must come from the environment" in diagnostic.message
    assert "pw123" not in str(diagnostic)


def test_login_password_from_environment(write: Callable[..., Path]) -> None:
    text = HEADER.replace("api_key: ${API_KEY}", "login: {username: u, password: '${PW}'}") + ENTRY
    login = load(write(text), {**ENVIRON, "PW": "pw"}).server.auth.login
    assert login.password.reveal() == "pw"
    assert login.username == "u"


def test_unset_secret_is_an_error(write: Callable[..., Path]) -> None:
    environ = {"SMARTFLOWS_URL": ENVIRON["SMARTFLOWS_URL"]}
    assert messages(write(HEADER + ENTRY), environ) == [
        "5:14: environment variable API_KEY is not set (it holds 'api_key')"
    ]


def test_secret_value_never_in_any_message(write: Callable[..., Path]) -> None:
    text = HEADER + "flows:\n  - name: a\n    flow: f\n    timeout: nonsense\n"
    assert problems(write(text))
    assert all(ENVIRON["API_KEY"] not in str(d) for d in problems(write(text)))


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        pytest.param(
            "auth: ${API_KEY}", "4:9: 'server.auth' must be a mapping, not a string", id="auth"
        ),
        pytest.param(
            "auth:\n    login: ${API_KEY}",
            "5:12: 'server.auth.login' must be a mapping, not a string",
            id="login",
        ),
        pytest.param(
            "auth:\n    login: {username: u, password: '${API_KEY}'}\n    scope: ${API_KEY}",
            "6:5: unknown key 'scope'",
            id="misplaced-key",
        ),
    ],
)
def test_misplaced_secret_is_not_shown(
    write: Callable[..., Path], auth: str, expected: str
) -> None:
    text = f"version: 1\nserver:\n  base_url: ${{SMARTFLOWS_URL}}\n  {auth}\n{ENTRY}"
    found = problems(write(text))
    assert messages(write(text)) == [expected]
    assert all(ENVIRON["API_KEY"] not in f"{d}{d.hint}" for d in found)


def test_secret_typed_value_is_not_shown(write: Callable[..., Path]) -> None:
    text = (
        "version: 1\nserver:\n  base_url: ${SMARTFLOWS_URL}\n  auth:\n"
        "    login: {username: 1234567, password: '${API_KEY}'}\n" + ENTRY
    )
    found = problems(write(text))
    assert messages(write(text)) == [
        "5:23: 'server.auth.login.username' must be a string, not an integer"
    ]
    assert found[0].hint is None


def test_empty_secret_says_what_to_set(write: Callable[..., Path]) -> None:
    [found] = problems(write(HEADER + ENTRY), {**ENVIRON, "API_KEY": ""})
    assert found.message == "environment variable API_KEY is empty (it holds 'api_key')"
    assert found.hint == "set API_KEY to the API key"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("abc\ndefghijk-s3cr3t", id="newline"),
        pytest.param("  spaced-s3cr3t-123 ", id="spaces"),
        pytest.param("k\u00e9y-s3cr3t-1234", id="non-ascii"),
    ],
)
def test_api_key_unfit_for_header_rejected(write: Callable[..., Path], key: str) -> None:
    [found] = problems(write(HEADER + ENTRY), {**ENVIRON, "API_KEY": key})
    assert "an HTTP header cannot carry" in found.message
    assert "s3cr3t" not in found.message
    assert "s3cr3t" not in (found.hint or "")


@pytest.mark.parametrize(
    "key",
    [pytest.param("k3y-s3cr3t-value", id="long"), pytest.param("abc", id="short")],
)
def test_secret_reused_elsewhere_is_masked(write: Callable[..., Path], key: str) -> None:
    text = HEADER + "run:\n  order: ${API_KEY}\n  concurrency: ${API_KEY}\n" + ENTRY
    assert messages(write(text), {**ENVIRON, "API_KEY": key}) == [
        "7:10: 'run.order' must be one of sequential, parallel, not ********",
        "8:16: 'run.concurrency' must be an integer, not the string ********",
    ]
