"""Issue #11, classes 4, 6 and 7: no session lost to threads, a full disk or a signal.

- Threads: 8 threads of one process asking `keyring` at once on a stale token make one
  refresh, never reuse a refresh token, and all get the same valid token.
- Full disk, on a real small tmpfs: the helper reserves room for the rotated session
  before the server rotates it (own session in the keyring or the insecure file), and
  rewrites the official CLI's credentials.json in place without ever leaving it shorter
  or invalid.
- Signals: SIGINT/SIGTERM/SIGHUP at random points of a refresh (token, git and docker
  front doors) never lose the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aqora_helper.engine.api import INTERACTIVE_REDIRECT_URI, Api, IssuedTokens
from aqora_helper.engine.settings import Timeouts
from servers.aqora import AqoraServer
from support import (
    assert_clean_failure,
    clear_keyring_session,
    describe,
    login_args,
    make_cached_token_stale,
    make_user_env,
    misbehaving_keyring_env,
    run_cmd,
    stored_refresh_token,
    write_config,
)

PAGE = 4096

# --------------------------------------------------------------------------------------
# Class 4: threads


THREADS = 8
ROUNDS = 5
THREADED_GETS = """
import json, sys, threading
import keyring
service, count = sys.argv[1], int(sys.argv[2])
keyring.get_keyring()
def get(i, barrier, out):
    barrier.wait()
    if i % 2:
        out[i] = keyring.get_password(service, None)
    else:
        cred = keyring.get_credential(service, None)
        out[i] = None if cred is None else cred.password
for _ in sys.stdin:
    barrier, out = threading.Barrier(count), [None] * count
    threads = [threading.Thread(target=get, args=(i, barrier, out)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(out), flush=True)
"""


@pytest.mark.serial  # timing-sensitive: runs alone
def test_threads_of_one_process_refresh_once_per_round(aqora, user_env, login):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    aqora.refresh_delay = 0.2  # every thread arrives while the first refresh is in flight
    service = f"{aqora.url}/simple/"
    child = subprocess.Popen(
        [sys.executable, "-c", THREADED_GETS, service, str(THREADS)],
        env=user_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        for round_no in range(ROUNDS):
            aqora.expire_access_tokens()
            stale = make_cached_token_stale(user_env, aqora.url)
            before = aqora.refresh_calls
            child.stdin.write("go\n")
            child.stdin.flush()
            tokens = json.loads(child.stdout.readline() or "null")
            assert tokens is not None, f"round {round_no}: {child.stderr.read()}"
            assert aqora.refresh_calls == before + 1, f"round {round_no}: {tokens}"
            assert aqora.reuse_detected == 0, f"round {round_no}"
            assert len(set(tokens)) == 1, f"round {round_no}: {tokens}"
            assert tokens[0] != stale and aqora.is_valid_access_token(tokens[0])
    finally:
        child.stdin.close()
        child.wait(30)
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens()


# --------------------------------------------------------------------------------------
# Class 6: a full disk (real tmpfs)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root only), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)],
        check=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave_pages: int = 0) -> Path:
    """Fill `disk` with a filler file, then give back `leave_pages` pages."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in (PAGE * 16, PAGE, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"x" * chunk)
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave_pages * PAGE))
    finally:
        os.close(fd)
    return filler


def free_disk(disk: Path) -> None:
    for filler in disk.glob("filler-*"):
        filler.unlink()


def disk_env(user_env: dict[str, str], disk: Path) -> dict[str, str]:
    """The user's data and cache directories on the small disk."""
    return dict(user_env, XDG_DATA_HOME=str(disk / "data"), XDG_CACHE_HOME=str(disk / "cache"))


def token(env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["aqora-helper", "token", "--url", url], env)


def works_or_fails_cleanly(proc: subprocess.CompletedProcess[str], aqora: AqoraServer) -> None:
    if proc.returncode == 0:
        assert aqora.is_valid_access_token(proc.stdout.strip()), describe(proc)
    else:
        assert_clean_failure(proc, "No space left")


def insecure_refresh_token(env: dict[str, str]) -> str:
    folder = Path(env["XDG_DATA_HOME"]) / "aqora-helper"
    recovery = list((folder / "recovery").glob("*.json")) if (folder / "recovery").is_dir() else []
    files = recovery or list((folder / "insecure").glob("*.json"))
    assert len(files) == 1, files
    return str(json.loads(files[0].read_text())["refresh_token"])


