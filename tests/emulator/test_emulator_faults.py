"""Injected faults: each kind in-process, and the connection-level ones over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from flowspec.emulator.fault_options import faults_from_options
from flowspec.emulator.project import load_project
from flowspec.emulator.server import serve_in_thread
from flowspec.emulator.testing import TEST_API_KEY, ManualClock, write_project
from flowspec.errors import SpecError
from tests.emulator.helpers import progress, start
from tests.emulator.projects import demo_project, files


def with_faults(**faults: Any) -> dict[str, Any]:
    return demo_project(faults=faults)


async def test_rate_limit_first_requests(emulator_app: Any) -> None:
    _, client = emulator_app(
        with_faults(rate_limit={"first": 2, "endpoints": ["flows"], "retry_after": 3}),
        files=files(),
    )

    codes = [(await client.get("api/v1/flows/letter")).status_code for _ in range(3)]
    limited = await client.get("api/v1/flows/ghost")
    started = await client.post("api/v1/flows/executions?flowId=letter")

    assert codes == [429, 429, 200]
    assert limited.status_code == 404
    assert started.status_code == 200


async def test_rate_limit_sends_retry_after(emulator_app: Any) -> None:
    _, client = emulator_app(with_faults(rate_limit={"first": 1, "retry_after": 3}), files=files())

    response = await client.get("api/v1/flows/letter")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["error"] == "Too Many Requests"


async def rate_limited_codes(emulator_app: Any, seed: int) -> list[int]:
    _, client = emulator_app(with_faults(rate_limit={"probability": 0.5}), files=files(), seed=seed)
    return [(await client.get("api/v1/flows/letter")).status_code for _ in range(24)]


async def test_fault_probability_follows_seed(emulator_app: Any) -> None:
    first = await rate_limited_codes(emulator_app, seed=7)
    again = await rate_limited_codes(emulator_app, seed=7)
    other = await rate_limited_codes(emulator_app, seed=8)

    assert first == again
    assert first != other
    assert 429 in first
    assert 200 in first


@pytest.mark.parametrize("status", [502, 503])
async def test_server_error_sends_html(emulator_app: Any, status: int) -> None:
    emulator, client = emulator_app(
        with_faults(server_error={"first": 1, "status": status}), files=files()
    )

    failed = await client.get("api/v1/flows/letter")
    recovered = await client.get("api/v1/flows/letter")

    assert failed.status_code == status
    assert failed.headers["content-type"].startswith("text/html")
    assert f"<title>{status}" in failed.text
    assert recovered.status_code == 200
    assert emulator.stats()["faults"] == {"server_error": 1}


async def test_vanished_execution_gets_404(emulator_app: Any) -> None:
    _, client = emulator_app(
        with_faults(vanish={"after_polls": 2}), files=files(), clock=ManualClock()
    )
    execution_id = await start(client, "letter")

    polls = [
        await client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=0")
        for _ in range(3)
    ]
    details = await client.get(f"api/v1/flows/executions/{execution_id}")

    assert [p.status_code for p in polls] == [200, 200, 404]
    assert details.status_code == 404


async def test_vanish_first_spares_later_executions(emulator_app: Any) -> None:
    _, client = emulator_app(
        with_faults(vanish={"after_polls": 0, "first": 1}), files=files(), clock=ManualClock()
    )
    first = await start(client, "letter")
    second = await start(client, "letter")

    gone = await client.get(f"api/v1/flows/executions/{first}/progress?timeout=0")

    assert gone.status_code == 404
    assert (await progress(client, second))["status"] == "Running"


async def test_token_expires_early(emulator_app: Any) -> None:
    clock = ManualClock()
    _, client = emulator_app(
        with_faults(token_expiry={"lifetime": "1s"}), files=files(), clock=clock
    )
    body = {"username": "alice", "password": "wonderland"}
    token = (await client.post("api/v1/authenticate/login", json=body)).json()["tokens"][0]["token"]
    del client.headers["X-API-Key"]
    bearer = {"Authorization": f"Bearer {token}"}

    fresh = await client.get("api/v1/flows/letter", headers=bearer)
    clock.advance(1.5)
    expired = await client.get("api/v1/flows/letter", headers=bearer)

    assert fresh.status_code == 200
    assert expired.status_code == 401


def test_latency_delays_answer_over_http(emulator_server: Any) -> None:
    emulator = emulator_server(
        with_faults(latency={"delay": "200ms", "endpoints": ["flows"]}), files=files()
    )

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        began = time.monotonic()
        slow = client.get("api/v1/flows/letter")
        elapsed = time.monotonic() - began

    assert slow.status_code == 200
    assert elapsed >= 0.2


def test_dropped_connection_over_http(
    emulator_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = emulator_server(
        with_faults(drop_connection={"first": 1, "endpoints": ["flows"]}), files=files()
    )

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("api/v1/flows/letter")
        after = client.get("api/v1/flows/letter")

    assert after.status_code == 200
    assert emulator.stats()["faults"] == {"drop_connection": 1}
    assert not [r for r in caplog.records if "dropped by fault injection" in r.getMessage()]


def test_rate_limit_over_http(emulator_server: Any) -> None:
    emulator = emulator_server(
        with_faults(rate_limit={"first": 1, "endpoints": ["start"]}), files=files()
    )

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        limited = client.post("api/v1/flows/executions?flowId=letter")
        accepted = client.post("api/v1/flows/executions?flowId=letter")

    assert limited.status_code == 429
    assert accepted.status_code == 200
    assert emulator.stats()["starts"] == 1


def test_hanging_start_creates_execution(emulator_server: Any) -> None:
    emulator = emulator_server(with_faults(hang_start={"first": 1, "hang": "3s"}), files=files())

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("api/v1/flows/executions?flowId=letter", timeout=0.3)
        listed = client.get("api/v1/flows/executions").json()

    assert listed["totalElements"] == 1
    assert emulator.stats()["starts"] == 1


def test_shutdown_cuts_hanging_start(tmp_path: Any) -> None:
    path = write_project(tmp_path, with_faults(hang_start={"first": 1, "hang": "60s"}), files())
    project = load_project(path, extra_api_keys=[TEST_API_KEY])

    with serve_in_thread(project) as url, httpx.Client(base_url=url, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                "api/v1/flows/executions?flowId=letter", headers={"X-API-Key": TEST_API_KEY}
            )
        began = time.monotonic()
    stopped_after = time.monotonic() - began

    assert stopped_after < 3


def test_fault_options_build_rules() -> None:
    settings = faults_from_options(
        ["rate_limit:first=2,endpoints=start+progress,retry_after=4", "latency:delay=50ms"]
    )

    limit = settings.rules["rate_limit"]
    assert limit.first == 2
    assert limit.endpoints == frozenset({"start", "progress"})
    assert limit.retry_after == 4
    assert settings.rules["latency"].delay == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        pytest.param("meteor", "unknown fault kind 'meteor'", id="unknown-kind"),
        pytest.param("rate_limit:first", "expected key=value", id="no-value"),
        pytest.param("rate_limit:colour=red", "error: unknown key 'colour'", id="unknown-key"),
        pytest.param(
            "rate_limit:firts=2", "error: unknown key 'firts'; did you mean 'first'?", id="key-typo"
        ),
        pytest.param(
            "rate_limit:probability=2",
            "error: 'rate_limit.probability' must be at most 1, not 2",
            id="probability-too-high",
        ),
        pytest.param(
            "rate_limit:first=x",
            "error: 'rate_limit.first' must be an integer, not the string 'x'",
            id="wrong-type",
        ),
        pytest.param("latency", "error: missing required key 'delay' in latency", id="no-delay"),
        pytest.param("rate_limit:endpoints=moon", "not 'moon'", id="unknown-endpoint"),
    ],
)
def test_invalid_fault_option_is_rejected(option: str, expected: str) -> None:
    with pytest.raises(SpecError) as caught:
        faults_from_options([option])

    message = str(caught.value.diagnostics[0])
    assert message.startswith(f"--fault {option}: error:")
    assert expected in message


def test_server_error_over_http(emulator_server: Any) -> None:
    faults = {"server_error": {"first": 1, "status": 502, "endpoints": ["progress"]}}
    emulator = emulator_server(demo_project(faults=faults), files=files())

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        execution_id = client.post("api/v1/flows/executions?flowId=letter").json()["id"]
        failed = client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=0")
        recovered = client.get(f"api/v1/flows/executions/{execution_id}/progress?timeout=0")

    assert failed.status_code == 502
    assert "<h1>502 Bad Gateway</h1>" in failed.text
    assert recovered.status_code == 200


def test_vanish_over_http(emulator_server: Any) -> None:
    emulator = emulator_server(demo_project(faults={"vanish": {"after_polls": 1}}), files=files())

    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=5) as client:
        execution_id = client.post("api/v1/flows/executions?flowId=letter").json()["id"]
        url = f"api/v1/flows/executions/{execution_id}/progress?timeout=0"
        codes = [client.get(url).status_code for _ in range(2)]

    assert codes == [200, 404]
    assert emulator.stats()["executions"][execution_id]["progress"] == 2


def test_token_expiry_over_http(emulator_server: Any) -> None:
    clock = ManualClock()
    faults = {"token_expiry": {"lifetime": "2s"}}
    emulator = emulator_server(demo_project(faults=faults), files=files(), clock=clock)
    body = {"username": "alice", "password": "wonderland"}

    with httpx.Client(base_url=emulator.url, timeout=5) as client:
        token = client.post("api/v1/authenticate/login", json=body).json()["tokens"][0]["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        fresh = client.get("api/v1/flows/letter", headers=bearer)
        clock.advance(2.5)
        expired = client.get("api/v1/flows/letter", headers=bearer)

    assert fresh.status_code == 200
    assert expired.status_code == 401
    assert expired.json()["message"] == "the token has expired: log in again"
