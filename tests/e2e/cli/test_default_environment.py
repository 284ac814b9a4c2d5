"""The default environment: AQORA_URL, then the config's `url`, then the only environment
logged in to, then (logged in nowhere) the only one configured, then https://aqora.io;
"not logged in" names where you are logged in and the exact command that works;
AQORA_TOKEN stays with the configured default."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from servers.aqora import AqoraServer
from support import base_url, clear_keyring_session, describe, login_args, run_cmd, write_config


def helper(env: dict[str, str], *args: str, **kw: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env, **kw)


@pytest.fixture
def second(user_env) -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    clear_keyring_session(user_env, server.url)
    try:
        yield server
    finally:
        server.stop()


def test_only_logged_in_environment_is_the_default(aqora, user_env, login):
    """Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py)."""
    login()
    url = base_url(aqora.url)
    status = helper(user_env, "status", "--json")
    assert status.returncode == 0, describe(status)
    body = json.loads(status.stdout)
    assert body["selected"] == url
    by_url = {e["url"]: e for e in body["environments"]}
    assert by_url[url]["default"] and by_url[url]["logged_in"]
    token = helper(user_env, "token")
    assert token.returncode == 0, describe(token)
    assert token.stdout.strip() in aqora.issued_tokens()
    logout = helper(user_env, "logout")
    assert logout.returncode == 0, describe(logout)
    assert f"Logged out of {url}" in logout.stderr
    # back to the built-in default, which is not logged in: the message says so
    after = helper(user_env, "status", "--json")
    assert after.returncode == 1
    assert json.loads(after.stdout)["selected"] == "https://aqora.io/"


def test_aqora_url_and_config_url_win_over_the_logged_in_one(aqora, user_env, login):
    """Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py)."""
    login()
    other = "https://other.example/"
    for env in (dict(user_env, AQORA_URL=other), user_env):
        if "AQORA_URL" not in env:
            write_config(user_env, f'url = "{other}"\n')
        proc = helper(env, "status", "--json")
        assert proc.returncode == 1, describe(proc)
        assert json.loads(proc.stdout)["selected"] == other
        token = helper(env, "token")
        assert token.returncode == 1
        assert f"Not logged in to {other} (you are logged in to {base_url(aqora.url)})" in (
            token.stderr
        )
        assert f"hint: Run 'aqora-helper token --url {base_url(aqora.url)}'" in token.stderr


def test_two_logins_name_both_and_the_exact_command(aqora, second, user_env, login):
    """Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py)."""
    login()
    proc = run_cmd(login_args(second.url), user_env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    first, other = base_url(aqora.url), base_url(second.url)
    token = helper(user_env, "token", "--format", "json")
    assert token.returncode == 1 and token.stdout == ""
    assert f"error: Not logged in to https://aqora.io/ (you are logged in to {first}, {other})" in (
        token.stderr
    )
    command = f"aqora-helper token --format json --url {first}"
    assert f"hint: Run '{command}' to use that session" in token.stderr
    again = run_cmd(command.split(), user_env)
    assert again.returncode == 0, describe(again)
    status = helper(user_env, "status")
    assert status.returncode == 1
    assert (
        first in status.stdout and other in status.stdout and "https://aqora.io/" in status.stdout
    )
    logout = helper(user_env, "logout")
    assert logout.returncode == 0, describe(logout)
    assert "Not logged in to https://aqora.io/ with aqora-helper: nothing to remove." in (
        logout.stderr
    )
    assert f"You are logged in to {first}, {other}: 'aqora-helper logout --url {first}'" in (
        logout.stderr
    )
    # logging out of one makes the other the only one, hence the default (index refreshed)
    assert helper(user_env, "logout", "--url", first).returncode == 0
    token = helper(user_env, "token", "--format", "json")
    assert token.returncode == 0, describe(token)
    assert json.loads(token.stdout)["url"] == other


def test_aqora_token_never_follows_the_logged_in_default(aqora, user_env, login):
    """Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py)."""
    login()
    env_token = "a" * 40
    env = dict(user_env, AQORA_TOKEN=env_token)
    proc = helper(env, "token", "--format", "json")
    assert proc.returncode == 0, describe(proc)
    body = json.loads(proc.stdout)
    assert body["url"] == "https://aqora.io/"  # the built-in default keeps AQORA_TOKEN
    assert body["access_token"] == env_token
    mine = helper(env, "token", "--url", aqora.url)
    assert mine.returncode == 0 and mine.stdout.strip() != env_token
    status = json.loads(helper(env, "status", "--json", "--offline").stdout)
    by_url = {e["url"]: e for e in status["environments"]}
    assert by_url[base_url(aqora.url)]["source"] != "env"
    assert by_url["https://aqora.io/"]["source"] == "env"


def test_the_only_configured_environment_is_the_default(aqora, user_env):
    """A config with one `[environments."URL"]` table and no `url` (the newcomer's case):
    plain `login`, `token` and `status` work on that environment, not on aqora.io.

    Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py).
    """
    url = base_url(aqora.url)
    port = aqora.url.rsplit(":", 1)[1]
    write_config(user_env, f'[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n')
    before = helper(user_env, "status", "--json", "--offline")
    assert json.loads(before.stdout)["selected"] == url, describe(before)
    login = helper(
        user_env, "login", "--interactive", "--username", "alice", "--password-stdin",
        input="pw\n",
    )  # fmt: skip
    assert login.returncode == 0, describe(login)
    assert url in login.stderr + login.stdout
    token = helper(user_env, "token")
    assert token.returncode == 0, describe(token)
    assert token.stdout.strip() in aqora.issued_tokens()


def test_the_logged_in_environment_wins_over_a_configured_one(aqora, second, user_env):
    """One configured (not logged in), another logged in to: the session decides; two
    tables and no session: no guess, the built-in default.

    Origin: the user-study review of the default environment (was tests/e2e/test_people_default_env.py).
    """
    proc = run_cmd(login_args(second.url), user_env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    write_config(user_env, f'[environments."{aqora.url}"]\nhosts = ["127.0.0.1:1"]\n')
    status = helper(user_env, "status", "--json", "--offline")
    assert json.loads(status.stdout)["selected"] == base_url(second.url), describe(status)
    assert helper(user_env, "logout", "--url", second.url).returncode == 0
    write_config(
        user_env,
        f'[environments."{aqora.url}"]\nhosts = ["127.0.0.1:1"]\n'
        f'[environments."{second.url}"]\nhosts = ["127.0.0.1:2"]\n',
    )
    status = helper(user_env, "status", "--json", "--offline")
    assert json.loads(status.stdout)["selected"] == "https://aqora.io/", describe(status)
