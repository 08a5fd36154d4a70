"""``flowspec run``: protected input files, lost reports, ``--rerun-failed -``, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_support import API_KEY, Emulator
from test_cli_run import URL_SERVER, write_job

from flowspec.cli import main


def invoke(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("junit:{folder}/job.yaml", id="job-file"),
        pytest.param("json:{folder}/emulator/project.yaml", id="emulator-project"),
    ],
)
def test_report_over_input_rejected(tmp_path: Path, target: str) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    path = Path(target.format(folder=tmp_path).partition(":")[2])
    before = path.read_bytes()

    code, _, stderr = invoke("run", str(job), "--report", target.format(folder=tmp_path))

    assert code == 2
    assert f"would overwrite the input file {path}" in stderr
    assert path.read_bytes() == before


def test_report_over_xml_input_rejected(tmp_path: Path) -> None:
    flows = "  - name: orders\n    flow: order\n    input: {xml: 'emulator/orders/*.xml'}\n"
    job = write_job(tmp_path, flows)
    xml = tmp_path / "emulator" / "orders" / "order-1.xml"

    code, _, stderr = invoke("run", str(job), "--report", f"json:{xml}")

    assert code == 2
    assert "would overwrite the input file" in stderr
    assert xml.read_bytes().startswith(b"<")


def test_report_over_rerun_report_rejected(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    out = tmp_path / "out"
    assert invoke("run", str(job), "--output-dir", str(out))[0] == 0
    first = (out / "report.json").read_bytes()

    code, _, stderr = invoke(
        "run", str(job), "--output-dir", str(out), "--rerun-failed", str(out / "report.json")
    )

    assert code == 2
    assert "would overwrite the input file" in stderr
    assert (out / "report.json").read_bytes() == first


@pytest.mark.parametrize(
    ("flow", "expected_code"),
    [
        pytest.param("quick", 2, id="passed-becomes-2"),
        pytest.param("failing", 1, id="failed-stays-1"),
    ],
)
def test_lost_report_keeps_summary(tmp_path: Path, flow: str, expected_code: int) -> None:
    job = write_job(tmp_path, f"  - {{name: letter, flow: {flow}}}\n")
    kept = tmp_path / "kept.json"

    code, stdout, stderr = invoke(
        "run",
        str(job),
        "--output-dir",
        str(tmp_path / "out"),
        "--report",
        "markdown:/dev/full",
        "--report",
        f"json:{kept}",
    )

    assert code == expected_code
    assert "1 run: 1 " in stdout
    assert f"Reports: {kept}\n" in stdout
    assert "/dev/full" not in stdout
    assert "Error: cannot write markdown report /dev/full: No space left on device" in stderr
    assert json.loads(kept.read_text(encoding="utf-8"))["totals"]["runs"] == 1


def test_rerun_failed_from_stdin(serve: Callable[..., Emulator], tmp_path: Path) -> None:
    emulator = serve()
    job = write_job(
        tmp_path,
        "  - {name: broken, flow: failing}\n  - {name: fine, flow: quick}\n",
        server=URL_SERVER,
    )
    env = {"URL": emulator.url, "KEY": API_KEY}
    first = tmp_path / "first.json"
    invoke("run", str(job), f"--report=json:{first}", "--output-dir", str(tmp_path), env=env)
    second = tmp_path / "second.json"

    code, _, stderr = invoke(
        "run",
        str(job),
        "--rerun-failed",
        "-",
        f"--report=json:{second}",
        "--output-dir",
        str(tmp_path),
        env=env,
        stdin=first.read_bytes(),
    )

    runs = json.loads(second.read_text(encoding="utf-8"))["runs"]
    assert code == 1, stderr
    assert [run["name"] for run in runs if run["selected"]] == ["job/broken"]
    assert emulator.stats()["starts"] == 3


def test_rerun_failed_bad_stdin_exit_2(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")

    code, _, stderr = invoke("run", str(job), "--rerun-failed", "-", stdin=b"{not json")

    assert code == 2
    assert stderr.startswith("<stdin>:1:2: error: invalid JSON")


@pytest.mark.parametrize(
    "command", [pytest.param("run", id="run"), pytest.param("plan", id="plan")]
)
def test_command_help_imports_no_engine(command: str) -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from flowspec.cli import main\n"
        "CliRunner().invoke(main, [sys.argv[1], '--help'])\n"
        "heavy = {'httpx', 'rich', 'yaml', 'flowspec.engine', 'flowspec.spec'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script, command], capture_output=True, text=True, check=True
    )

    assert result.stdout == "[]\n"


def test_same_job_file_twice_runs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"

    code, stdout, stderr = invoke(
        "run", "job.yaml", "./job.yaml", str(job), "--output-dir", str(out)
    )

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert code == 0, stderr
    assert "1 run: 1 passed" in stdout
    assert [run["name"] for run in report["runs"]] == ["job/letter"]
    assert report["job_files"][0]["path"] == "job.yaml"


def test_plan_same_job_file_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    monkeypatch.chdir(tmp_path)

    code, stdout, _ = invoke("plan", "--format", "json", "job.yaml", "./job.yaml")

    assert code == 0
    assert len(json.loads(stdout)["runs"]) == 1


@pytest.mark.parametrize(
    "output_dir",
    [pytest.param("{file}/out", id="under-file"), pytest.param("{file}/a/b", id="deep-under-file")],
)
def test_output_dir_under_file_exit_2(tmp_path: Path, output_dir: str) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file", encoding="utf-8")
    folder = output_dir.format(file=blocker)

    code, _, stderr = invoke(
        "run", str(job), "--output-dir", folder, "--report", f"json:{tmp_path / 'r.json'}"
    )

    assert code == 2
    assert stderr == (
        f"Error: output folder {folder} cannot be created because {blocker} is a file;"
        " give another --output-dir\n"
    )
    assert not (tmp_path / "r.json").exists()


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux /proc")
def test_output_dir_refused_by_file_system_exit_2(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick}\n")

    code, _, stderr = invoke(
        "run",
        str(job),
        "--output-dir",
        "/proc/flowspec-out",
        "--report",
        f"json:{tmp_path / 'r.json'}",
    )

    assert code == 2
    assert stderr.startswith("Error: output folder /proc/flowspec-out cannot be")
    assert not (tmp_path / "r.json").exists()


def test_output_dir_unused_without_downloads(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: letter, flow: quick, download: false}\n")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file", encoding="utf-8")

    code, _, stderr = invoke(
        "run",
        str(job),
        "--output-dir",
        str(blocker / "out"),
        "--report",
        f"json:{tmp_path / 'r.json'}",
    )

    assert code == 0, stderr


def test_plan_escapes_input_file_names(tmp_path: Path) -> None:
    flows = "  - name: orders\n    flow: order\n    input: {xml: 'emulator/orders/*.xml'}\n"
    job = write_job(tmp_path, flows)
    orders = tmp_path / "emulator" / "orders"
    (orders / "order-1.xml").rename(orders / "\x1b]0;title\x07order.xml")

    code, stdout, _ = invoke("plan", str(job))

    assert code == 0
    assert "\x1b" not in stdout
    assert "job/orders[\\x1b]0;title\\x07order.xml]" in stdout


def test_closed_stdout_still_reports(tmp_path: Path) -> None:
    job = write_job(tmp_path, "  - {name: first, flow: quick}\n  - {name: second, flow: medium}\n")
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "flowspec", "run", str(job), "--output-dir", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # as `flowspec run ... | head -1` does

    _, stderr = process.communicate(timeout=60)

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert process.returncode == 0, stderr
    assert stderr == b""
    assert report["totals"]["passed"] == 2
