from pathlib import Path

import pytest

from flowspec.client import SmartFlowsClient
from flowspec.client._http import check_base_url, is_loopback
from flowspec.errors import UsageError


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("localhost", id="localhost"),
        pytest.param("127.0.0.1", id="ipv4"),
        pytest.param("127.9.8.7", id="ipv4-range"),
        pytest.param("[::1]", id="ipv6"),
    ],
)
def test_plain_http_to_loopback_allowed(host: str) -> None:
    url = check_base_url(f"http://{host}:8080", allow_insecure_http=False)

    assert url.scheme == "http"


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("http://smartflows.example/", id="name"),
        pytest.param("http://10.0.0.5:8080/", id="private-ip"),
        pytest.param("http://localhost.example/", id="lookalike"),
    ],
)
def test_plain_http_to_remote_rejected(base_url: str) -> None:
    with pytest.raises(UsageError, match="plain HTTP") as caught:
        SmartFlowsClient(base_url, None)

    assert "allow_insecure_http" in str(caught.value)


def test_plain_http_allowed_when_opted_in() -> None:
    url = check_base_url("http://smartflows.example", allow_insecure_http=True)

    assert url.host == "smartflows.example"


def test_path_prefix_gets_trailing_slash() -> None:
    url = check_base_url("https://host.example/smartflows", allow_insecure_http=False)

    assert url.path == "/smartflows/"
    assert str(url.join("api/v1/flows/f")) == "https://host.example/smartflows/api/v1/flows/f"


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        pytest.param("ftp://host.example/", "expected http", id="scheme"),
        pytest.param("https://", "expected http", id="no-host"),
        pytest.param("host.example", "expected http", id="no-scheme"),
        pytest.param("https://user:pw@host.example/", "server.auth", id="userinfo"),
        pytest.param("http://127.0.0.1:99999/", "port 99999 is outside 1-65535", id="port-high"),
        pytest.param("http://127.0.0.1:0/", "port 0 is outside 1-65535", id="port-zero"),
        pytest.param("https://host.example/?tenant=a", "remove the '[?]…' query", id="query"),
        pytest.param("https://host.example/sf#top", "or '#…' fragment", id="fragment"),
    ],
)
def test_invalid_base_url_rejected(base_url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_base_url(base_url, allow_insecure_http=False)


def test_userinfo_password_not_in_message() -> None:
    with pytest.raises(UsageError) as caught:
        check_base_url("https://user:hunter2@host.example/", allow_insecure_http=False)

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://user:hunter2@host.example:port/", id="bad-port"),
        pytest.param("https://user:hunter2@host.example:99999/", id="port-range"),
        pytest.param("https://user:hunter2@host.example/?a=1", id="query"),
    ],
)
def test_invalid_url_message_hides_password(base_url: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_base_url(base_url, allow_insecure_http=False)

    assert "hunter2" not in str(caught.value)


def test_missing_ca_bundle_rejected(tmp_path: Path) -> None:
    bundle = tmp_path / "missing.pem"

    with pytest.raises(UsageError, match="CA bundle") as caught:
        SmartFlowsClient("https://host.example", None, ca_bundle=bundle)

    assert str(bundle) in str(caught.value)


def test_is_loopback_rejects_names() -> None:
    assert not is_loopback("example.com")
    assert is_loopback("LOCALHOST")
