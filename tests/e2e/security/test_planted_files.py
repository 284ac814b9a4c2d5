"""Files planted where the helper or a client reads never block it, never send it outside its
folders and never make it print a secret: FIFOs in our files, the config file and the
client config files that setup and doctor read (Docker's config.json, pip.conf, uv.toml,
containers' auth.json and drop-in); `--url` never builds a path outside the cache; token
files others can read are refused and replaced; an absurd cached expiry is a miss; an
unusable refresh lock path (a directory, a dangling symlink) or a credentials.json that
is not a file is the standard two-line error on every entry point.

Origins: issue #11, classes 10 and 11 (tests/e2e/test_sec_inputs.py); issue #11 loose
ends (tests/e2e/test_sec_followups.py); red team round 4 (tests/e2e/test_redteam_round4.py).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from shared.official_cli import (
    credentials_path,
)
from support import (
    TRACEBACK_MARKERS,
    assert_clean_failure,
    assert_no_traceback,
    assert_two_line_error,
    describe,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    stored_refresh_token,
    token_cache_file,
    write_config,
)


def cache_root(user_env: dict[str, str]) -> Path:
    return Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper"


@pytest.fixture
def warm(aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., object]) -> str:
    """Logged in to the stand-in as the default environment; index and cache warm.
    Returns the cached access token."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n',
    )
    login()
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout.strip()


# --- class 10: files ---------------------------------------------------------------------


def plant_fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path, 0o600)


@pytest.mark.parametrize("which", ["hosts.json", "token", "sessions.json"])
def test_a_fifo_in_our_files_never_blocks(aqora, user_env, warm, which):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    target = {
        "hosts.json": cache_root(user_env) / "hosts.json",
        "token": token_cache_file(user_env, aqora.url),
        "sessions.json": Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "sessions.json",
    }[which]
    plant_fifo(target)
    proc = run_cmd(["aqora-helper", "token"], user_env, timeout=30)  # a hang raises here
    assert_no_traceback(proc)
    if which == "token":  # a cache that is not a file: say so, in two lines
        assert_clean_failure(proc, "not a regular file")
    else:
        assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
    git_proc = run_entry_point(
        "aqora_helper.doors.git",
        ["git-credential-aqora", "get"],
        user_env,
        f"protocol=http\nhost={aqora.url.split('://')[1]}\n",
    )
    assert_no_traceback(git_proc)
    status = run_cmd(["aqora-helper", "status", "--offline"], user_env, timeout=30)  # slow path
    assert_no_traceback(status)


