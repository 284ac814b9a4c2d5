"""The foundation end to end: login --interactive, token, single-flight refresh, storage."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from support import (
    describe,
    files_containing,
    login_args,
    make_cached_token_stale,
    run_cmd,
    stored_refresh_token,
    token_cache_file,
    write_config,
)


def token(user_env: dict[str, str], url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", "token", "--url", url, *extra], user_env)


def test_login_stores_session_in_secret_service_only(aqora, user_env, login):
    proc = login()
    assert "Logged in to " + aqora.url in proc.stderr
    assert "OS keyring" in proc.stderr
    refresh = stored_refresh_token(user_env, aqora.url)
    assert refresh in aqora.valid_refresh_tokens()
    home = Path(user_env["HOME"])
    assert files_containing(home, {refresh}) == []


def test_wrong_password_stores_nothing(aqora, user_env):
    proc = run_cmd(
        login_args(aqora.url),
        user_env,
        input="wrong\n",
    )
    assert proc.returncode == 1, describe(proc)
    assert "invalid username or password" in proc.stderr.lower()
    assert stored_refresh_token(user_env, aqora.url) is None
    assert not token_cache_file(user_env, aqora.url).exists()


def test_token_is_accepted_by_the_server_in_every_format(aqora, user_env, login):
    login()
    plain = token(user_env, aqora.url)
    assert plain.returncode == 0, describe(plain)
    value = plain.stdout.strip()
    assert plain.stdout == value + "\n"
    assert aqora.is_valid_access_token(value)
    as_json = json.loads(token(user_env, aqora.url, "--format", "json").stdout)
    assert as_json["access_token"] == value
    assert as_json["url"] == aqora.url + "/"
    assert as_json["expires_at"].endswith("Z")
    assert token(user_env, aqora.url, "--format", "env").stdout == f"AQORA_TOKEN={value}\n"
    header = token(user_env, aqora.url, "--format", "header").stdout
    assert header == f"Authorization: Bearer {value}\n"
    assert aqora.refresh_calls == 0


def test_token_inside_skew_is_used_half_its_life_then_refreshed_once_and_keyring_rotated(
    aqora, user_env, login
):
    aqora.access_lifetime = 30  # inside the 60 s skew from the start
    login()
    first_refresh = stored_refresh_token(user_env, aqora.url)
    fresh = token(user_env, aqora.url)
    assert fresh.returncode == 0, describe(fresh)
    assert aqora.refresh_calls == 0  # just issued: used, not refreshed on every get
    cache = token_cache_file(user_env, aqora.url)
    data = json.loads(cache.read_text())
    data.update(issued_at=data["issued_at"] - 16, expires_at=data["expires_at"] - 16)
    cache.write_text(json.dumps(data))  # 16 s later: past half its life
    aqora.access_lifetime = 3600
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert aqora.refresh_calls == 1
    rotated = stored_refresh_token(user_env, aqora.url)
    assert rotated != first_refresh
    assert rotated in aqora.valid_refresh_tokens()
    assert aqora.is_valid_access_token(proc.stdout.strip())
    again = token(user_env, aqora.url)
    assert again.stdout == proc.stdout
    assert aqora.refresh_calls == 1


@pytest.mark.serial  # timing-sensitive: runs alone
def test_concurrent_token_processes_refresh_exactly_once(aqora, user_env, login):
    login()
    for _round in range(3):
        stale = make_cached_token_stale(user_env, aqora.url)
        before = aqora.refresh_calls
        procs = [
            subprocess.Popen(
                ["aqora-helper", "token", "--url", aqora.url],
                env=user_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                stdin=subprocess.DEVNULL,
            )
            for _ in range(12)
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        tokens = {out.strip() for out, _err in outputs}
        assert len(tokens) == 1 and stale not in tokens
        assert aqora.is_valid_access_token(tokens.pop())
        assert aqora.refresh_calls == before + 1
        assert aqora.reuse_detected == 0


def test_private_files_are_created_private(aqora, user_env, login):
    login()
    token(user_env, aqora.url)
    cache_file = token_cache_file(user_env, aqora.url)
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_file.parent.stat().st_mode) == 0o700
    root = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper"
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} has mode {mode:o}"


def test_insecure_storage_is_opt_in_and_said(aqora, user_env, login):
    proc = login("--insecure-storage")
    assert "insecure" in proc.stderr.lower()
    assert stored_refresh_token(user_env, aqora.url) is None
    data_dir = Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "insecure"
    files = list(data_dir.iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    make_cached_token_stale(user_env, aqora.url)
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0 and aqora.refresh_calls == 1, describe(proc)
    assert json.loads(files[0].read_text())["refresh_token"] in aqora.valid_refresh_tokens()


def test_aqora_token_env_is_used_as_is(aqora, user_env):
    env = dict(user_env, AQORA_TOKEN="aqat_from_the_environment_123", AQORA_URL=aqora.url)
    proc = run_cmd(["aqora-helper", "token"], env)
    assert proc.stdout == "aqat_from_the_environment_123\n", describe(proc)
    assert aqora.refresh_calls == 0


def test_subcommand_url_wins_over_top_level(aqora, user_env, login):
    login()
    proc = run_cmd(
        ["aqora-helper", "--url", "http://127.0.0.1:9", "token", "--url", aqora.url], user_env
    )
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(proc.stdout.strip())
    help_text = run_cmd(["aqora-helper", "token", "--help"], user_env).stdout
    assert "wins" in help_text


def test_plain_http_to_a_remote_host_is_refused(user_env):
    proc = run_cmd(["aqora-helper", "token", "--url", "http://example.com"], user_env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "--allow-insecure-host" in proc.stderr
    env = dict(user_env, AQORA_ALLOW_INSECURE_HOST="1")
    allowed = run_cmd(["aqora-helper", "token", "--url", "http://example.com"], env)
    assert "Not logged in to http://example.com/" in allowed.stderr, describe(allowed)


def test_config_file_sets_default_url(aqora, user_env, login):
    login()
    write_config(user_env, f'url = "{aqora.url}"\nrefresh_skew = 30\n')
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
    env = dict(user_env, AQORA_URL="http://127.0.0.1:9")
    assert "Not logged in to http://127.0.0.1:9/" in run_cmd(["aqora-helper", "token"], env).stderr


def test_python_dash_m_runs_the_cli(user_env):
    import sys

    proc = run_cmd([sys.executable, "-m", "aqora_helper", "--version"], user_env)
    assert proc.returncode == 0 and proc.stdout.startswith("aqora-helper "), describe(proc)


def test_no_tokens_leak_into_home_files(aqora, user_env, login):
    login()
    make_cached_token_stale(user_env, aqora.url)
    token(user_env, aqora.url)
    home = Path(user_env["HOME"])
    cache = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "tokens"
    assert files_containing(home, aqora.issued_tokens(), skip=(cache,)) == []
    assert os.listdir(cache)
