"""Faults around the engine: killed refreshes, keyring write failures, unsafe or broken
cache storage, clock jumps. Each bounded, without traceback, and nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from support import (
    assert_clean_failure,
    describe,
    make_cached_token_stale,
    misbehaving_keyring_env,
    run_cmd,
    stored_refresh_token,
    token_cache_file,
)


def token(env, url, **kw):
    return run_cmd(["aqora-helper", "token", "--url", url], env, **kw)


def spawn_token(env, url) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["aqora-helper", "token", "--url", url],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def stale(aqora, user_env, login):
    login()
    make_cached_token_stale(user_env, aqora.url)
    return stored_refresh_token(user_env, aqora.url)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_lock_holder_killed_before_server_answers(aqora, user_env, stale):
    aqora.set_fault("hang", ops={"oauth2Refresh"})
    victim = spawn_token(user_env, aqora.url)
    wait_for(lambda: aqora.op_counts.get("oauth2Refresh", 0) >= 1)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    aqora.stop()  # the unanswered request dies with the connection, never processed
    aqora.start()
    aqora.set_fault(None)
    after = token(user_env, aqora.url, timeout=30)
    assert after.returncode == 0, describe(after)
    assert aqora.is_valid_access_token(after.stdout.strip())
    assert aqora.reuse_detected == 0
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()


@pytest.mark.serial  # timing-sensitive: runs alone
def test_lock_holder_killed_after_rotation_before_persisting(aqora, user_env, stale, tmp_path):
    """The window that cannot be closed: the server rotated, the process died before
    storing the new refresh token. The next process gets the lock at once and the user
    is told to log in again; nothing hangs."""
    marker = tmp_path / "block-writes"
    marker.touch()
    env = misbehaving_keyring_env(user_env, "SlowWrites", AQORA_TEST_BLOCK_WRITES=str(marker))
    victim = spawn_token(env, aqora.url)
    wait_for(Path(str(marker) + ".reached").exists)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    marker.unlink()
    started = time.monotonic()
    after = token(user_env, aqora.url, timeout=30)
    assert time.monotonic() - started < 10
    assert_clean_failure(after, "expired or was revoked", "Log in again")
    assert aqora.reuse_detected == 1


def test_keyring_write_failure_after_rotation_keeps_the_new_session(
    aqora, user_env, stale, tmp_path
):
    marker = tmp_path / "fail-writes"
    marker.touch()
    env = misbehaving_keyring_env(user_env, "FlakyWrites", AQORA_TEST_FAIL_WRITES=str(marker))
    proc = token(env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(proc.stdout.strip())
    recovery = Path(user_env["XDG_DATA_HOME"]) / "aqora-helper" / "recovery"
    kept = list(recovery.iterdir())
    assert len(kept) == 1 and str(kept[0]) in proc.stderr
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    rotated = json.loads(kept[0].read_text())["refresh_token"]
    assert rotated in aqora.valid_refresh_tokens()
    assert stored_refresh_token(user_env, aqora.url) == stale  # the keyring refused it
    marker.unlink()
    make_cached_token_stale(user_env, aqora.url)
    again = token(env, aqora.url)
    assert again.returncode == 0, describe(again)
    assert list(recovery.iterdir()) == []
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()
    assert aqora.reuse_detected == 0


@pytest.mark.parametrize("damage", [b"", b'{"url": "http://', b"\x00\xff garbage", b"[]"])
def test_corrupt_or_truncated_cache_is_a_miss(aqora, user_env, stale, damage):
    token_cache_file(user_env, aqora.url).write_bytes(damage)
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(proc.stdout.strip())
    assert aqora.refresh_calls == 1


def test_cache_file_symlink_is_refused_not_followed(aqora, user_env, stale, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("do not touch")
    cache = token_cache_file(user_env, aqora.url)
    cache.unlink()
    cache.symlink_to(target)
    proc = token(user_env, aqora.url)
    assert_clean_failure(proc, "symbolic link", "Remove it")
    assert target.read_text() == "do not touch"
    assert stored_refresh_token(user_env, aqora.url) == stale


def test_cache_directory_symlink_is_refused(aqora, user_env, stale, tmp_path):
    tokens_dir = token_cache_file(user_env, aqora.url).parent
    moved = tmp_path / "moved-tokens"
    tokens_dir.rename(moved)
    tokens_dir.symlink_to(moved)
    assert_clean_failure(token(user_env, aqora.url), "symbolic link")


def test_cache_writable_by_others_is_refused(aqora, user_env, stale):
    tokens_dir = token_cache_file(user_env, aqora.url).parent
    tokens_dir.chmod(0o777)
    assert_clean_failure(token(user_env, aqora.url), "writable by others")


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_cache_owned_by_another_user_is_refused(aqora, user_env, stale):
    os.chown(token_cache_file(user_env, aqora.url), 65534, 65534)
    assert_clean_failure(token(user_env, aqora.url), "belongs to another user")
    assert stored_refresh_token(user_env, aqora.url) == stale


@pytest.fixture
def mounted_cache(user_env):
    """A tmpfs mounted at the helper's cache directory (root only)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    target = Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper"
    target.mkdir(parents=True, mode=0o700, exist_ok=True)
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], check=True)
        mounted.append(target)
        return target

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_read_only_cache_directory(aqora, user_env, stale, mounted_cache):
    mounted_cache("mode=0700,ro")
    proc = token(user_env, aqora.url)
    assert_clean_failure(proc, "Cannot write", "permissions")
    assert stored_refresh_token(user_env, aqora.url) == stale
    assert aqora.refresh_calls == 0  # never refresh without the lock


