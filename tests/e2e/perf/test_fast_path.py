"""The fast path: a valid cached token is answered without importing anything heavy
(checked in a subprocess through sys.modules), and misses fall back correctly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import (
    describe,
    heavy_modules_loaded,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    write_config,
)

LAUNCHER = pytest.mark.parametrize("launcher", [False, True], ids=["site", "launcher"])


@LAUNCHER
def test_token_fast_path_imports_nothing_heavy(aqora, user_env, warm, launcher):
    for argv in (["aqora-helper", "token"], ["aqora-helper", "token", "--format", "json"]):
        proc = run_entry_point("aqora_helper.__main__", argv, user_env, launcher=launcher)
        assert proc.returncode == 0, describe(proc)
        assert heavy_modules_loaded(proc) == []
        assert aqora.refresh_calls == 0
    as_json = json.loads(proc.stdout)
    assert aqora.is_valid_access_token(as_json["access_token"])


@LAUNCHER
def test_git_fast_path_imports_nothing_heavy(aqora, user_env, warm, launcher):
    request = f"protocol=http\nhost={warm}\n"
    proc = run_entry_point(
        "aqora_helper.doors.git", ["git-credential-aqora", "get"], user_env, request, launcher
    )
    assert proc.returncode == 0, describe(proc)
    assert "password=" in proc.stdout
    assert heavy_modules_loaded(proc) == []


@LAUNCHER
def test_docker_fast_path_imports_nothing_heavy(aqora, user_env, warm, launcher):
    proc = run_entry_point(
        "aqora_helper.doors.docker", ["docker-credential-aqora", "get"], user_env, warm, launcher
    )
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(json.loads(proc.stdout)["Secret"])
    assert heavy_modules_loaded(proc) == []


@LAUNCHER
def test_docker_fast_path_for_a_registry_as_users_have_them(aqora, user_env, warm, launcher):
    """A non-loopback registry (the TLS-verification check runs, reading a daemon.json
    that lists insecure registries) is answered from the cache without anything heavy
    (`json` would import `re`)."""
    registry = "registry.example.test"
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{warm}", "{registry}"]\n',
    )
    daemon_json = Path(user_env["HOME"]) / ".docker" / "daemon.json"
    daemon_json.parent.mkdir(exist_ok=True)
    daemon_json.write_text('{"insecure-registries": ["other.example.test:5000"]}\n')
    assert run_cmd(["aqora-helper", "token"], user_env).returncode == 0  # index rewritten
    for _ in range(2):
        proc = run_entry_point(
            "aqora_helper.doors.docker",
            ["docker-credential-aqora", "get"],
            user_env,
            registry,
            launcher,
        )
        assert proc.returncode == 0, describe(proc)
        assert aqora.is_valid_access_token(json.loads(proc.stdout)["Secret"])
        assert heavy_modules_loaded(proc) == []


def test_stale_cache_takes_the_slow_path_and_refreshes(aqora, user_env, warm):
    make_cached_token_stale(user_env, aqora.url)
    proc = run_entry_point("aqora_helper.__main__", ["aqora-helper", "token"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert "aqora_helper.engine.session" in heavy_modules_loaded(proc)
    assert aqora.refresh_calls == 1


def test_config_change_invalidates_the_index(aqora, user_env, warm):
    write_config(user_env, 'url = "https://aqora.io"\n')
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 1
    assert "Not logged in to https://aqora.io/" in proc.stderr, describe(proc)


def test_aqora_token_env_bypasses_the_cache(aqora, user_env, warm):
    env = dict(user_env, AQORA_TOKEN="aqat_env_token_value_1234")
    assert run_cmd(["aqora-helper", "token"], env).stdout == "aqat_env_token_value_1234\n"
