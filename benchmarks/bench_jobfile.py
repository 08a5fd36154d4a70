"""Job-file validation: ``flowspec validate`` beside ``check-jsonschema`` on one large job file.

Writes a job file of 5,000 entries (no XML inputs, so ``check_xml`` plays no
part) and runs both validators on it in one hyperfine run:

    python benchmarks/bench_jobfile.py [--entries 5000] [--runs 10] [--export PATH]

Both must accept the file, or the comparison means nothing; the script checks
that first. hyperfine's Markdown table is printed and, with ``--export``, saved.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "jobfile.schema.json"
STATUSES = ("Success", "Warning")


def write_job_file(path: Path, entries: int) -> None:
    """Write a valid job file with ``entries`` entries of varied shapes."""
    lines = [
        "version: 1",
        "name: benchmark",
        "server:",
        "  base_url: https://smartflows.example",
        "  auth:",
        "    api_key: ${BENCH_API_KEY}",
        "defaults:",
        "  timeout: 10m",
        "  expect: {status: [Success]}",
        "run:",
        "  order: parallel",
        "  concurrency: 8",
        "flows:",
    ]
    for index in range(entries):
        lines += [
            f"  - name: entry-{index}",
            f"    flow: 8d1f4c52-2b7a-4f38-9a59-{index:012d}",
            f"    timeout: {1 + index % 50}m",
            f"    expect: {{status: [{STATUSES[index % 2]}], documents: {index % 3}}}",
        ]
        if index % 3 == 1:
            lines += [
                "    input:",
                "      plugin:",
                "        dataset: 5a9e0c1d-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
                "        entity: account",
                f"        ids: [A-{index}, B-{index}]",
                "        user: u-17",
            ]
        if index % 3 == 2:
            lines += ["    answers: {Customer name: ACME, Start date: 2027-01-01}"]
        if index % 10 == 9:
            lines += [f"    after: [entry-{index - 1}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--export", type=Path, help="also save hyperfine's Markdown table here")
    args = parser.parse_args()

    for tool in ("hyperfine", "flowspec", "check-jsonschema"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory() as folder:
        job_file = Path(folder) / "suite.yaml"
        write_job_file(job_file, args.entries)
        flowspec = f"flowspec validate --no-xml {job_file}"
        check_jsonschema = f"check-jsonschema --schemafile {SCHEMA} {job_file}"
        env = {**os.environ, "BENCH_API_KEY": "benchmark-key"}
        for command in (flowspec, check_jsonschema):
            subprocess.run(command.split(), check=True, env=env, stdout=subprocess.DEVNULL)

        hyperfine = ["hyperfine", "--warmup", "2", "--runs", str(args.runs), "-N"]
        if args.export:
            hyperfine += ["--export-markdown", str(args.export)]
        return subprocess.run([*hyperfine, flowspec, check_jsonschema], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