def assert_later_refresh_works(
    env: dict[str, str], aqora: AqoraServer, stored: Callable[[], str | None]
) -> None:
    """After the disk is freed: the session refreshes without a new login, and what is
    stored is a live refresh token (never the rotated-away one)."""
    make_cached_token_stale(env, aqora.url)
    before = aqora.refresh_calls
    later = token(env, aqora.url)
    assert later.returncode == 0, describe(later)
    assert aqora.is_valid_access_token(later.stdout.strip())
    assert aqora.refresh_calls == before + 1
    assert stored() in aqora.valid_refresh_tokens()
    assert aqora.reuse_detected == 0


def fill_on_refresh(aqora: AqoraServer, disk: Path) -> None:
    """The disk fills up while the server is rotating the session."""
    aqora.refresh_hook = lambda: fill(disk)


@pytest.mark.parametrize("when", ["full-before-0", "full-before-1", "fills-during-refresh"])
def test_full_disk_never_loses_an_insecure_storage_session(aqora, user_env, small_disk, when):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    env = disk_env(user_env, small_disk)
    proc = run_cmd(login_args(aqora.url, "--insecure-storage"), env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    make_cached_token_stale(env, aqora.url)
    if when == "fills-during-refresh":
        fill_on_refresh(aqora, small_disk)
    else:
        fill(small_disk, leave_pages=int(when[-1]))
    proc = token(env, aqora.url)
    works_or_fails_cleanly(proc, aqora)
    if when == "fills-during-refresh":
        assert proc.returncode == 0, describe(proc)  # the room was reserved beforehand
    assert insecure_refresh_token(env) in aqora.valid_refresh_tokens()
    aqora.refresh_hook = None
    free_disk(small_disk)
    assert_later_refresh_works(env, aqora, lambda: insecure_refresh_token(env))


@pytest.mark.parametrize("keyring_fails", [False, True])
@pytest.mark.parametrize("when", ["full-before", "fills-during-refresh"])
def test_full_disk_never_loses_a_keyring_session(
    aqora, user_env, small_disk, tmp_path, when, keyring_fails
):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    env = disk_env(user_env, small_disk)
    proc = run_cmd(login_args(aqora.url), env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    make_cached_token_stale(env, aqora.url)
    marker = tmp_path / "keyring-refuses-writes"
    marker.touch()
    flaky = misbehaving_keyring_env(env, "FlakyWrites", AQORA_TEST_FAIL_WRITES=str(marker))
    if when == "fills-during-refresh":
        fill_on_refresh(aqora, small_disk)
    else:
        fill(small_disk)
    proc = token(flaky if keyring_fails else env, aqora.url)
    works_or_fails_cleanly(proc, aqora)
    if when == "fills-during-refresh":
        assert proc.returncode == 0, describe(proc)  # the room was reserved beforehand
    aqora.refresh_hook = None
    free_disk(small_disk)
    marker.unlink()
    assert_later_refresh_works(env, aqora, lambda: stored_refresh_token(env, aqora.url))


CLIENT_ID = "localhost-official"
PAST = "2020-01-01T00:00:00Z"


def official_session(aqora: AqoraServer) -> IssuedTokens:
    """A session made the way `aqora login --interactive` makes it."""
    api = Api(aqora.url + "/", Timeouts())
    code = api.authorize(api.login_user("alice", "pw"), CLIENT_ID)
    return api.exchange_code(code, CLIENT_ID, INTERACTIVE_REDIRECT_URI)


def credentials_near_a_page_end(aqora: AqoraServer) -> dict[str, dict[str, object]]:
    """credentials.json with the stale served entry and others, written compactly (as
    another tool might) so the rewrite in the official pretty format must grow past the
    end of the file's last page."""
    issued = official_session(aqora)
    entries: dict[str, object] = {
        aqora.url + "/": {
            "client_id": CLIENT_ID,
            "client_secret": None,
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "expires_at": PAST,
        }
    }
    data = {"credentials": entries}
    n = 0
    while len(json.dumps(data)) < PAGE - 300:
        entries[f"https://env{n}.example/"] = {
            "client_id": f"localhost-{n}",
            "access_token": f"aqat_other_{n}",
            "refresh_token": f"aqrt_other_{n}",
            "expires_at": "2030-01-01T00:00:00Z",
        }
        n += 1
    return data


def official_refresh_token(path: Path, aqora: AqoraServer) -> str:
    return str(json.loads(path.read_text())["credentials"][aqora.url + "/"]["refresh_token"])


@pytest.mark.parametrize("when", ["full-before-0", "full-before-1", "fills-during-refresh"])
def test_full_disk_keeps_credentials_json_whole(aqora, user_env, small_disk, when):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    clear_keyring_session(user_env, aqora.url)
    env = disk_env(user_env, small_disk)
    path = small_disk / "data" / "aqora" / "credentials.json"
    path.parent.mkdir(parents=True)
    original = credentials_near_a_page_end(aqora)
    path.write_text(json.dumps(original))
    size = path.stat().st_size
    if when == "fills-during-refresh":
        fill_on_refresh(aqora, small_disk)
    else:
        fill(small_disk, leave_pages=int(when[-1]))
    proc = token(env, aqora.url)
    works_or_fails_cleanly(proc, aqora)
    if when == "fills-during-refresh":
        assert proc.returncode == 0, describe(proc)  # the room was reserved beforehand
    written = json.loads(path.read_text())  # always valid JSON
    assert path.stat().st_size >= size or proc.returncode == 0
    assert list(written["credentials"]) == list(original["credentials"])
    for url, value in original["credentials"].items():
        if url != aqora.url + "/":
            assert written["credentials"][url] == value
    assert official_refresh_token(path, aqora) in aqora.valid_refresh_tokens()
    aqora.refresh_hook = None
    free_disk(small_disk)
    doomed = json.loads(path.read_text())
    doomed["credentials"][aqora.url + "/"]["expires_at"] = PAST
    path.write_text(json.dumps(doomed, indent=2))
    later = token(env, aqora.url)
    assert later.returncode == 0, describe(later)
    assert aqora.is_valid_access_token(later.stdout.strip())
    assert official_refresh_token(path, aqora) in aqora.valid_refresh_tokens()
    assert aqora.reuse_detected == 0


# --------------------------------------------------------------------------------------
# Class 7: signals during a refresh


TRIES = 60
SIGNALS = (signal.SIGINT, signal.SIGINT, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def door_commands(aqora: AqoraServer) -> list[tuple[list[str], str]]:
    host = aqora.url.split("://", 1)[1]
    return [
        (["aqora-helper", "token", "--url", aqora.url], ""),
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n\n"),
        (["docker-credential-aqora", "get"], host),
    ]


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.mark.serial  # timing-sensitive: runs alone
def test_signals_during_refresh_never_lose_the_session(aqora, tmp_path):
    """Origin: issue #11, classes 4, 6 and 7 (was tests/e2e/test_sec_storage.py)."""
    env = make_user_env(tmp_path / "signals-home")
    write_config(env, f'url = "{aqora.url}"\n')
    proc = run_cmd(login_args(aqora.url), env, input="pw\n")
    assert proc.returncode == 0, describe(proc)
    aqora.refresh_delay = 0.3  # the server has rotated; its answer is on the way
    doors = door_commands(aqora)
    chance = random.Random(11)
    for attempt in range(TRIES):
        argv, stdin = doors[attempt % len(doors)]
        make_cached_token_stale(env, aqora.url)
        before = aqora.refresh_calls
        victim = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert victim.stdin is not None
        victim.stdin.write(stdin)
        victim.stdin.close()
        victim.stdin = None  # written: communicate() only collects the output
        if attempt % 2:
            wait_for(lambda: aqora.refresh_calls > before)
            time.sleep(chance.uniform(0, 0.45))
        else:
            time.sleep(chance.uniform(0, 0.9))
        sig = SIGNALS[attempt % len(SIGNALS)]
        with contextlib.suppress(ProcessLookupError):
            victim.send_signal(sig)
        _, err = victim.communicate(timeout=60)
        what = f"try {attempt}: {argv[0]} got {sig.name} (exit {victim.returncode})\n{err}"
        assert stored_refresh_token(env, aqora.url) in aqora.valid_refresh_tokens(), what
        assert aqora.reuse_detected == 0, what
        after = token(env, aqora.url)
        assert after.returncode == 0, what + describe(after)
        assert aqora.is_valid_access_token(after.stdout.strip()), what
    clear_keyring_session(env, aqora.url)
