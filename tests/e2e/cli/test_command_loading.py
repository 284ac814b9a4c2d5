"""A command line that names a command loads that command's code alone: `setup git` runs
without doctor's HTTP stack (requests, urllib3) or the keyring (cli/app.py)."""

from __future__ import annotations

from support import describe, run_entry_point, write_config


def test_setup_git_loads_no_http_stack_or_keyring(user_env):
    write_config(
        user_env,
        'url = "https://aqora.io"\n[environments."https://aqora.io"]\nhosts = ["aqora.io"]\n',
    )
    proc = run_entry_point(
        "aqora_helper.__main__", ["aqora-helper", "setup", "git", "--dry-run"], user_env
    )
    assert proc.returncode == 0, describe(proc)
    loaded = [line for line in proc.stderr.splitlines() if line.startswith("LOADED=")][-1]
    assert "typer" in loaded  # the probe sees the CLI's modules
    for module in ("requests", "urllib3", "keyring"):
        assert module not in loaded.split("=", 1)[1].split(","), loaded
