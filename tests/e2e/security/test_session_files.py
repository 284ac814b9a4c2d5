"""Session files serve their own environment only: insecure and recovery session files hold
their environment URL and serve no other environment; legacy files without one are read
only under an unambiguous name; one that others can read is made 0600 and reported,
never lost; a FIFO there never blocks; an environment whose name collides with another's
never gets its session.

Origins: issue #11 loose ends (tests/e2e/test_sec_followups.py), whose other findings
are now in test_hostile_server.py, test_planted_files.py, test_signals.py and
test_tls_downgrade.py; issue #11 class 10 (tests/e2e/test_sec_inputs.py).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator

import pytest

from servers.aqora import AqoraServer
from support import (
    assert_clean_failure,
    assert_two_line_error,
    clear_keyring_session,
    describe,
    keyring_secret,
    make_cached_token_stale,
    own_refresh_token,
    run_cmd,
    session_file,
    write_config,
)

Proc = subprocess.CompletedProcess[str]


def helper(env: dict[str, str], *args: str, timeout: float = 60) -> Proc:
    return run_cmd(["aqora-helper", *args], env, timeout=timeout)


def bash(env: dict[str, str], script: str) -> Proc:
    return run_cmd(["bash", "-c", script], env)


@pytest.fixture
def second_aqora(user_env: dict[str, str]) -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    clear_keyring_session(user_env, server.url)
    try:
        yield server
    finally:
        server.stop()


# --- 2. session files hold their URL -----------------------------------------------------


def test_insecure_and_recovery_files_name_their_environment(aqora, user_env, login, tmp_path):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    body = json.loads(session_file(user_env, aqora.url).read_text())
    assert body["url"] == aqora.url + "/"
    assert body["refresh_token"] in aqora.valid_refresh_tokens()


@pytest.mark.parametrize("kind", ["insecure", "recovery"])
def test_a_session_file_of_another_environment_is_never_used(
    aqora, second_aqora, user_env, login, kind
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    theirs = session_file(user_env, aqora.url)
    planted = session_file(user_env, second_aqora.url, kind)
    planted.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    planted.write_bytes(theirs.read_bytes())
    planted.chmod(0o600)

    proc = helper(user_env, "token", "--url", second_aqora.url)
    assert_two_line_error(proc, f"Not logged in to {second_aqora.url}/")
    assert second_aqora.refresh_calls == 0  # the other environment's token never went there
    assert keyring_secret(user_env, second_aqora.url) is None
    assert planted.read_bytes() == theirs.read_bytes()  # ignored, not destroyed


@pytest.mark.parametrize("kind", ["insecure", "recovery"])
def test_a_legacy_file_under_an_ambiguous_name_is_ignored(aqora, user_env, login, kind):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    body = json.loads(path.read_text())
    del body["url"]  # as an earlier version wrote it
    path.unlink()
    legacy = session_file(user_env, aqora.url, kind)
    legacy.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    legacy.write_text(json.dumps(body))
    legacy.chmod(0o600)
    make_cached_token_stale(user_env, aqora.url)
    # `http_127.0.0.1_PORT` was also an earlier version's name for `http://127.0.0.1_PORT/`
    assert_two_line_error(helper(user_env, "token", "--url", aqora.url), "Not logged in")
    assert aqora.refresh_calls == 0
    assert legacy.exists()


def test_an_exposed_insecure_session_file_is_tightened_and_reported_once(
    aqora, user_env, login
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    path.chmod(0o644)
    make_cached_token_stale(user_env, aqora.url)
    proc = helper(user_env, "token")
    assert proc.returncode == 0 and aqora.is_valid_access_token(proc.stdout.strip())
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, describe(proc)
    assert lines[0].startswith("aqora-helper: warning: ") and str(path) in lines[0]
    assert "mode 644" in lines[0] and "now 0600" in lines[0]
    assert lines[1].startswith("aqora-helper: hint: ")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert own_refresh_token(user_env, aqora.url, "insecure") in aqora.valid_refresh_tokens()
    make_cached_token_stale(user_env, aqora.url)
    again = helper(user_env, "token")
    assert again.returncode == 0 and again.stderr == "", describe(again)


def test_a_fifo_as_the_insecure_session_file_never_blocks(aqora, user_env, login):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    login("--insecure-storage")
    path = session_file(user_env, aqora.url)
    path.unlink()
    os.mkfifo(path, 0o600)
    make_cached_token_stale(user_env, aqora.url)
    assert_two_line_error(helper(user_env, "token", "--url", aqora.url, timeout=30), "not a regular")


# --- 3. the refresh lock on every entry point -----------------------------------------


def test_a_colliding_environment_never_gets_anothers_session(aqora, user_env, login):
    """`http://127.0.0.1:PORT/` and `http://127.0.0.1_PORT/` used to share every file name:
    the second environment then sent the first one's refresh token to its own host.

    Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py).
    """
    login("--insecure-storage")
    port = aqora.url.rsplit(":", 1)[1]
    twin = f"http://127.0.0.1_{port}"
    env = dict(user_env, AQORA_ALLOW_INSECURE_HOST="1")
    proc = run_cmd(["aqora-helper", "token", "--url", twin], env)
    assert_clean_failure(proc, f"Not logged in to {twin}/")
    ours = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env)
    assert aqora.is_valid_access_token(ours.stdout.strip()), describe(ours)
