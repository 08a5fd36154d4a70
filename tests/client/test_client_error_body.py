import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowspec.client._http import error_detail, error_for_response
from flowspec.errors import ApiError, AuthenticationFailed, NotFound

REQUEST = httpx.Request("GET", "https://host.example/api/v1/flows/f")


def _response(status: int, body: str, content_type: str) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"content-type": content_type}, request=REQUEST
    )


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(
            '{"status": 400, "error": "Bad Request", "message": "XML invalid at line 3"}',
            "application/json",
            "XML invalid at line 3",
            id="json-message",
        ),
        pytest.param(
            "<html><head><style>p {color: red}</style><title>502</title></head>"
            "<body><h1>Bad Gateway</h1><p>nginx &amp; friends</p></body></html>",
            "text/html",
            "Bad Gateway nginx & friends",
            id="html",
        ),
        pytest.param(
            "<html><head><title>504 Gateway Time-out</title></head><body></body></html>",
            "text/html",
            "504 Gateway Time-out",
            id="html-title-only",
        ),
        pytest.param('{"error": "x"}', "application/json", '{"error": "x"}', id="json-no-message"),
        pytest.param("plain   text\n reason", "text/plain", "plain text reason", id="text"),
        pytest.param("", "text/plain", "", id="empty"),
    ],
)
def test_error_detail(body: str, content_type: str, expected: str) -> None:
    assert error_detail(_response(500, body, content_type)) == expected


def test_error_detail_cuts_long_html() -> None:
    body = "<html><body>" + "word " * 500 + "</body></html>"

    detail = error_detail(_response(503, body, "text/html"))

    assert len(detail) <= 200
    assert detail.endswith("…")


@pytest.mark.parametrize(
    ("status", "expected_type"),
    [
        pytest.param(400, ApiError, id="400"),
        pytest.param(401, AuthenticationFailed, id="401"),
        pytest.param(403, AuthenticationFailed, id="403"),
        pytest.param(404, NotFound, id="404"),
        pytest.param(500, ApiError, id="500"),
    ],
)
def test_error_for_response_types(status: int, expected_type: type[Exception]) -> None:
    error = error_for_response(
        _response(status, "{}", "application/json"), api_key=True, redact=str
    )

    assert type(error) is expected_type
    assert f"GET {REQUEST.url} failed with {status}" in str(error)


def test_api_key_rejection_names_what_to_check() -> None:
    error = error_for_response(_response(401, "", "text/plain"), api_key=True, redact=str)

    assert "API key" in str(error)


def test_forbidden_names_permissions() -> None:
    error = error_for_response(_response(403, "", "text/plain"), api_key=False, redact=str)

    assert "permissions" in str(error)


@given(
    body=st.binary(max_size=3000),
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
)
def test_error_detail_never_raises(body: bytes, content_type: str) -> None:
    response = httpx.Response(
        502, content=body, headers={"content-type": content_type}, request=REQUEST
    )

    detail = error_detail(response)

    assert len(detail) <= 2000
    assert "\n" not in detail


@pytest.mark.parametrize("status", [pytest.param(405, id="405"), pytest.param(501, id="501")])
def test_missing_endpoint_points_at_base_url(status: int) -> None:
    error = error_for_response(_response(status, "", "text/html"), api_key=True, redact=str)

    assert isinstance(error, ApiError)
    assert str(error).endswith(
        "check that server.base_url names the Smart Flows server, with its path prefix"
        " if it has one."
    )


def test_server_error_has_no_base_url_hint() -> None:
    error = error_for_response(_response(500, "", "text/html"), api_key=True, redact=str)

    assert "server.base_url" not in str(error)
