"""Every command has help, and the help names its options (sqlite-utils' habit)."""

import pytest
from click.testing import CliRunner

from leadbatch.cli import cli

COMMANDS = sorted(cli.commands)


def test_the_designed_commands_all_exist() -> None:
    assert sorted(
        ["validate", "assistants", "plan", "run", "retry", "template", "sandbox", "ledger"]
    ) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {name} ")
    summary = cli.commands[name].get_short_help_str()
    assert summary, f"{name} has no help text"
