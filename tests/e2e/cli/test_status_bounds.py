"""status tells "logged in, server unreachable / failing" from "not logged in";
`--offline` never touches the network; status and doctor stay bounded by one
connect + read timeout against a hanging server."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from support import base_url, describe, make_cached_token_stale, run_cmd, write_config

pytestmark = pytest.mark.serial  # bounded by timeouts: runs alone

TIMEOUTS = "[timeouts]\nconnect = 1\nread = 2\n"
BOUND = 1 + 2  # connect + read
SLACK = 2.5  # process start-up and imports on a shared machine


def helper(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", *args], env)


def timed(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = helper(env, *args)
    return proc, time.monotonic() - started


@pytest.fixture
def stale_login(aqora, user_env, login):
    """Logged in to the stand-in (the only environment, so the default); the cached
    token is stale, so a status would have to refresh."""
    write_config(user_env, TIMEOUTS)
    login()
    assert helper(user_env, "token").returncode == 0
    make_cached_token_stale(user_env, aqora.url)
    return base_url(aqora.url)


@pytest.mark.parametrize("mode", ["500", "hang"])
def test_status_logged_in_but_server_failing(aqora, user_env, stale_login, mode):
    """Origin: the user-study review of status (was tests/e2e/test_people_status_bounds.py)."""
    aqora.set_fault(mode)
    proc, took = timed(user_env, "status", "--json")
    aqora.set_fault(None)
    assert proc.returncode == 1, describe(proc)  # the selected environment is not usable
    env = {e["url"]: e for e in json.loads(proc.stdout)["environments"]}[stale_login]
    assert env["logged_in"] is True and env["source"] == "keyring"
    assert env["token_fingerprint"] is None
    assert env["error"]["message"].startswith("logged in, but the server is unreachable or failing")
    assert took < BOUND + SLACK, took
    if mode == "500":  # (a hung refresh may still rotate the session once released)
        plain = helper(user_env, "status")
        assert "status:  logged in as alice" in plain.stdout, describe(plain)


def test_status_not_logged_in_is_said_so(aqora, user_env):
    """Origin: the user-study review of status (was tests/e2e/test_people_status_bounds.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    proc = helper(user_env, "status")
    assert proc.returncode == 1
    assert "status:  not logged in" in proc.stdout
    assert f"error:   Not logged in to {base_url(aqora.url)}" in proc.stdout


def test_status_offline_never_touches_the_network(aqora, user_env, stale_login):
    """Origin: the user-study review of status (was tests/e2e/test_people_status_bounds.py)."""
    aqora.set_fault("hang")
    before = len(aqora.requests)
    proc, took = timed(user_env, "status", "--offline", "--json")
    plain = helper(user_env, "status", "--offline")
    aqora.set_fault(None)
    assert proc.returncode == 0, describe(proc)
    assert len(aqora.requests) == before
    env = {e["url"]: e for e in json.loads(proc.stdout)["environments"]}[stale_login]
    assert env["logged_in"] is True and env["source"] == "keyring"
    assert "not refreshed: --offline" in plain.stdout
    assert took < SLACK + 1, took  # no timeout was waited for


def test_doctor_bounded_against_a_hanging_server(aqora, user_env, stale_login):
    """Origin: the user-study review of status (was tests/e2e/test_people_status_bounds.py)."""
    aqora.set_fault("hang")
    proc, took = timed(user_env, "doctor")
    aqora.set_fault(None)
    assert proc.returncode == 1, describe(proc)
    assert re.search(r"^fail  api: .*timed out", proc.stdout, re.M)
    assert re.search(r"^warn  session: stored in keyring .*not checked", proc.stdout, re.M)
    assert took < BOUND + SLACK, took


def test_doctor_against_a_failing_server(aqora, user_env, stale_login):
    """Origin: the user-study review of status (was tests/e2e/test_people_status_bounds.py)."""
    aqora.set_fault("500")
    proc, took = timed(user_env, "doctor")
    aqora.set_fault(None)
    assert proc.returncode == 1, describe(proc)
    assert re.search(r"^fail  api: .*HTTP 500", proc.stdout, re.M)
    assert re.search(r"^warn  session: stored in keyring", proc.stdout, re.M)
    assert took < BOUND + SLACK, took
