import logging
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from flowspec.cli import main

LIBRARIES = ("httpx", "httpcore", "asyncio")


@pytest.fixture(autouse=True)
def restore_library_levels() -> Iterator[None]:
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_double_verbose_keeps_libraries_quiet() -> None:
    result = CliRunner().invoke(main, ["-vv", "schema"])
    assert result.exit_code == 0
    for name in LIBRARIES:
        assert logging.getLogger(name).level == logging.WARNING, name


def test_triple_verbose_lets_libraries_log() -> None:
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    result = CliRunner().invoke(main, ["-vvv", "schema"])
    assert result.exit_code == 0
    for name in LIBRARIES:
        assert logging.getLogger(name).level == logging.NOTSET, name
