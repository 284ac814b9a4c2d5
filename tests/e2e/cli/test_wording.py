"""Wording a newcomer tripped on: the config table named as the file spells it, and
`exec` without a command."""

from __future__ import annotations

from support import describe, run_cmd, write_config


def test_a_host_added_names_the_table_as_the_config_file_spells_it(aqora, user_env, login, tmp_path):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_wording.py)."""
    login()
    spelled = aqora.url.rstrip("/")
    path = write_config(user_env, f'url = "{spelled}"\n\n[environments."{spelled}"]\n')
    proc = run_cmd(
        ["aqora-helper", "setup", "pip", "--replace", "--index-url", "https://pypi.example/simple/",
         "--file", str(tmp_path / "pip.conf")],
        user_env,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
    assert f'hosts of [environments."{spelled}"] in {path}' in proc.stderr, describe(proc)
    assert f'[environments."{spelled}/"]' not in proc.stderr + path.read_text()


def test_exec_without_a_command_says_the_command_is_missing(user_env):
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_wording.py)."""
    proc = run_cmd(["aqora-helper", "exec"], user_env)
    assert proc.returncode == 2, describe(proc)
    assert "Missing command" in proc.stderr and "Invalid value" not in proc.stderr, describe(proc)
    assert "Traceback" not in proc.stderr