def test_a_fifo_config_file_is_a_config_error_not_a_hang(user_env):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    config = Path(user_env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
    plant_fifo(config)
    proc = run_cmd(["aqora-helper", "status"], user_env, timeout=30)
    assert_clean_failure(proc, "not a regular file")


@pytest.mark.parametrize("url", ["../../../x/planted://x", "https://a/../../../x", "x"])
def test_url_never_builds_a_path_outside_the_cache(aqora, user_env, warm, url):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    make_cached_token_stale(user_env, aqora.url)  # a miss: the fast path takes the lock
    home = Path(user_env["HOME"])
    before = {p for p in home.rglob("*") if "aqora-helper" not in p.parts}
    proc = run_cmd(["aqora-helper", "token", "--url", url], user_env)
    if url.startswith("https://"):
        assert_clean_failure(proc)
    else:  # not a URL at all: a usage error (exit 2), in the same two lines
        assert proc.returncode == 2 and proc.stdout == "", describe(proc)
        assert proc.stderr.startswith("error: Invalid URL") and "\nhint: " in proc.stderr
    after = {p for p in home.rglob("*") if "aqora-helper" not in p.parts}
    assert after == before, sorted(map(str, after - before))
    locks = cache_root(user_env) / "locks"
    assert not locks.exists() or all(p.parent == locks for p in locks.rglob("*"))


def test_a_token_file_others_can_read_is_refused_and_replaced(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    cache = token_cache_file(user_env, aqora.url)
    cache.chmod(0o644)
    git_proc = run_entry_point(
        "aqora_helper.doors.git",
        ["git-credential-aqora", "get"],
        user_env,
        f"protocol=http\nhost={aqora.url.split('://')[1]}\n",
    )
    assert warm not in git_proc.stdout, describe(git_proc)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    cache.chmod(0o640)
    proc = run_cmd(["aqora-helper", "token"], user_env)
    assert proc.returncode == 0, describe(proc)
    fresh = proc.stdout.strip()
    assert fresh != warm and aqora.is_valid_access_token(fresh)
    assert proc.stderr.count("other users can read") == 1, describe(proc)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


# --- class 11: the fast paths fail in two lines ------------------------------------------


def lock_file(user_env: dict[str, str], url: str) -> Path:
    return cache_root(user_env) / "locks" / (token_cache_file(user_env, url).stem + ".lock")


@pytest.mark.parametrize("problem", ["directory", "dangling symlink", "fifo", "open lock dir"])
def test_a_broken_lock_path_is_two_lines(aqora, user_env, warm, problem):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    make_cached_token_stale(user_env, aqora.url)
    path = lock_file(user_env, aqora.url)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        path.unlink()
    if problem == "directory":
        path.mkdir()
    elif problem == "dangling symlink":
        path.symlink_to(path.parent / "nowhere")
    elif problem == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.parent.chmod(0o777)
    proc = run_cmd(["aqora-helper", "token"], user_env, timeout=30)
    if problem == "fifo":  # the lock still works on a FIFO: no harm, an answer
        assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
        return
    assert_clean_failure(proc, str(path.parent if problem == "open lock dir" else path))
    host = aqora.url.split("://")[1]
    git_proc = run_cmd(
        ["git-credential-aqora", "get"], user_env, input=f"protocol=http\nhost={host}\n"
    )
    assert_no_traceback(git_proc)
    assert git_proc.stdout == "" and "internal error" not in git_proc.stderr, describe(git_proc)
    assert git_proc.stderr.startswith("aqora-helper: Refusing to use"), describe(git_proc)
    docker_proc = run_cmd(["docker-credential-aqora", "get"], user_env, input=host)
    assert_no_traceback(docker_proc)
    assert docker_proc.returncode == 1, describe(docker_proc)
    assert docker_proc.stdout.startswith("Refusing to use"), describe(docker_proc)


@pytest.mark.parametrize("expiry", [1e300, "soon", 10**400, -5, 2**63])
def test_an_absurd_cached_expiry_is_a_miss(aqora, user_env, warm, expiry):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    path = token_cache_file(user_env, aqora.url)
    data = json.loads(path.read_text())
    data["expires_at"] = expiry
    tmp = path.with_suffix(".edit")
    tmp.write_text(json.dumps(data))
    tmp.chmod(0o600)
    tmp.replace(path)
    for fmt in ("plain", "json"):
        proc = run_cmd(["aqora-helper", "token", "--format", fmt], user_env)
        assert proc.returncode == 0, describe(proc)
        assert_no_traceback(proc)
    assert aqora.refresh_calls == 1  # the absurd entry was replaced by a real one


# (file under XDG_CONFIG_HOME, or under HOME for Docker's; the setup that edits it)
PLANTED = {
    "docker config.json": ("~/.docker/config.json", ["docker"]),
    "pip.conf": ("pip/pip.conf", ["pip", "--index-url", "https://pypi.example.org/simple/", "--replace"]),
    "uv.toml": ("uv/uv.toml", ["uv", "--index-url", "https://pypi.example.org/simple/", "--replace"]),
    "containers drop-in": ("containers/registries.conf.d/zz-aqora-helper.conf", None),
    "containers auth.json": ("containers/auth.json", None),
}


def planted_fifo(env: dict[str, str], where: str) -> Path:
    home, config = Path(env["HOME"]), Path(env["XDG_CONFIG_HOME"])
    path = home / where[2:] if where.startswith("~/") else config / where
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("name", PLANTED)
def test_a_fifo_as_a_client_config_file_never_blocks_setup_or_doctor(aqora, user_env, login, name):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    where, setup = PLANTED[name]
    login()
    fifo = planted_fifo(user_env, where)
    doctor = run_cmd(["aqora-helper", "doctor"], user_env, timeout=45)
    assert doctor.returncode in (0, 1) and "Traceback" not in doctor.stderr, describe(doctor)
    if name == "docker config.json":  # the one whose check reads it for every served host
        assert f"{fifo} is not a regular file" in doctor.stdout, describe(doctor)
    if setup is not None:
        proc = run_cmd(["aqora-helper", "setup", *setup, "--url", aqora.url], user_env, timeout=45)
        assert_clean_failure(proc, f"{fifo} is not a regular file")
    assert fifo.is_fifo()  # left as it was


@pytest.mark.parametrize("problem", ["directory", "dangling symlink"])
def test_a_broken_lock_path_is_two_lines_without_the_fast_path(aqora, user_env, login, problem):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    path = lock_file(user_env, aqora.url)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    if problem == "directory":
        path.mkdir()
    else:
        path.symlink_to(path.parent / "nowhere")
    index = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "hosts.json"
    host = aqora.url.split("://", 1)[1]
    for argv, stdin in (
        (["aqora-helper", "token"], None),
        (["aqora-helper", "logout"], None),
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n\n"),
    ):
        index.unlink(missing_ok=True)  # no current index: the engine takes the lock itself
        proc = run_cmd(argv, user_env, input=stdin)
        text = proc.stdout + proc.stderr
        assert not any(marker in text for marker in TRACEBACK_MARKERS), describe(proc)
        assert "internal error" not in text and str(path) in proc.stderr, describe(proc)
        if argv[0] == "aqora-helper":
            assert_two_line_error(proc, "Refusing to use")
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()


# --- 4. the official CLI's credentials.json never blocks --------------------------------


@pytest.mark.parametrize("planted", ["fifo", "directory"])
def test_a_credentials_json_that_is_not_a_file_is_a_clear_error(aqora, user_env, planted):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    path = credentials_path(user_env)
    path.parent.mkdir(parents=True)
    if planted == "fifo":
        os.mkfifo(path, 0o600)
    else:
        path.mkdir()
    proc = run_cmd(["aqora-helper", "token"], user_env, timeout=30)  # a hang raises here
    assert_two_line_error(proc, "credentials file", "not a regular file")
    status = run_cmd(["aqora-helper", "status"], user_env, timeout=30)
    assert not any(marker in status.stderr for marker in TRACEBACK_MARKERS), describe(status)
