"""Validate XML files against one XSD through the library, as a command hyperfine can time.

Usage: python benchmarks/bench_xml_validate.py XSD FILES...

``XMLCHECK_PROCESSES=1`` checks every file in one process; by default
``XmlChecker.check_many`` picks the number of worker processes.
``XMLCHECK_TIMING=1`` prints the seconds ``check_many`` took, which leaves out
the interpreter's start-up and imports.

Exits 1 and prints the diagnostics when any file is invalid, so a broken
benchmark input cannot pass unnoticed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from flowspec.xmlcheck import XmlChecker

PROCESSES = int(os.environ["XMLCHECK_PROCESSES"]) if "XMLCHECK_PROCESSES" in os.environ else None


def main(xsd: Path, files: list[Path]) -> int:
    checker = XmlChecker()
    started = time.perf_counter()
    results = checker.check_many([(file, xsd) for file in files], processes=PROCESSES)
    if os.environ.get("XMLCHECK_TIMING"):
        print(f"check_many: {time.perf_counter() - started:.3f} s", file=sys.stderr)
    problems = [diagnostic for diagnostics in results for diagnostic in diagnostics]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]]))
