"""The keyring backend (aqora_helper.doors.keyring_backend) with the real engine, the real
Secret Service and the real `keyring` program: a refresh never re-enters keyring, no
prompt, bounded waits, the chainer keeps other secrets, and import cost.

In-process tests switch `os.environ` to the test user's environment (fresh HOME and XDG
dirs, the private Secret Service of `tests/run`); every `keyring`-level scenario whose
outcome depends on backend discovery runs in a subprocess. Scoping, failures and fuzzing
with fakes: tests/unit/doors/test_keyring_backend.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aqora_helper.doors import keyring_backend
from aqora_helper.doors.keyring_backend import AqoraKeyring
from aqora_helper.engine.secretservice import SecretServiceStore
from servers.aqora import AqoraServer
from support import (
    describe,
    make_cached_token_stale,
    run_cmd,
    use_env,
    write_config,
)


def test_a_slow_path_refresh_never_goes_through_keyring(
    aqora: AqoraServer, user_env, login, monkeypatch
):
    """Real engine, real Secret Service: a get that must refresh reads the refresh token
    from the OS backend directly; no keyring API call and no re-entry into our backend
    happens while our lookup runs."""
    import keyring
    import keyring.core
    from keyring.backends import SecretService
    from keyring.backends.chainer import ChainerBackend

    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    use_env(monkeypatch, user_env)

    depth = 0
    max_depth = 0
    during: list[str] = []
    os_reads: list[tuple[str, str]] = []
    lock = threading.Lock()

    def track(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal depth, max_depth
            with lock:
                depth += 1
                max_depth = max(max_depth, depth)
            try:
                return func(*args, **kwargs)
            finally:
                with lock:
                    depth -= 1

        return wrapper

    def spy(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if depth:
                during.append(name)
            return func(*args, **kwargs)

        return wrapper

    def os_get(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, service: str, username: str) -> Any:
            os_reads.append((service, username))
            return real(self, service, username)

        return wrapper

    for name in ("get_password", "get_credential"):
        monkeypatch.setattr(AqoraKeyring, name, track(name, getattr(AqoraKeyring, name)))
        monkeypatch.setattr(keyring, name, spy(f"keyring.{name}", getattr(keyring, name)))
        monkeypatch.setattr(
            keyring.core, name, spy(f"keyring.core.{name}", getattr(keyring.core, name))
        )
    # The OS backend: keyring's Secret Service backend, or the helper's one-connection
    # store over the same items (engine/secretservice.py), whichever the engine picks.
    for os_backend in (SecretService.Keyring, SecretServiceStore):
        monkeypatch.setattr(os_backend, "get_password", os_get(os_backend.get_password))

    before = aqora.refresh_calls
    chainer = ChainerBackend()  # what pip's `keyring.get_credential` goes through
    assert any(isinstance(b, AqoraKeyring) for b in chainer.backends)
    cred = chainer.get_credential(aqora.url + "/simple/", None)
    assert cred is not None and aqora.is_valid_access_token(cred.password)
    assert aqora.refresh_calls == before + 1  # the slow path really ran
    assert max_depth == 1
    assert during == []
    assert ("aqora-helper\tsession", aqora.url + "/") in os_reads  # read from the OS backend


# --- the real keyring program, no prompt, bounded --------------------------------------
def keyring_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> Any:
    """`keyring ...` with stdin closed (as pip's subprocess mode runs it)."""
    return subprocess.run(
        ["keyring", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(0),
    )


@pytest.fixture
def logged_in(aqora: AqoraServer, user_env, login) -> dict[str, str]:
    api_host = aqora.url.split("://", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}"]\nusername = "pypi-user"\n',
    )
    login()
    return user_env


def test_keyring_program_prints_username_and_token(aqora, logged_in):
    url = aqora.url + "/simple/"
    proc = keyring_cli(["--mode", "creds", "get", url], logged_in)
    assert proc.returncode == 0, describe(proc)
    username, token = proc.stdout.splitlines()
    assert username == "pypi-user" and aqora.is_valid_access_token(token)
    assert proc.stderr == ""

    proc = keyring_cli(["get", url, "someone"], logged_in)  # pip < 26.2, uv with a username
    assert proc.returncode == 0 and aqora.is_valid_access_token(proc.stdout.strip())

    proc = keyring_cli(["--mode", "creds", "--output", "json", "get", url], logged_in)
    assert proc.returncode == 0, describe(proc)
    assert '"username": "pypi-user"' in proc.stdout

    other = keyring_cli(["--mode", "creds", "get", "https://pypi.org/simple/"], logged_in)
    assert other.returncode == 1 and other.stdout == "", describe(other)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_keyring_program_without_a_session_fails_fast_without_prompting(aqora, user_env):
    api_host = aqora.url.split("://", 1)[1]
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
                 f'hosts = ["{api_host}"]\n')  # fmt: skip
    started = time.monotonic()
    proc = keyring_cli(["--mode", "creds", "get", aqora.url + "/simple/"], user_env)
    assert time.monotonic() - started < 30
    assert proc.returncode == 1 and proc.stdout == "", describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aqora-helper: Not logged in"), describe(proc)


def test_revoked_session_is_one_line_not_a_prompt(aqora, logged_in):
    aqora.revoke_sessions()
    make_cached_token_stale(logged_in, aqora.url)
    proc = keyring_cli(["--mode", "creds", "get", aqora.url + "/simple/"], logged_in)
    assert proc.returncode == 1 and proc.stdout == "", describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "log in again" in lines[0].lower(), describe(proc)


