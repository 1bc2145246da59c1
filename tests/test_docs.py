"""The README stays true: its settings table is the code's."""

from pathlib import Path

from click.testing import CliRunner

from admin.cli import settings_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_lists_every_setting_as_the_code_defines_it():
    table = CliRunner().invoke(settings_table).output
    assert table.count("| `PAYPAGES_") >= 15
    assert table in README.read_text(encoding="utf-8")


def test_readme_names_the_two_commands_and_every_cli_group():
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
    for command in (
        "run",
        "db upgrade",
        "owners",
        "tokens",
        "publish",
        "mail",
        "rebuild",
        "storage policy",
        "demo seed",
        "settings",
    ):
        assert f"paypages {command}" in text, command
