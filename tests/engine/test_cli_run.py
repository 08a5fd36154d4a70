"""``flowspec run`` and ``flowspec plan`` end to end: exit codes, reports, signals, secrets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_support import API_KEY, DATA, Emulator

from flowspec.cli import main

REPO = Path(__file__).parents[2]
DEMO = REPO / "specs" / "demo" / "suite.yaml"
PASSWORD = "engine-tests-password-0001"
URL_SERVER = "base_url: ${{URL}}\n  auth:\n    api_key: ${{KEY}}"


def write_job(folder: Path, flows: str, *, server: str | None = None, run: str = "") -> Path:
    # Emulator projects must lie inside the job file's folder, so each job gets a copy.
    shutil.copytree(DATA, folder / "emulator", dirs_exist_ok=True)
    server = (server or "base_url: emulator:{project}").format(project="emulator/project.yaml")
    path = folder / "job.yaml"
    path.write_text(
        f"version: 1\nname: cli\nserver:\n  {server}\n{run}flows:\n{flows}", encoding="utf-8"
    )
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def test_run_demo_suite_exit_0(tmp_path: Path) -> None:
    out = tmp_path / "out"

    code, output = invoke("run", str(DEMO), "--output-dir", str(out), env={"SMARTFLOWS_URL": ""})

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == 0, output
    assert "7 runs: 7 passed" in output
    assert len(report["runs"]) == 7
    assert (out / "letters" / "Welcome letter.pdf").is_file()
    assert len(list((out / "invoices").glob("*/Invoice.pdf"))) == 4


def test_run_failing_flow_exit_1(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: broken, flow: failing}\n  - {name: fine, flow: quick}\n")

    code, output = invoke("run", str(job), "--output-dir", str(tmp_path / "out"), "--quiet")

    assert code == 1
    assert "FAILED    job/broken" in output
    assert "ended with status Error, expected Success" in output
    assert "job/fine" not in output.split("Runs that did not pass:")[0]
    assert "2 runs: 1 passed, 1 failed" in output


def test_run_invalid_job_file_exit_2(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("version: 1\nserver: {base_url: 'emulator:x.yaml'}\n", encoding="utf-8")

    code, output = invoke("run", str(job), "--output-dir", str(tmp_path / "out"))

    assert code == 2
    assert f"{job}:1" in output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "option",
    [
        pytest.param(["--shard", "3/2"], id="shard"),
        pytest.param(["--report", "pdf:x.pdf"], id="report-format"),
        pytest.param(["--concurrency", "0"], id="concurrency"),
    ],
)
def test_run_bad_option_exit_2(tmp_path: Path, option: list[str]) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")

    code, _ = invoke("run", str(job), *option)

    assert code == 2


def test_run_rejected_key_exit_3(tmp_path: Path) -> None:
    job = write_job(
        tmp_path,
        "  - {name: letter, flow: quick}\n  - {name: again, flow: quick}\n",
        server="base_url: emulator:{project}\n  auth:\n    api_key: ${{BAD_KEY}}",
        run="run: {order: sequential}\n",
    )
    out = tmp_path / "out"

    code, output = invoke(
        "run", str(job), "--output-dir", str(out), env={"BAD_KEY": "wrong-key-1234"}
    )

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == 3
    assert "401" in output
    assert [run["verdict"] for run in report["runs"]] == ["error", "skipped"]
    assert "wrong-key-1234" not in output


def test_run_writes_every_report_format(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    reports = {"json": "r.json", "junit": "r.xml", "markdown": "r.md"}
    options = [f"--report={kind}:{tmp_path / name}" for kind, name in reports.items()]

    code, _ = invoke("run", str(job), "--output-dir", str(tmp_path / "out"), *options)

    assert code == 0
    assert all((tmp_path / name).stat().st_size > 0 for name in reports.values())
    assert not (tmp_path / "out" / "report.json").exists()


def test_rerun_failed_runs_only_failures(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve()
    job = write_job(
        tmp_path,
        "  - {name: broken, flow: failing}\n  - {name: fine, flow: quick}\n",
        server=URL_SERVER,
    )
    env = {"URL": emulator.url, "KEY": API_KEY}
    first = tmp_path / "first.json"
    invoke("run", str(job), f"--report=json:{first}", "--output-dir", str(tmp_path), env=env)

    code, _ = invoke(
        "run",
        str(job),
        "--rerun-failed",
        str(first),
        f"--report=json:{tmp_path / 'second.json'}",
        "--output-dir",
        str(tmp_path),
        env=env,
    )

    second = json.loads((tmp_path / "second.json").read_text(encoding="utf-8"))
    verdicts = {run["name"]: (run["verdict"], run["selected"]) for run in second["runs"]}
    assert code == 1
    assert verdicts == {"job/broken": ("failed", True), "job/fine": ("skipped", False)}
    assert emulator.stats()["starts"] == 3


def test_shards_cover_every_run_once(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve()
    flows = "".join(f"  - {{name: r{number}, flow: quick}}\n" for number in range(6))
    job = write_job(tmp_path, flows, server=URL_SERVER)
    env = {"URL": emulator.url, "KEY": API_KEY}

    selected: list[str] = []
    for shard in ("1/2", "2/2"):
        report = tmp_path / f"{shard[0]}.json"
        code, _ = invoke(
            "run",
            str(job),
            "--shard",
            shard,
            f"--report=json:{report}",
            "--output-dir",
            str(tmp_path),
            env=env,
        )
        assert code == 0
        runs = json.loads(report.read_text(encoding="utf-8"))["runs"]
        selected += [run["name"] for run in runs if run["selected"]]

    assert sorted(selected) == [f"job/r{number}" for number in range(6)]
    assert emulator.stats()["starts"] == 6


def test_plan_json_lists_runs() -> None:
    code, output = invoke("plan", str(DEMO), "--format", "json", env={"SMARTFLOWS_URL": ""})

    plan = json.loads(output)
    modes = {run["name"]: run["mode"] for run in plan["runs"]}
    onboarding = plan["runs"][-1]
    assert code == 0
    assert modes["suite/welcome-letter"] == "none"
    assert modes["suite/invoices[INV-2026-0412.xml]"] == "xml"
    assert modes["suite/account-pack"] == "plugin"
    assert len(plan["runs"]) == 7
    assert onboarding["after"] == [run["id"] for run in plan["runs"][1:5]]
    assert onboarding["endpoint"].startswith("/api/v1/flows/executions?flowId=")


def test_plan_text_aligned() -> None:
    code, output = invoke("plan", str(DEMO), env={"SMARTFLOWS_URL": ""})

    lines = output.splitlines()
    assert code == 0
    assert lines[0].split() == ["#", "run", "mode", "request", "input", "order", "after"]
    assert "suite/account-pack" in output
    assert "account A-1001, A-1002 as u-17" in output
    assert lines[-1].endswith("suite/invoices (4 runs)")
    assert len(lines) == 8


def start_flowspec(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flowspec", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "NO_COLOR": "1"},
    )


@pytest.mark.parametrize(
    "signal_number",
    [pytest.param(signal.SIGINT, id="sigint"), pytest.param(signal.SIGTERM, id="sigterm")],
)
def test_signal_cancels_and_reports(
    serve: Callable[..., Emulator], tmp_path: Path, signal_number: int
) -> None:
    emulator = serve()
    flows = "".join(f"  - {{name: endless{number}, flow: long}}\n" for number in range(3))
    job = write_job(
        tmp_path,
        flows,
        server=URL_SERVER,
        run="run: {order: parallel, concurrency: 2}\n",
    )
    out = tmp_path / "out"
    process = start_flowspec(
        "run", str(job), "--output-dir", str(out), env={"URL": emulator.url, "KEY": API_KEY}
    )
    assert process.stdout is not None
    running = 0
    for line in process.stdout:
        running += line.startswith("RUNNING")
        if running == 2:
            break

    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=30)

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    runs = {run["name"]: run for run in report["runs"]}
    assert process.returncode == 130, stderr
    assert report["complete"] is False
    assert runs["job/endless2"]["verdict"] == "skipped"
    for name in ("job/endless0", "job/endless1"):
        assert runs[name]["reason"].startswith("interrupted; execution ")
        execution = runs[name]["execution_id"]
        assert emulator_status(emulator, execution) == "Canceled"


def emulator_status(emulator: Emulator, execution_id: str) -> str:
    import httpx

    url = f"{emulator.url}api/v1/flows/executions/{execution_id}"
    return str(httpx.get(url, headers={"X-API-Key": API_KEY}).json()["status"])


def test_secrets_in_no_output(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve({"token_expiry": {"lifetime": "50ms"}})
    key_job = write_job(
        tmp_path,
        "  - {name: letter, flow: quick}\n  - {name: broken, flow: failing}\n",
        server=URL_SERVER,
    )
    login_folder = tmp_path / "login"
    login_folder.mkdir()
    login_job = write_job(
        login_folder,
        "  - {name: slow, flow: medium}\n",
        server=(
            "base_url: ${{URL}}\n  auth:\n    login:\n"
            "      username: login-user\n      password: ${{PASSWORD}}"
        ),
    )
    out = tmp_path / "out"
    reports = [
        f"--report={kind}:{out / ('report.' + kind)}" for kind in ("json", "junit", "markdown")
    ]
    env = {"URL": emulator.url, "KEY": API_KEY, "PASSWORD": PASSWORD}

    process = start_flowspec(
        "-vv", "run", str(key_job), str(login_job), "--output-dir", str(out), *reports, env=env
    )
    stdout, stderr = process.communicate(timeout=60)

    files = [path for path in out.rglob("*") if path.is_file()]
    assert process.returncode == 1, stderr
    assert "DEBUG" in stderr
    assert len(files) >= 4
    for secret in (API_KEY, PASSWORD):
        assert secret not in stdout
        assert secret not in stderr
        for path in files:
            assert secret.encode() not in path.read_bytes(), path


def test_second_sigint_aborts_at_once(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    # Cancel requests take 5 s, so the first SIGINT leaves flowspec busy cleaning up.
    emulator = serve({"latency": {"endpoints": ["cancel"], "delay": "5s"}})
    job = write_job(tmp_path, "  - {name: endless, flow: long}\n", server=URL_SERVER)
    out = tmp_path / "out"
    process = start_flowspec(
        "run", str(job), "--output-dir", str(out), env={"URL": emulator.url, "KEY": API_KEY}
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("RUNNING"):
            break

    process.send_signal(signal.SIGINT)
    assert process.stderr is not None
    first_notice = process.stderr.readline()
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert "stopping" in first_notice
    assert process.returncode == 130
    assert "aborting without cleanup" in stderr
    assert time.monotonic() - started < 4
    assert not (out / "report.json").exists()
