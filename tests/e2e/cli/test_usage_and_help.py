"""CLI polish: flags that imply --interactive, global options after the subcommand, flags
shown as flags, usage errors (exit 2, allowed values named), config errors naming the
allowed keys, a missing AQORA_HELPER_CONFIG, --file directories, login naming the
account, EXAMPLES in every help page, shell completion, the command reference in docs/reference.md."""

from __future__ import annotations

import re
import subprocess

import pytest

from support import REPO, base_url, describe, run_cmd, write_config

COMMANDS = [
    ["login"],
    ["logout"],
    ["status"],
    ["token"],
    ["doctor"],
    ["setup", "git"],
    ["setup", "docker"],
    ["setup", "pip"],
    ["setup", "uv"],
    ["setup", "all"],
]
REFERENCE = REPO / "docs" / "reference.md"


def helper(env: dict[str, str], *args: str, **kw: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env, **kw)


def assert_usage_error(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert proc.returncode == 2, describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: ")
    assert "Traceback" not in proc.stderr and "╭" not in proc.stderr
    for text in expected:
        assert text in proc.stderr, describe(proc)


def test_username_and_password_stdin_imply_interactive_and_login_names_the_account(aqora, user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    args = ["login", "--url", aqora.url, "--username", "alice", "--password-stdin"]
    first = helper(user_env, *args, input="pw\n")
    assert first.returncode == 0, describe(first)
    assert f"Logged in to {base_url(aqora.url)} as alice;" in first.stderr
    aqora.add_user("bob", "pw2")
    second = run_cmd(
        ["aqora-helper", "login", "--url", aqora.url, "--username", "bob", "--password-stdin"],
        user_env,
        input="pw2\n",
    )
    assert second.returncode == 0, describe(second)
    note = f"Note: you are logged in to {base_url(aqora.url)} as alice; this login replaces"
    assert note in second.stderr
    assert "Warning: the session of alice" in second.stderr and "replaced by bob's" in second.stderr
    assert second.stderr.index(note) < second.stderr.index("Logged in to")


def test_missing_username_hint_is_actionable(aqora, user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    proc = helper(user_env, "login", "--url", aqora.url, "--password-stdin", input="pw\n")
    assert proc.returncode == 1
    assert "hint: Add '--username USER'" in proc.stderr
    assert "doctor" not in proc.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_after_the_subcommand(user_env, where):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    url = ["--url", "http://insecure.example", "--allow-insecure-host"]
    args = [*url, "status", "--offline"] if where == "before" else ["status", "--offline", *url]
    proc = helper(user_env, *args)
    assert proc.returncode == 1, describe(proc)  # accepted; simply not logged in there
    assert re.search(r"^http://insecure\.example/ \(.*selected\)$", proc.stdout, re.M)
    refused = helper(user_env, "status", "--url", "http://insecure.example")
    assert refused.returncode == 1 and "Refusing plain http" in refused.stderr


def test_usage_errors_exit_2_naming_allowed_values(user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    assert_usage_error(
        helper(user_env, "token", "--format", "yaml"),
        "'yaml' is not one of 'plain', 'json', 'env', 'header'",
    )
    assert "Value error" not in helper(user_env, "token", "--format", "yaml").stderr
    assert_usage_error(helper(user_env, "login", "--interactive", "true"), "true")
    for command in (["token"], ["status"], ["logout"]):
        assert_usage_error(helper(user_env, *command, "--url", "ftp://x"), "Invalid URL")
    assert_usage_error(helper(user_env, "status", "--bogus"), "--bogus")


def test_help_shows_flags_as_flags_and_examples(user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    for command in COMMANDS:
        proc = helper(user_env, *command, "--help")
        assert proc.returncode == 0, describe(proc)
        assert "<bool>" not in proc.stdout, command
        assert "EXAMPLES" in proc.stdout and "$ aqora-helper" in proc.stdout, command
    top = helper(user_env, "--help")
    assert "--install-completion" in top.stdout and "--show-completion" in top.stdout


def test_shell_completion_script(user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    proc = helper(user_env, "--show-completion", "bash")
    assert proc.returncode == 0, describe(proc)
    assert "complete " in proc.stdout and "aqora" in proc.stdout
    completed = run_cmd(
        ["aqora-helper"],
        dict(
            user_env,
            _AQORA_HELPER_COMPLETE="complete_bash",
            COMP_WORDS="aqora-helper st",
            COMP_CWORD="1",
        ),
    )
    assert "status" in completed.stdout, describe(completed)


def test_config_errors_name_the_allowed_keys(user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    path = write_config(user_env, "urll = 'https://aqora.io'\n")
    proc = helper(user_env, "status")
    assert proc.returncode == 1
    assert (
        f"error: Config file {path}: unknown key 'urll' (allowed here: url, username,"
        in proc.stderr
    )
    write_config(user_env, "[timeouts]\nconect = 3\n")
    proc = helper(user_env, "status")
    assert "unknown key 'timeouts.conect' (allowed here: connect, read, lock" in proc.stderr


def test_missing_config_file_named_by_the_variable_is_an_error(user_env, tmp_path):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    missing = tmp_path / "nowhere.toml"
    proc = helper(dict(user_env, AQORA_HELPER_CONFIG=str(missing)), "status")
    assert proc.returncode == 1
    assert f"error: AQORA_HELPER_CONFIG names {missing}, which does not exist" in proc.stderr
    assert not missing.exists()


def test_file_directories_are_not_created(user_env, tmp_path):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    target = tmp_path / "no" / "such" / "pip.conf"
    proc = helper(
        user_env, "setup", "pip", "--index-url", "https://aqora.io/simple/", "--file", str(target)
    )
    assert_usage_error(proc, "does not exist")
    assert not (tmp_path / "no").exists()


def test_reference_command_table_matches_the_help(user_env):
    """Origin: the user-study review of the CLI (was tests/e2e/test_people_cli_polish.py)."""
    section = REFERENCE.read_text().split("## Commands and exit codes", 1)[1].split("\n## ", 1)[0]
    for command in COMMANDS:
        help_text = helper(user_env, *command, "--help").stdout
        options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
        row = next(
            (
                line
                for line in section.splitlines()
                if line.startswith(f"| `aqora-helper {' '.join(command)}")
            ),
            None,
        )
        assert row is not None, command
        missing = {o for o in options if o not in row}
        assert not missing, f"{command}: {missing} not in the docs/reference.md row"
