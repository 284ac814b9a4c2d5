"""The `aqora-helper` command line loads the module of the command it names, and only that
one: `setup git` does not pay for doctor's HTTP stack (cli/app.py)."""

from __future__ import annotations

import pytest

# Imported at collection, outside the tier guard: urllib3 opens a socket at import.
from aqora_helper.cli import doctor, exec, login, logout, setup, status, token  # noqa: F401
from aqora_helper.cli.app import COMMAND_MODULES, build_app, invoked_command


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["setup", "git"], "setup"),
        (["--url", "http://127.0.0.1:1", "status"], "status"),
        (["--url=http://127.0.0.1:1", "--allow-insecure-host", "login"], "login"),
        (["--", "token"], "token"),
        (["--help"], None),
        ([], None),
        (["--url"], None),
    ],
)
def test_the_named_command_is_found_after_top_level_options(argv, command):
    assert invoked_command(argv) == command


def registered(argv: list[str]) -> list[str]:
    """The command names the app built for `argv` has (commands and the setup group)."""
    app = build_app(argv)
    names = [info.name or info.callback.__name__ for info in app.registered_commands]
    names += [group.typer_instance.info.name for group in app.registered_groups]
    return sorted(str(name) for name in names)


def test_a_named_command_registers_that_command_alone():
    assert registered(["status", "--json"]) == ["status"]


@pytest.mark.parametrize("argv", [["--help"], [], ["nosuchcommand"], ["--version"]])
def test_help_an_unknown_name_or_no_command_lists_every_command(argv):
    assert registered(argv) == sorted(COMMAND_MODULES)


def test_shell_completion_sees_every_command(monkeypatch):
    monkeypatch.setenv("_AQORA_HELPER_COMPLETE", "complete_bash")
    assert registered(["status"]) == sorted(COMMAND_MODULES)


def test_setup_registers_the_setup_group_alone():
    assert registered(["setup", "git"]) == ["setup"]
