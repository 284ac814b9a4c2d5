"""What a newcomer pastes after `install.sh --uninstall --keep-sessions`: the printed
command that clears the kept sessions must find them (the service name holds a tab)."""

from __future__ import annotations

from pathlib import Path

from servers.aqora import AqoraServer
from shared.install import helper, install
from support import describe, run_cmd, stored_refresh_token


def test_the_kept_sessions_clear_command_clears_them_when_pasted(
    aqora: AqoraServer,
    clone: Path,
    env: dict[str, str],
) -> None:
    """Origin: a newcomer's walkthrough (was tests/e2e/test_newcomer_uninstall_hint.py)."""
    assert install(clone, env).returncode == 0
    login = helper(env, "login", "--url", aqora.url, "--username", "alice", "--password-stdin",
                   stdin="pw\n")  # fmt: skip
    assert login.returncode == 0, describe(login)
    removed = install(clone, env, "--uninstall", "--keep-sessions")
    assert removed.returncode == 0, describe(removed)
    assert stored_refresh_token(env, aqora.url) is not None
    lines = removed.stdout.splitlines()
    hint = lines[lines.index("left: your sessions (kept)") + 1]
    command = hint.split("; or: ", 1)[1]
    pasted = run_cmd(["bash", "-c", command], env)
    assert pasted.returncode == 0, describe(pasted)
    assert stored_refresh_token(env, aqora.url) is None, hint
