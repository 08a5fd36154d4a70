"""Validate XML files against one XSD through the library, as a command hyperfine can time.

Usage: python benchmarks/bench_xml_validate.py XSD FILES...

Exits 1 and prints the diagnostics when any file is invalid, so a broken
benchmark input cannot pass unnoticed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flowspec.xmlcheck import XmlChecker


def main(xsd: Path, files: list[Path]) -> int:
    checker = XmlChecker()
    problems = [d for file in files for d in checker.check(file, xsd)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]]))
