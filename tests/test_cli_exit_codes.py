from pathlib import Path

from click.testing import CliRunner

from flowspec import __version__
from flowspec.cli import main


def test_version_option_prints_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_exit_codes() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "130" in result.output


def test_error_message_control_characters_escaped(tmp_path: Path) -> None:
    report = tmp_path / "bad\x07name.json"
    report.write_text("{}")
    result = CliRunner().invoke(main, ["report", "show", str(report)])
    assert result.exit_code == 2
    assert "\x07" not in result.output
    assert "bad\\x07name.json" in result.output