@pytest.mark.serial  # timing-sensitive: runs alone
def test_a_hanging_server_is_bounded(aqora, logged_in):
    path = Path(logged_in["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
    path.write_text(path.read_text().replace("[environments", "[timeouts]\nread = 1\nconnect = 1\n\n[environments", 1))  # fmt: skip
    make_cached_token_stale(logged_in, aqora.url)
    aqora.set_fault("hang")
    try:
        started = time.monotonic()
        proc = keyring_cli(["--mode", "creds", "get", aqora.url + "/simple/"], logged_in)
        elapsed = time.monotonic() - started
    finally:
        aqora.clear_fault()
    assert elapsed < 20, elapsed
    assert proc.returncode == 1 and proc.stdout == "", describe(proc)
    assert len(proc.stderr.splitlines()) == 1, describe(proc)
    assert "Cannot reach" in proc.stderr


def test_the_chainer_stores_other_secrets_in_the_os_keyring(aqora, logged_in):
    """set/delete through keyring go to the OS keyring; gets of a served service still
    answer the aqora token (our backend is asked first)."""
    code = (
        "import sys, keyring\n"
        "url = sys.argv[1]\n"
        "print(type(keyring.get_keyring()).__name__)\n"
        "keyring.set_password(url, 'someone', 'typed-password')\n"
        "keyring.set_password('https://pypi.org/', 'someone', 'other-password')\n"
        "print(keyring.get_password('https://pypi.org/', 'someone'))\n"
        "print(keyring.get_password(url, 'someone'))\n"
        "keyring.delete_password(url, 'someone')\n"
        "keyring.delete_password('https://pypi.org/', 'someone')\n"
        "print(keyring.get_password('https://pypi.org/', 'someone'))\n"
    )
    proc = run_cmd([sys.executable, "-c", code, aqora.url + "/simple/"], logged_in)
    assert proc.returncode == 0, describe(proc)
    kind, other, ours, gone = proc.stdout.splitlines()
    assert kind == "ChainerBackend"
    assert other == "other-password"
    assert aqora.is_valid_access_token(ours)
    assert gone == "None"


def test_disabled_backend_is_not_listed(user_env):
    proc = run_cmd(["keyring", "--list-backends"], user_env)
    assert "aqora_helper.doors.keyring_backend.AqoraKeyring (priority: 9.5)" in proc.stdout
    env = dict(user_env, AQORA_HELPER_KEYRING="off")
    proc = run_cmd(["keyring", "--list-backends"], env)
    assert proc.returncode == 0 and "AqoraKeyring" not in proc.stdout, describe(proc)


# --- import cost ----------------------------------------------------------------------
HEAVY = ("typer", "click", "rich", "pydantic", "requests", "platformdirs", "filelock")


PROBE = """
import sys
import aqora_helper.doors.keyring_backend as kb
ours = sorted(m for m in sys.modules if m.startswith("aqora_helper"))
from keyring.backends.chainer import ChainerBackend
cred = ChainerBackend().get_credential(sys.argv[1], None)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r} or m == "aqora_helper.engine.served")
print(",".join(ours))
print(",".join(heavy))
print(cred.username if cred else "-")
"""


def test_import_and_fast_path_stay_light(aqora, logged_in):
    warm = keyring_cli(["get", aqora.url + "/simple/", "x"], logged_in)  # caches a token
    assert warm.returncode == 0, describe(warm)
    proc = run_cmd(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), aqora.url + "/simple/"], logged_in
    )
    assert proc.returncode == 0, describe(proc)
    ours, heavy, username = proc.stdout.splitlines()
    assert ours == (
        "aqora_helper,aqora_helper.doors,aqora_helper.doors.keyring_backend,"
        "aqora_helper.doors.keyring_service,"  # which services are ours, and its getenv:
        "aqora_helper.fast,aqora_helper.fast.lightos"
    )
    assert heavy == ""
    assert username == "pypi-user"


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(keyring_backend, "_warned", set())
    yield


# --- note 9: a host program's thread named aqora-* is served --------------------------


def test_a_host_thread_named_aqora_gets_the_token(
    user_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.doors.keyring_backend import AqoraKeyring
    from aqora_helper.engine.bounded import call_with_timeout
    from aqora_helper.engine.served import refresh_index
    from aqora_helper.fast.tokencache import write_token

    write_config(
        user_env,
        'url = "https://aqora.example"\n[environments."https://aqora.example"]\n'
        'hosts = ["pypi.aqora.example"]\n',
    )
    for name in list(os.environ):
        if name not in user_env:
            monkeypatch.delenv(name)
    for name, value in user_env.items():
        monkeypatch.setenv(name, value)
    refresh_index()
    token = "aqat_hostThread_0123456789"
    write_token("https://aqora.example/", token, int(time.time()) + 3600)
    service = "https://pypi.aqora.example/simple/"
    answers: list[object] = []
    for name in ("aqora-worker", "aqora-bounded-call", "aqora-browser"):
        thread = threading.Thread(
            target=lambda: answers.append(AqoraKeyring().get_password(service, "u")), name=name
        )
        thread.start()
        thread.join()
    assert answers == [token] * 3
    # inside our own bounded call (whatever the thread's name) a lookup still answers None
    assert call_with_timeout(lambda: AqoraKeyring().get_password(service, "u"), 5) is None