def test_disk_full_cache_still_answers(aqora, user_env, stale, mounted_cache):
    cache = mounted_cache("mode=0700,size=16k")
    (cache / "locks").mkdir(mode=0o700)
    (cache / "tokens").mkdir(mode=0o700)
    filler = cache / "filler"
    with open(filler, "wb") as handle, pytest.raises(OSError):
        handle.write(b"x" * 65536)
        handle.flush()
        os.fsync(handle.fileno())
    proc = token(user_env, aqora.url)
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(proc.stdout.strip())
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()
    filler.unlink()
    second = token(user_env, aqora.url)
    assert second.returncode == 0 and aqora.refresh_calls == 2, describe(second)
    third = token(user_env, aqora.url)
    assert third.stdout == second.stdout and aqora.refresh_calls == 2


def faketime_env(env: dict[str, str], offset: str) -> dict[str, str]:
    lib = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), None)
    if lib is None:
        pytest.skip("libfaketime is not installed (apt package faketime)")
    return dict(env, LD_PRELOAD=str(lib), FAKETIME=offset, FAKETIME_DONT_FAKE_MONOTONIC="1")


def test_clock_jumping_back_distrusts_the_cache(aqora, user_env, login):
    login()
    cached = token(user_env, aqora.url).stdout
    aqora.expire_access_tokens()  # what the server thinks of it is what counts
    back = token(faketime_env(user_env, "-3h"), aqora.url)
    assert back.returncode == 0, describe(back)
    assert back.stdout != cached and aqora.is_valid_access_token(back.stdout.strip())
    assert aqora.refresh_calls == 1


def test_clock_jumping_forward_refreshes(aqora, user_env, login):
    login()
    ahead = token(faketime_env(user_env, "+2d"), aqora.url)
    assert ahead.returncode == 0, describe(ahead)
    assert aqora.is_valid_access_token(ahead.stdout.strip())
    assert aqora.refresh_calls == 1
    back_to_now = token(user_env, aqora.url)
    assert back_to_now.returncode == 0, describe(back_to_now)
    assert aqora.is_valid_access_token(back_to_now.stdout.strip())
