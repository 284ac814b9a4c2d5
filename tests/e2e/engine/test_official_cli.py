"""The official aqora CLI's session as the third source: its credentials.json (with the
same flock protocol and file format), or its `aqora auth token` when available."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aqora_helper.engine.api import Api
from aqora_helper.engine.official import parse_expires_at
from aqora_helper.engine.timeouts import Timeouts
from shared.official_cli import (
    CLIENT_ID,
    FAKE_AQORA,
    FUTURE,
    OTHER,
    PAST,
    credentials_path,
    entry,
    official_login,
    write_credentials,
)
from support import (
    clear_keyring_session,
    describe,
    keyring_secret,
    run_cmd,
    token_cache_file,
    write_config,
)


@pytest.fixture(autouse=True)
def _no_leftover_session(aqora, user_env):
    clear_keyring_session(user_env, aqora.url)


def token(user_env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", "token", "--url", url], user_env)


def assert_not_copied(user_env: dict[str, str], url: str) -> None:
    """No token of credentials.json in our storage: our token-cache file, if any, is the
    fast path's pointer to credentials.json (fast/official_session.py), no token."""
    cache = token_cache_file(user_env, url)
    if cache.exists():
        assert set(json.loads(cache.read_text())) == {"url", "source", "credentials"}
    assert keyring_secret(user_env, url) is None


def test_fresh_entry_is_used_as_is(aqora, user_env):
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, FUTURE))
    before = path.read_bytes()
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == issued.access_token + "\n"
    assert aqora.refresh_calls == 0
    assert path.read_bytes() == before
    assert_not_copied(user_env, aqora.url)


def test_stale_entry_is_refreshed_and_written_back_in_the_official_format(aqora, user_env):
    issued = official_login(aqora)
    path = credentials_path(user_env)
    data = write_credentials(path, aqora.url, entry(issued, PAST))
    data["future_key"] = {"kept": True}
    path.write_text(json.dumps(data, indent=2))
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    new_token = proc.stdout.strip()
    assert new_token != issued.access_token and aqora.is_valid_access_token(new_token)
    assert aqora.refresh_calls == 1

    text = path.read_text()
    written = json.loads(text)
    assert text == json.dumps(written, indent=2)  # serde_json's pretty format
    assert list(written) == ["credentials", "future_key"] and written["future_key"] == {
        "kept": True
    }
    assert written["credentials"]["https://aqora.io/"] == OTHER
    mine = written["credentials"][aqora.url + "/"]
    assert list(mine) == [
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
        "expires_at",
    ]
    assert mine["client_id"] == CLIENT_ID and mine["client_secret"] is None
    assert mine["access_token"] == new_token
    assert mine["refresh_token"] in aqora.valid_refresh_tokens()
    assert issued.refresh_token not in aqora.valid_refresh_tokens()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", mine["expires_at"])
    assert abs(parse_expires_at(mine["expires_at"]) - (time.time() + 3600)) < 60

    again = token(user_env, aqora.url)
    assert again.stdout.strip() == new_token and aqora.refresh_calls == 1
    assert_not_copied(user_env, aqora.url)


def test_aqora_config_home_and_missing_client_secret(aqora, user_env, tmp_path):
    issued = official_login(aqora)
    value = entry(issued, PAST)
    del value["client_secret"]
    home = tmp_path / "aqora-home"
    write_credentials(home / "credentials.json", aqora.url, value)
    proc = token({**user_env, "AQORA_CONFIG_HOME": str(home)}, aqora.url)
    assert proc.returncode == 0, describe(proc)
    written = json.loads((home / "credentials.json").read_text())["credentials"][aqora.url + "/"]
    assert "client_secret" not in written
    assert written["refresh_token"] in aqora.valid_refresh_tokens()


@pytest.mark.parametrize("digits", range(10))
def test_expires_at_with_0_to_9_fractional_digits(aqora, user_env, digits):
    issued = official_login(aqora)
    fraction = "." + "123456789"[:digits] if digits else ""
    write_credentials(
        credentials_path(user_env), aqora.url, entry(issued, f"2099-01-01T00:00:00{fraction}Z")
    )
    proc = token(user_env, aqora.url)
    assert proc.stdout == issued.access_token + "\n", describe(proc)
    assert aqora.refresh_calls == 0


def test_parse_expires_at():
    assert parse_expires_at("1970-01-01T00:00:00Z") == 0
    assert parse_expires_at("1970-01-01T00:00:01.5Z") == 1.5
    assert parse_expires_at("1970-01-01T00:00:01.000000001Z") == pytest.approx(1.000000001)
    assert parse_expires_at("1970-01-01T02:00:00+02:00") == 0
    assert parse_expires_at("1970-01-01T00:00:00-01:30") == 5400
    for bad in ("1970-01-01T00:00:00", "1970-01-01T00:00:00.1234567890Z", "yesterday", ""):
        with pytest.raises(ValueError):
            parse_expires_at(bad)


HOLDER = """
import fcntl, sys
handle = open(sys.argv[1], "r+")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
if sys.stdin.readline() == "write\\n":
    new = open(sys.argv[2]).read()
    handle.seek(0)
    handle.write(new)
    handle.truncate()
    handle.flush()
"""


