"""``flowspec emulator``: start, serve, stop cleanly, and reject bad input."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from flowspec.cli import main
from flowspec.emulator.testing import write_project
from tests.emulator.projects import demo_project, files


def test_invalid_project_exits_2(tmp_path: Path) -> None:
    data = demo_project()
    data["flows"][0]["duraton"] = "1s"
    path = write_project(tmp_path, data, files())

    result = CliRunner().invoke(main, ["emulator", "--project", str(path)])

    assert result.exit_code == 2
    assert f"{path}:" in result.output
    assert "unknown key 'duraton'" in result.output


def test_remote_host_needs_flag(tmp_path: Path) -> None:
    path = write_project(tmp_path, demo_project(), files())

    result = CliRunner().invoke(main, ["emulator", "--project", str(path), "--host", "0.0.0.0"])

    assert result.exit_code == 2
    assert "--allow-remote" in result.output


def test_invalid_fault_option_exits_2(tmp_path: Path) -> None:
    path = write_project(tmp_path, demo_project(), files())

    result = CliRunner().invoke(main, ["emulator", "--project", str(path), "--fault", "meteor"])

    assert result.exit_code == 2
    assert "unknown fault kind 'meteor'" in result.output


def test_port_in_use_exits_2(tmp_path: Path) -> None:
    path = write_project(tmp_path, demo_project(), files())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        command = ["emulator", "--project", str(path), "--port", str(port)]
        result = CliRunner().invoke(main, command)

    assert result.exit_code == 2
    assert result.output == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use; another process "
        "uses that port: choose another port, or port 0 for a free one\n"
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serves_until_signal(tmp_path: Path, stop: signal.Signals) -> None:
    path = write_project(tmp_path, demo_project(), files())
    command = [sys.executable, "-m", "flowspec", "emulator", "--project", str(path)]
    command += ["--api-key", "cli-key-000001", "--fault", "rate_limit:first=1,endpoints=flows"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" listening on ")[1].strip()
        with httpx.Client(base_url=url, headers={"X-API-Key": "cli-key-000001"}) as client:
            limited = client.get("api/v1/flows/letter")
            served = client.get("api/v1/flows/letter")
            started = client.post("api/v1/flows/executions?flowId=letter")
        process.send_signal(stop)
        _, errors = process.communicate(timeout=10)
        code = process.returncode

    assert url.startswith("http://127.0.0.1:")
    assert limited.status_code == 429
    assert served.status_code == 200
    assert started.status_code == 200
    assert code == 0
    assert "cli-key-000001" not in line + errors
    assert "Emulator stopped." in errors


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param(
            [""],
            "Error: --api-key number 1 is 0 characters long; give a key of at least 8 characters\n",
            id="empty",
        ),
        pytest.param(
            ["long-enough-key", "short"],
            "Error: --api-key number 2 is 5 characters long; give a key of at least 8 characters\n",
            id="short",
        ),
        pytest.param(
            ["key with\nnewline"],
            "Error: --api-key number 1 contains spaces at its ends, control or non-ASCII "
            "characters, which an X-API-Key header cannot carry; use letters, digits and "
            "punctuation\n",
            id="control-character",
        ),
    ],
)
def test_invalid_api_key_exits_2(tmp_path: Path, keys: list[str], expected: str) -> None:
    path = write_project(tmp_path, demo_project(), files())
    command = ["emulator", "--project", str(path)]
    for key in keys:
        command += ["--api-key", key]

    result = CliRunner().invoke(main, command)

    assert result.exit_code == 2
    assert result.output == expected
