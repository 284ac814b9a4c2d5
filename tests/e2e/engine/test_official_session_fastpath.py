"""A session of the official aqora CLI alone (no `aqora-helper login`): after the first
get, every front door answers from its credentials.json while the token is fresh, with
the standard library only; a stale one is refreshed in place by the engine (official
format, one refresh), then answered fast again; an own login takes over; no token of
credentials.json is ever copied into our files. (The import check itself is in
test_perf_misspath.py with the other forbidden-imports checks.)"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from aqora_helper.engine.api import IssuedTokens
from aqora_helper.engine.official import parse_expires_at
from shared.official_session import credentials_path, official_login, write_credentials
from support import (
    clear_keyring_session,
    describe,
    files_containing,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    write_config,
)

pytestmark = pytest.mark.serial  # 12 concurrent gets and a refresh lock: timing-sensitive


@pytest.fixture(autouse=True)
def _no_own_session(aqora, user_env):
    clear_keyring_session(user_env, aqora.url)


@pytest.fixture
def official(aqora, user_env) -> tuple[str, IssuedTokens]:
    """Served host 127.0.0.1:PORT, a fresh official session, one get done (the engine
    has pointed the fast path to credentials.json); returns (host, issued)."""
    host = aqora.url.split("://", 1)[1]
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{host}"]\n')
    issued = official_login(aqora.url)
    write_credentials(credentials_path(user_env), aqora.url, issued, int(time.time()) + 3600)
    first = run_cmd(["aqora-helper", "token"], user_env)
    assert first.stdout == issued.access_token + "\n", describe(first)
    return host, issued


def door_runs(host: str) -> list[tuple[str, list[str], str, str]]:
    """(entry module, argv, stdin, answer kind) of a get through each front door."""
    return [
        ("aqora_helper.doors.git", ["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n\n", "git"),
        ("aqora_helper.doors.docker", ["docker-credential-aqora", "get"], host, "docker"),
        ("aqora_helper.__main__", ["aqora-helper", "token"], "", "plain"),
        ("aqora_helper.doors.keyring_program",
         ["keyring", "--mode=creds", "--output=json", "get", f"http://{host}/simple/"], "", "json"),
    ]  # fmt: skip


def answer(kind: str, stdout: str) -> str:
    if kind == "git":
        return dict(line.split("=", 1) for line in stdout.splitlines())["password"]
    if kind == "docker":
        return str(json.loads(stdout)["Secret"])
    if kind == "json":
        return str(json.loads(stdout)["password"])
    return stdout.strip()


def test_every_door_answers_the_official_token_without_the_engine(aqora, user_env, official):
    host, issued = official
    before = credentials_path(user_env).read_bytes()
    for module, argv, stdin, kind in door_runs(host):
        proc = run_entry_point(module, argv, user_env, stdin)
        assert proc.returncode == 0, describe(proc)
        assert answer(kind, proc.stdout) == issued.access_token, module
        assert "aqora_helper.engine.session" not in proc.stderr, module  # no miss path
    assert aqora.refresh_calls == 0
    assert credentials_path(user_env).read_bytes() == before


def test_a_stale_official_session_is_refreshed_in_place_then_answered_fast(
    aqora, user_env, official
):
    host, issued = official
    path = write_credentials(credentials_path(user_env), aqora.url, issued, int(time.time()) - 10)
    proc = run_cmd(["git-credential-aqora", "get"], user_env, input=f"protocol=http\nhost={host}\n\n")
    assert proc.returncode == 0, describe(proc)
    fresh = answer("git", proc.stdout)
    assert fresh != issued.access_token and aqora.is_valid_access_token(fresh)
    assert aqora.refresh_calls == 1
    text = path.read_text()
    entry = json.loads(text)["credentials"][aqora.url + "/"]
    assert text == json.dumps(json.loads(text), indent=2)  # the official CLI's format
    assert entry["access_token"] == fresh and entry["refresh_token"] in aqora.valid_refresh_tokens()
    assert parse_expires_at(entry["expires_at"]) > time.time() + 600
    again = run_entry_point("aqora_helper.doors.docker", ["docker-credential-aqora", "get"], user_env, host)
    assert json.loads(again.stdout)["Secret"] == fresh, describe(again)
    assert "aqora_helper.engine.session" not in again.stderr
    assert aqora.refresh_calls == 1


def test_an_own_login_takes_over_from_the_official_session(aqora, user_env, official, login):
    _, issued = official
    login()
    own = run_cmd(["aqora-helper", "token"], user_env).stdout.strip()
    assert own != issued.access_token and aqora.is_valid_access_token(own)
    make_cached_token_stale(user_env, aqora.url)
    refreshed = run_cmd(["aqora-helper", "token"], user_env).stdout.strip()
    assert refreshed not in (own, issued.access_token) and aqora.is_valid_access_token(refreshed)
    official_entry = json.loads(credentials_path(user_env).read_text())["credentials"]
    assert official_entry[aqora.url + "/"]["access_token"] == issued.access_token  # untouched


def test_no_token_of_credentials_json_is_copied_into_our_files(aqora, user_env, official):
    _, issued = official
    write_credentials(credentials_path(user_env), aqora.url, issued, int(time.time()) - 10)  # and one refresh
    assert run_cmd(["aqora-helper", "token"], user_env).returncode == 0
    data = json.loads(credentials_path(user_env).read_text())["credentials"][aqora.url + "/"]
    secrets = {issued.access_token, issued.refresh_token, data["access_token"], data["refresh_token"]}
    roots = [Path(user_env[k]) for k in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME")]
    roots.append(Path(user_env["XDG_DATA_HOME"]) / "aqora-helper")
    assert [hit for root in roots if root.exists() for hit in files_containing(root, secrets)] == []


def test_concurrent_stale_gets_of_the_official_session_refresh_it_once(aqora, user_env, official):
    host, issued = official
    write_credentials(credentials_path(user_env), aqora.url, issued, int(time.time()) - 10)
    procs = [
        subprocess.Popen(["git-credential-aqora", "get"], env=user_env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(12)
    ]  # fmt: skip
    results = [p.communicate(f"protocol=http\nhost={host}\n\n", timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), results
    tokens = {answer("git", out) for out, _ in results}
    assert len(tokens) == 1 and aqora.is_valid_access_token(tokens.pop())
    assert aqora.refresh_calls == 1