def hold_lock(path: Path, staged: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(staged)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


@pytest.mark.serial  # timing-sensitive: runs alone
def test_the_helper_waits_for_the_official_cli_lock_and_rereads(aqora, user_env, tmp_path):
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, PAST))
    staged = tmp_path / "staged.json"
    holder = hold_lock(path, staged)
    try:
        helper = subprocess.Popen(
            ["aqora-helper", "token", "--url", aqora.url],
            env=user_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert helper.poll() is None, "the helper did not wait for the lock"
        # Meanwhile the official CLI refreshes, as it does holding the lock.
        rotated = Api(aqora.url + "/", Timeouts()).refresh(
            CLIENT_ID, None, issued.refresh_token
        )
        write_credentials(staged, aqora.url, entry(rotated, FUTURE))
        assert holder.stdin is not None
        holder.stdin.write("write\n")
        holder.stdin.close()
        holder.wait(timeout=10)
        out, err = helper.communicate(timeout=30)
    finally:
        holder.kill()
    assert helper.returncode == 0, err
    assert out == rotated.access_token + "\n"
    assert aqora.refresh_calls == 1  # the holder's only: the helper re-read and re-checked
    written = json.loads(path.read_text())["credentials"][aqora.url + "/"]
    assert written["refresh_token"] == rotated.refresh_token


@pytest.mark.serial  # timing-sensitive: runs alone
def test_the_lock_wait_is_bounded(aqora, user_env, tmp_path):
    write_config(user_env, "[timeouts]\nlock = 1\n")
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, PAST))
    before = path.read_bytes()
    holder = hold_lock(path, tmp_path / "unused")
    try:
        started = time.monotonic()
        proc = token(user_env, aqora.url)
        assert time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 1, describe(proc)
    assert "did not finish within 1 s" in proc.stderr
    assert path.read_bytes() == before and aqora.refresh_calls == 0


def test_own_session_comes_before_the_official_one(aqora, user_env, login):
    issued = official_login(aqora)
    write_credentials(credentials_path(user_env), aqora.url, entry(issued, FUTURE))
    login()
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0 and proc.stdout.strip() != issued.access_token


def test_status_names_the_official_source(aqora, user_env):
    issued = official_login(aqora)
    path = credentials_path(user_env)
    write_credentials(path, aqora.url, entry(issued, FUTURE))
    proc = run_cmd(["aqora-helper", "status", "--json", "--url", aqora.url], user_env)
    assert proc.returncode == 0, describe(proc)
    env = json.loads(proc.stdout)["environments"][0]
    assert (env["source"], env["storage"], env["account"]) == ("official CLI", str(path), "alice")
    assert env["expires_at"] == FUTURE
    assert issued.access_token not in proc.stdout


def test_no_os_keyring_still_uses_the_official_session(aqora, user_env):
    issued = official_login(aqora)
    write_credentials(credentials_path(user_env), aqora.url, entry(issued, FUTURE))
    env = {k: v for k, v in user_env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    proc = token(env, aqora.url)
    assert proc.stdout == issued.access_token + "\n", describe(proc)


# ------------------------------------------------------------- `aqora auth token` program

@pytest.fixture
def fake_aqora(user_env, tmp_path):
    bin_dir = tmp_path / "aqora-bin"
    bin_dir.mkdir()
    log = tmp_path / "aqora-calls.log"
    program = bin_dir / "aqora"
    program.write_text(FAKE_AQORA.format(python=sys.executable, log=str(log)))
    program.chmod(0o755)
    env = {**user_env, "PATH": f"{bin_dir}{os.pathsep}{user_env['PATH']}"}
    return env, log


def test_aqora_auth_token_is_used_when_available(aqora, fake_aqora):
    env, log = fake_aqora
    issued = official_login(aqora)
    write_credentials(credentials_path(env), aqora.url, entry(issued, FUTURE))
    proc = token({**env, "FAKE_AQORA_TOKEN": "aqat_from_the_program"}, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "aqat_from_the_program\n"
    calls = [eval(line) for line in log.read_text().splitlines()]
    assert calls[0][0] == ["auth", "token", "--help"]
    assert calls[-1] == (["auth", "token", "--url", aqora.url + "/"], "1")
    assert proc.stderr == ""
    assert_not_copied(env, aqora.url)


def test_aqora_auth_token_failure_shows_its_stderr(aqora, fake_aqora):
    env, _ = fake_aqora
    proc = token({**env, "FAKE_AQORA_MODE": "fail"}, aqora.url)
    assert proc.returncode == 1
    assert "error: 'aqora auth token' failed (exit 3): Error: boom: the network is down" in (
        proc.stderr
    )
    assert "hint: " in proc.stderr and "Traceback" not in proc.stderr
    logged_out = token({**env, "FAKE_AQORA_MODE": "logged-out"}, aqora.url)
    assert logged_out.returncode == 1
    assert f"error: Not logged in to {aqora.url}/" in logged_out.stderr


@pytest.mark.serial  # timing-sensitive: runs alone
def test_aqora_auth_token_is_bounded(aqora, fake_aqora):
    env, _ = fake_aqora
    write_config(env, "[timeouts]\ncli = 1\n")
    started = time.monotonic()
    proc = token({**env, "FAKE_AQORA_MODE": "slow"}, aqora.url)
    assert time.monotonic() - started < 15
    assert proc.returncode == 1
    assert "'aqora auth token' did not answer within 1 s" in proc.stderr


def test_an_aqora_without_auth_token_falls_back_to_the_file(aqora, fake_aqora):
    env, log = fake_aqora
    issued = official_login(aqora)
    write_credentials(credentials_path(env), aqora.url, entry(issued, FUTURE))
    proc = token({**env, "FAKE_AQORA_MODE": "old"}, aqora.url)
    assert proc.stdout == issued.access_token + "\n", describe(proc)
    assert len(log.read_text().splitlines()) == 1  # the probe only
