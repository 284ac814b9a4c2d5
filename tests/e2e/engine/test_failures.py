"""Each failure class: its own message and hint, exit 1, no traceback, nothing on stdout,
the stored session intact, and recovery without a new login. No token on stderr. A
stdout that is full or closed is the standard two lines too (front doors: quiet)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import (
    assert_clean_failure,
    assert_no_traceback,
    describe,
    login_args,
    make_cached_token_stale,
    misbehaving_keyring_env,
    run_cmd,
    stored_refresh_token,
    write_config,
)

FAULT_CASES = [
    ("500", "Unexpected answer from", "Retry later"),
    ("nonjson", "did not return JSON", "Retry later"),
    ("graphql-error", "Unexpected answer from", "Retry later"),
    ("hang", "timed out", "Check your network"),
    ("invalid-authorization", "expired or was revoked", "Log in again"),
    ("unauthorized", "expired or was revoked", "Log in again"),
    ("clientError", "expired or was revoked", "Log in again"),
]


@pytest.fixture
def stale_session(aqora, user_env, login):
    """Logged in, short read timeout, cached token stale: the next call must refresh."""
    write_config(user_env, "[timeouts]\nread = 1\nconnect = 1\n")
    login()
    make_cached_token_stale(user_env, aqora.url)
    return stored_refresh_token(user_env, aqora.url)


def token(user_env, url, **kw):
    return run_cmd(["aqora-helper", "token", "--url", url], user_env, **kw)


def assert_no_token_in(text: str, aqora) -> None:
    leaked = [t[:10] for t in aqora.issued_tokens() if t in text]
    assert not leaked, f"tokens leaked: {leaked}"


@pytest.mark.parametrize(("fault", "message", "hint"), FAULT_CASES)
def test_server_fault_then_recovery(aqora, user_env, stale_session, fault, message, hint):
    aqora.set_fault(fault, ops={"oauth2Refresh"})
    failed = token(user_env, aqora.url)
    assert_clean_failure(failed, message, hint)
    assert_no_token_in(failed.stderr, aqora)
    assert stored_refresh_token(user_env, aqora.url) == stale_session
    if fault == "hang":
        aqora.stop()  # the held request is dropped unanswered, as by a restarting server
        aqora.start()
    aqora.set_fault(None)
    if fault in ("invalid-authorization", "unauthorized", "clientError"):
        return  # the server refused: the user must log in again (not a transient fault)
    recovered = token(user_env, aqora.url)
    assert recovered.returncode == 0, describe(recovered)
    assert aqora.is_valid_access_token(recovered.stdout.strip())


def test_server_down_then_recovery(aqora, user_env, stale_session):
    aqora.stop()
    failed = token(user_env, aqora.url)
    assert_clean_failure(failed, "Cannot reach", "Check your network")
    assert stored_refresh_token(user_env, aqora.url) == stale_session
    aqora.start()
    recovered = token(user_env, aqora.url)
    assert recovered.returncode == 0, describe(recovered)


def test_revoked_session_says_log_in_again(aqora, user_env, stale_session):
    aqora.revoke_sessions()
    failed = token(user_env, aqora.url)
    assert_clean_failure(failed, "expired or was revoked", "aqora-helper login")
    assert stored_refresh_token(user_env, aqora.url) == stale_session


def test_not_logged_in(aqora, user_env):
    failed = token(user_env, aqora.url)
    assert_clean_failure(failed, f"Not logged in to {aqora.url}/", "Run 'aqora-helper login")


def test_bad_config_names_file_key_and_changes_nothing(aqora, user_env, login):
    login()
    cache_before = {p: p.read_bytes() for p in Path(user_env["HOME"]).rglob("*.json")}
    path = write_config(user_env, "refresh_skew = -5\n")
    failed = token(user_env, aqora.url)
    assert_clean_failure(failed, str(path), "refresh_skew")
    write_config(user_env, '[environments."https://aqora.io"]\nhosts = ["https://x/y"]\n')
    assert_clean_failure(token(user_env, aqora.url), "environments.https://aqora.io.hosts")
    write_config(user_env, "url = [\n")
    assert_clean_failure(token(user_env, aqora.url), "not valid TOML")
    write_config(user_env, "nonsense = 1\n")
    assert_clean_failure(token(user_env, aqora.url), "nonsense")
    assert {p: p.read_bytes() for p in Path(user_env["HOME"]).rglob("*.json")} == cache_before


def test_no_keyring_at_all(aqora, user_env):
    env = {k: v for k, v in user_env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    proc = run_cmd(
        login_args(aqora.url),
        env,
        input="pw\n",
    )
    assert_clean_failure(proc, "No usable OS keyring", "--insecure-storage", "AQORA_TOKEN")
    assert aqora.issued_tokens() == set() or not aqora.valid_refresh_tokens()


@pytest.fixture
def locked_keyring_env(user_env, tmp_path):
    """A private D-Bus with a gnome-keyring that was never unlocked (every use prompts,
    and the prompt is dismissed: how a locked keyring looks to a headless process)."""
    home = tmp_path / "kr-home"
    home.mkdir()
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
    )
    address, pid = bus.stdout.split()
    env = dict(user_env, DBUS_SESSION_BUS_ADDRESS=address)
    keyring_daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--components=secrets"],
        env=dict(env, HOME=str(home)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    yield env
    keyring_daemon.terminate()
    keyring_daemon.wait(10)
    os.kill(int(pid), signal.SIGTERM)


def test_locked_keyring(aqora, locked_keyring_env):
    proc = run_cmd(
        login_args(aqora.url),
        locked_keyring_env,
        input="pw\n",
    )
    assert_clean_failure(proc, "keyring is locked", "Unlock your keyring")


@pytest.mark.serial  # timing-sensitive: runs alone
def test_hanging_keyring_is_bounded(aqora, user_env, login):
    login()
    make_cached_token_stale(user_env, aqora.url)
    write_config(user_env, "[timeouts]\nkeyring = 1\n")
    env = misbehaving_keyring_env(user_env, "Hanging")
    started = time.monotonic()
    proc = token(env, aqora.url, timeout=30)
    assert time.monotonic() - started < 15
    assert_clean_failure(proc, "did not answer within 1 s", "timeouts.keyring")


def hold_lock(path: Path) -> subprocess.Popen[str]:
    """Another process holding the refresh lock (flock, as filelock takes it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import fcntl, sys, time\n"
        "f = open(sys.argv[1], 'a')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


@pytest.mark.serial  # timing-sensitive: runs alone
def test_refresh_lock_wait_is_bounded(aqora, user_env, stale_session):
    write_config(user_env, "[timeouts]\nlock = 1\n")
    port = aqora.url.rsplit(":", 1)[1]
    lock_file = (
        Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "locks" / f"http_127.0.0.1_{port}.lock"
    )
    holder = hold_lock(lock_file)
    try:
        failed = token(user_env, aqora.url)
        assert_clean_failure(failed, "did not finish within 1 s", "Retry")
        assert aqora.refresh_calls == 0
    finally:
        holder.kill()
        holder.wait()
    recovered = token(user_env, aqora.url)
    assert recovered.returncode == 0, describe(recovered)
    assert aqora.refresh_calls == 1


def test_stdout_full_or_closed_is_two_lines(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            ["aqora-helper", "token"],
            env=user_env,
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1 and len(lines) == 2, proc.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), proc.stderr
    assert warm not in proc.stderr
    closed = run_cmd(["bash", "-c", "aqora-helper token >&-"], user_env)
    assert_clean_failure(closed, "standard output")


def test_front_doors_with_stdout_full_or_closed_stay_quiet(aqora, user_env, warm):
    """Origin: issue #11, classes 5, 10, 11 and 12 (was tests/e2e/test_sec_inputs.py)."""
    host = aqora.url.split("://")[1]
    for argv, request in (
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n"),
        (["docker-credential-aqora", "get"], host),
    ):
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                argv,
                env=user_env,
                input=request,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
        assert proc.returncode == 1, proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "cannot write" in proc.stderr
        assert warm not in proc.stderr and "Exception ignored" not in proc.stderr
        closed = run_cmd(["bash", "-c", " ".join(argv) + " >&-"], user_env, input=request)
        assert_no_traceback(closed)
        assert warm not in closed.stderr and "Exception ignored" not in closed.stderr
