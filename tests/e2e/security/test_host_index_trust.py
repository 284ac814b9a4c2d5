"""Red team of the host index (hosts.json v2, the settings a refresh starts from): an
index written by a run with AQORA_TOKEN set (the default is then the configured one,
not the only environment logged in to) is not trusted by a run without it."""

from __future__ import annotations

import subprocess

from support import base_url, describe, run_cmd


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env)


def test_a_run_with_aqora_token_leaves_no_index_that_changes_the_default(
    aqora, user_env, login
) -> None:
    """Origin: red team of the host index (was tests/e2e/test_redteam_hostindex.py)."""
    login()  # the only environment logged in to: the default without AQORA_TOKEN
    with_token = dict(user_env, AQORA_TOKEN="ci-token-0123456789abcdef")
    first = helper(with_token, "token")  # the engine answers, and writes the index
    assert first.stdout.strip() == with_token["AQORA_TOKEN"], describe(first)
    proc = helper(user_env, "token")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.strip() in aqora.issued_tokens(), describe(proc)
    status = helper(user_env, "status", "--json")
    assert base_url(aqora.url) in status.stdout, describe(status)
