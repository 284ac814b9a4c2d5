"""Help text a newcomer compares with the command reference (docs/reference.md): option
values are named as its command table names them (NAME, PATH, URL), never typer's
`<str>`/`<path>`."""

from __future__ import annotations

import re

import pytest

from support import REPO, describe, run_cmd

COMMANDS = [
    ["login"], ["logout"], ["status"], ["token"], ["exec"], ["doctor"],
    ["setup", "git"], ["setup", "docker"], ["setup", "pip"], ["setup", "uv"], ["setup", "all"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_names_option_values_as_the_reference_does(user_env, command):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_help_metavars.py)."""
    proc = run_cmd(["aqora-helper", *command, "--help"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert not re.search(r"--[a-z-]+ <[a-z]+>", proc.stdout), proc.stdout


NAMED = [(["login"], "--username NAME"), (["setup", "pip"], "--file PATH"),
         (["setup", "uv"], "--file PATH"), (["setup", "uv"], "--publish-url URL")]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "usage"), NAMED, ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_help_and_reference_name_the_same_value(user_env, command, usage):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_help_metavars.py)."""
    proc = run_cmd(["aqora-helper", *command, "--help"], user_env)
    assert usage in proc.stdout, describe(proc)
    row = f"| `aqora-helper {' '.join(command)} "
    reference = (REPO / "docs" / "reference.md").read_text()
    line = next(x for x in reference.splitlines() if x.startswith(row))
    assert f"[{usage}]" in line, line
