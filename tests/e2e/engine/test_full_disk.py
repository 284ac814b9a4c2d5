"""A full disk never loses a session (issue #11, class 6), on a real small tmpfs: the
helper reserves room for the rotated session before the server rotates it (own session
in the keyring or the insecure file), and rewrites the official CLI's credentials.json
in place without ever leaving it shorter or invalid.

Origin: tests/e2e/test_sec_storage.py, whose threads and signals tests are now
tests/e2e/concurrency/test_threads.py and tests/e2e/security/test_signals.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aqora_helper.engine.api import INTERACTIVE_REDIRECT_URI, Api, IssuedTokens
from aqora_helper.engine.timeouts import Timeouts
from servers.aqora import AqoraServer
from support import (
    assert_clean_failure,
    clear_keyring_session,
    describe,
    login_args,
    make_cached_token_stale,
    misbehaving_keyring_env,
    run_cmd,
    stored_refresh_token,
)

PAGE = 4096


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
