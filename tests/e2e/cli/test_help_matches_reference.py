"""The command reference (docs/reference.md) and the help text agree both ways (every
option a help page shows is in the command's reference row, and every option a row shows
is in the help);
every command, `exec` included, has EXAMPLES; `exec` refuses an unknown option instead of
running it as the command, and takes --allow-insecure-host after the subcommand too;
`setup uv` never creates --file's folders, as pip does (its PATH warning:
test_setup_adds_hosts.py)."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from support import BIN_DIR, REPO, describe, run_cmd

COMMANDS = [
    ["login"],
    ["logout"],
    ["status"],
    ["token"],
    ["exec"],
    ["doctor"],
    ["setup", "git"],
    ["setup", "docker"],
    ["setup", "pip"],
    ["setup", "uv"],
    ["setup", "all"],
]
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env)


def reference_rows() -> dict[str, str]:
    """command -> its row in docs/reference.md's command table."""
    text = (REPO / "docs" / "reference.md").read_text()
    section = text.split("## Commands and exit codes", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `aqora-helper ((?:setup )?[a-z]+)", line)
        if found:
            rows[found.group(1)] = line.split("` |", 1)[0]
    return rows


def commands_listed(page: str) -> list[str]:
    """The subcommands a help page lists under "Commands:"."""
    section = page.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^  ([a-z]+) ", section, re.M)


def test_every_command_has_a_reference_row_and_the_rows_no_more():
    """Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py)."""
    top = helper({"PATH": BIN_DIR, "HOME": "/nonexistent"}, "--help").stdout
    setup = helper({"PATH": BIN_DIR, "HOME": "/nonexistent"}, "setup", "--help").stdout
    listed = set(commands_listed(top)) - {"setup"}
    listed |= {f"setup {c}" for c in commands_listed(setup)}
    assert listed == set(reference_rows()) == {" ".join(c) for c in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_reference_row_and_help_name_the_same_options(command, user_env):
    """Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py)."""
    page = helper(user_env, *command, "--help")
    assert page.returncode == 0, describe(page)
    shown = set(OPTION.findall(page.stdout)) - {"--help"}
    row = set(OPTION.findall(reference_rows()[" ".join(command)]))
    assert shown == row, f"help only: {shown - row}; docs/reference.md only: {row - shown}"
    assert "EXAMPLES" in page.stdout and "$ aqora-helper" in page.stdout


def test_exec_refuses_an_unknown_option_instead_of_running_it(user_env, tmp_path):
    """Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py)."""
    marker = tmp_path / "ran"
    proc = helper(user_env, "exec", "--min-tll", "5", "--", "touch", str(marker))
    assert proc.returncode == 2, describe(proc)
    assert proc.stderr.startswith("error: No such option: --min-tll\nhint: ")
    assert not marker.exists()


def test_exec_takes_allow_insecure_host_after_the_subcommand(user_env):
    """Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py)."""
    url = ["--url", "http://insecure.example"]
    refused = helper(user_env, "exec", *url, "--", "true")
    assert refused.returncode == 1 and "Refusing plain http" in refused.stderr
    allowed = helper(user_env, "exec", *url, "--allow-insecure-host", "--", "true")
    assert "Refusing plain http" not in allowed.stderr, describe(allowed)
    assert "Not logged in" in allowed.stderr and "No such option" not in allowed.stderr


def test_setup_uv_never_creates_the_folders_of_file(user_env, tmp_path):
    """Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py)."""
    target = tmp_path / "no" / "such" / "uv.toml"
    index = ["--index-url", "https://aqora.io/simple/"]
    proc = helper(user_env, "setup", "uv", *index, "--file", str(target))
    assert proc.returncode == 2 and "does not exist" in proc.stderr, describe(proc)
    assert not Path(tmp_path / "no").exists()


@pytest.mark.parametrize("command", [[], *COMMANDS], ids=lambda c: " ".join(c) or "top")
def test_help_paragraphs_flow_and_each_example_stays_one_pasteable_line(command, user_env):
    """Docstring paragraphs are rewrapped (no line of one word in the middle of a
    paragraph, as rich mode left them), and no example is broken across lines.

    Origin: the user-study review of the reference (was tests/e2e/test_people_reference.py).
    """
    page = helper(user_env, *command, "--help").stdout
    body, _, examples = page.partition("EXAMPLES\n")
    assert examples.strip(), f"no EXAMPLES in {command}"
    for line in examples.splitlines():
        assert not line.strip() or line.strip().startswith("$ "), f"broken example: {line!r}"
    description = re.split(r"\n(?:Options|Arguments|Commands):\n", body)[0]
    lines = [*description.splitlines(), ""]
    broken = [a for a, b in itertools.pairwise(lines) if re.fullmatch(r"\s+\S+", a) and b.strip()]
    assert not broken, f"a paragraph broken after {broken}"
