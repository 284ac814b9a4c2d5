"""Our stored session is never a keyring answer, and keyring can never write or delete it
(issue #11, classes 1 and 2), through the real `keyring` program, the keyring library
(the chainer pip's import mode uses, and the OS backend alone) and a real Secret Service.

1. Our stored session is never an answer to any keyring lookup. It lives under a service
   name with a tab (no URL parser keeps one); a session stored by an earlier version
   under `aqora-helper` (a valid host name) is moved on first use, under the refresh
   lock, without ever being lost; until then our backend answers every spelling of our
   store's names with an empty secret, so the chainer never reaches the OS keyring.
   `keyring set` and `keyring del` under our names are refused; other services still
   reach the OS keyring.
2. A bare `host[:port]` lookup (scheme unknown: pip and uv ask it after the refused
   plain-http URL, each in a new `keyring` process) is answered only for loopback hosts.

The pip and uv runs against an attacker's index are in test_hostile_index.py.
Origins: tests/e2e/test_sec_keyring.py; red team of the fixes (tests/e2e/test_redteam.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from aqora_helper.fast.keyring_names import LEGACY_SERVICE, SESSION_SERVICE
from servers.aqora import AqoraServer
from shared.keyring_names import OWN_STORE_SERVICES
from shared.remote_host import REMOTE, plant_legacy, serve_remote
from support import (
    base_url,
    describe,
    keyring_secret,
    make_cached_token_stale,
    misbehaving_keyring_env,
    run_cmd,
    stored_refresh_token,
    write_config,
)

OS_BACKEND = "keyring.backends.SecretService.Keyring"


LOOKUPS = """
import json, sys, keyring
services, usernames = json.loads(sys.argv[1]), json.loads(sys.argv[2])
answers = []
for service in services:
    for username in usernames:
        cred = keyring.get_credential(service, username)
        answers.append(None if cred is None else cred.password)
        if username is not None:
            answers.append(keyring.get_password(service, username))
print(type(keyring.get_keyring()).__name__)
print(json.dumps(answers))
"""


# --- helpers --------------------------------------------------------------------------
def keyring_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real `keyring` program, stdin closed (as pip and uv run it)."""
    return run_cmd(["keyring", *args], env)


def lookups(env: dict[str, str], services: list[str], usernames: list[str | None]) -> Any:
    """(backend name, every answer) of get_credential/get_password through the library."""
    proc = run_cmd(
        [sys.executable, "-c", LOOKUPS, json.dumps(services), json.dumps(usernames)], env
    )
    assert proc.returncode == 0, describe(proc)
    kind, answers = proc.stdout.splitlines()
    return kind, json.loads(answers)


def leaked(secret: str, texts: list[Any]) -> list[Any]:
    return [t for t in texts if isinstance(t, str) and secret in t]


@pytest.fixture
def remote(aqora: AqoraServer, user_env: dict[str, str], login: Any) -> dict[str, str]:
    return serve_remote(aqora, user_env, login)


# --- class 1: our session is no keyring answer ----------------------------------------
@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_no_library_lookup_returns_our_session(aqora, remote, layout):
    """Through the chainer (pip's import mode, twine, poetry): every spelling of our
    store's names, with no username, the environment URL or another one.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    if layout == "legacy":
        raw = plant_legacy(remote, aqora.url)
    else:
        raw = keyring_secret(remote, aqora.url) or ""
    refresh = json.loads(raw)["refresh_token"]
    usernames = [None, base_url(aqora.url), "x", ""]
    kind, answers = lookups(remote, OWN_STORE_SERVICES, usernames)
    assert kind == "ChainerBackend"
    assert answers and set(answers) == {""}  # answered empty by us: the chain ends there
    _, env_answers = lookups(remote, [aqora.url, base_url(aqora.url)], usernames)
    assert leaked(refresh, env_answers) == []


def test_os_backend_alone_cannot_reach_the_session_by_any_url_form(aqora, remote):
    """Unreachable by construction: with our backend out of the way (the OS keyring
    selected directly), no URL-derived service string finds the stored session; only its
    exact tab-holding name does, which no URL parser produces.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    refresh = stored_refresh_token(remote, aqora.url)
    assert refresh
    env = dict(remote, PYTHON_KEYRING_BACKEND=OS_BACKEND)
    services = [s for s in OWN_STORE_SERVICES if s != SESSION_SERVICE]
    kind, answers = lookups(env, services, [None, base_url(aqora.url), "x"])
    assert kind == "Keyring"
    assert leaked(refresh, answers) == []
    _, exact = lookups(env, [SESSION_SERVICE], [None])
    assert leaked(refresh, exact) != []  # the control: the session is there


@pytest.mark.parametrize("layout", ["legacy", "current"])
@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "creds", "get", "aqora-helper"],
        ["--mode", "creds", "--output", "json", "get", "aqora-helper"],
        ["--mode=creds", "--output=json", "get", "http://aqora-helper/simple/", "x"],
        ["get", "aqora-helper", "ENV"],
        ["--mode", "creds", "get", SESSION_SERVICE],
        ["get", SESSION_SERVICE, "ENV"],
    ],
    ids=["creds", "creds-json", "pip-new-form", "password-env", "new-creds", "new-password"],
)
def test_keyring_program_never_prints_our_session(aqora, remote, layout, args):
    """Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py)."""
    if layout == "legacy":
        plant_legacy(remote, aqora.url)
    raw = keyring_secret(
        remote, aqora.url, LEGACY_SERVICE if layout == "legacy" else SESSION_SERVICE
    )
    assert raw
    refresh = json.loads(raw)["refresh_token"]
    proc = keyring_cli([base_url(aqora.url) if a == "ENV" else a for a in args], remote)
    assert refresh not in proc.stdout + proc.stderr, describe(proc)
    assert "client_id" not in proc.stdout, describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)


# --- class 1: moving a session stored by an earlier version ------------------------------
def test_legacy_session_is_moved_on_refresh_and_keeps_working(aqora, remote):
    """Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py)."""
    raw = plant_legacy(remote, aqora.url)
    make_cached_token_stale(remote, aqora.url)
    before = aqora.refresh_calls
    proc = run_cmd(["aqora-helper", "token"], remote)
    assert proc.returncode == 0, describe(proc)
    assert aqora.is_valid_access_token(proc.stdout.strip())
    assert aqora.refresh_calls == before + 1
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) is None
    rotated = stored_refresh_token(remote, aqora.url)
    assert rotated in aqora.valid_refresh_tokens()
    assert rotated != json.loads(raw)["refresh_token"]
    assert aqora.reuse_detected == 0


def test_legacy_session_is_moved_without_a_refresh(aqora, remote):
    """`doctor` reads the session outside any refresh: the move takes the lock itself
    and copies the secret unchanged.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    raw = plant_legacy(remote, aqora.url)
    before = aqora.refresh_calls
    run_cmd(["aqora-helper", "doctor"], remote)
    assert keyring_secret(remote, aqora.url) == raw
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) is None
    assert aqora.refresh_calls == before


def test_a_failed_move_loses_nothing(aqora, remote, tmp_path):
    """The keyring refuses every write: the legacy session still serves, the rotated
    one waits in the recovery file, and the next run moves everything into place.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    plant_legacy(remote, aqora.url)
    marker = tmp_path / "fail-writes"
    marker.touch()
    env = misbehaving_keyring_env(remote, "FlakyWrites", AQORA_TEST_FAIL_WRITES=str(marker))
    make_cached_token_stale(remote, aqora.url)
    first = run_cmd(["aqora-helper", "token"], env)
    assert first.returncode == 0, describe(first)
    assert aqora.is_valid_access_token(first.stdout.strip())
    assert keyring_secret(remote, aqora.url) is None  # the write was refused
    marker.unlink()
    make_cached_token_stale(remote, aqora.url)
    second = run_cmd(["aqora-helper", "token"], env)
    assert second.returncode == 0, describe(second)
    assert stored_refresh_token(remote, aqora.url) in aqora.valid_refresh_tokens()
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) is None
    assert aqora.reuse_detected == 0


@pytest.mark.serial  # timing-sensitive: runs alone
def test_concurrent_first_use_moves_once_and_refreshes_once(aqora, remote):
    """Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py)."""
    plant_legacy(remote, aqora.url)
    make_cached_token_stale(remote, aqora.url)
    before = aqora.refresh_calls
    pipes: dict[str, Any] = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs = [
        subprocess.Popen(["aqora-helper", "token"], env=remote, stdin=subprocess.DEVNULL, **pipes)
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert {out.strip() for out, _ in outputs} == {outputs[0][0].strip()}
    assert aqora.refresh_calls == before + 1
    assert aqora.reuse_detected == 0
    assert stored_refresh_token(remote, aqora.url) in aqora.valid_refresh_tokens()
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) is None


def test_logout_removes_a_legacy_session(aqora, remote):
    """Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py)."""
    plant_legacy(remote, aqora.url)
    proc = run_cmd(["aqora-helper", "logout"], remote)
    assert proc.returncode == 0, describe(proc)
    assert "the session in the OS keyring" in proc.stdout + proc.stderr
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) is None
    assert keyring_secret(remote, aqora.url) is None


# --- class 2: a bare host is answered only for loopback ----------------------------------
BARE_REMOTE_LOOKUPS = [
    ["get", REMOTE, "aqora"],  # pip <= 26.1 and uv with a username
    ["get", f"{REMOTE}:443", "aqora"],
    ["get", REMOTE.upper(), "aqora"],
    ["--mode", "creds", "get", REMOTE],  # uv without a username
    ["--mode=creds", "--output=json", "get", REMOTE, "aqora"],  # pip >= 26.2
    ["--mode=creds", "--output=json", "get", f"{REMOTE}:8080"],
    ["--mode", "creds", "get", f"http://{REMOTE}/simple/"],
    ["--mode", "creds", "get", f"http://{REMOTE}"],  # uv's scheme+host form
    ["get", f"http://aqora@{REMOTE}:443/simple/", "aqora"],
]


@pytest.mark.parametrize("args", BARE_REMOTE_LOOKUPS, ids=lambda a: " ".join(a))
def test_keyring_program_never_answers_a_remote_host_without_https(aqora, remote, args):
    """Each lookup is a separate `keyring` process, as pip's and uv's are.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    proc = keyring_cli(args, remote)
    assert proc.returncode == 1 and proc.stdout == "", describe(proc)
    assert not any(t in proc.stderr for t in aqora.issued_tokens()), describe(proc)


def test_https_and_loopback_forms_are_still_answered(aqora, remote):
    """The control: the token is there for the https URL form of the same host (what
    every client asks first) and for the loopback API host in bare form.

    Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py).
    """
    for args in (
        ["--mode", "creds", "get", f"https://{REMOTE}/simple/"],
        ["get", f"https://aqora@{REMOTE}/simple/", "aqora"],
        ["--mode", "creds", "get", aqora.url.split("://", 1)[1]],
    ):
        proc = keyring_cli(args, remote)
        assert proc.returncode == 0, describe(proc)
        assert aqora.is_valid_access_token(proc.stdout.splitlines()[-1]), describe(proc)


def test_library_never_answers_a_remote_host_without_https(aqora, remote):
    """Origin: issue #11, classes 1 and 2 (was tests/e2e/test_sec_keyring.py)."""
    services = [
        REMOTE,
        f"{REMOTE}:443",
        f"{REMOTE}.",
        f"http://{REMOTE}/simple/",
        f"http://{REMOTE}",
    ]
    kind, answers = lookups(remote, services, [None, "aqora"])
    assert kind == "ChainerBackend"
    assert answers == [None] * len(answers)


# --- note 8: nothing can be written under our store's names through keyring -----------

OWN_NAMES = ["aqora-helper", "AQORA-HELPER", "https://aqora-helper/", "aqora-helper\tsession"]


@pytest.mark.parametrize("service", OWN_NAMES)
def test_keyring_program_cannot_plant_a_session_under_our_names(
    user_env: dict[str, str], service: str
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from support import keyring_secret

    url = "https://planted.example/"
    planted = json.dumps({"refresh_token": "aqrt_planted_0123456789", "client_id": "x"})
    proc = run_cmd(["keyring", "set", service, url], user_env, input=planted + "\n")
    assert proc.returncode != 0, describe(proc)
    assert "not written through keyring" in proc.stderr, describe(proc)
    for stored_as in {service, "aqora-helper", "aqora-helper\tsession"}:
        assert keyring_secret(user_env, url, stored_as) is None


def test_keyring_program_cannot_delete_a_session_under_our_names(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., Any]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.fast.keyring_names import SESSION_SERVICE
    from support import base_url, keyring_secret

    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    stored = keyring_secret(user_env, aqora.url)
    assert stored is not None
    for service in (SESSION_SERVICE, "aqora-helper"):
        proc = run_cmd(["keyring", "del", service, base_url(aqora.url)], user_env)
        assert proc.returncode != 0, describe(proc)
    assert keyring_secret(user_env, aqora.url) == stored


def test_keyring_set_for_other_services_still_reaches_the_os_keyring(
    user_env: dict[str, str],
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    service = "https://other.example/redfix/"
    proc = run_cmd(["keyring", "set", service, "someone"], user_env, input="pw-1\n")
    assert proc.returncode == 0, describe(proc)
    got = run_cmd(["keyring", "get", service, "someone"], user_env)
    run_cmd(["keyring", "del", service, "someone"], user_env)
    assert got.returncode == 0 and got.stdout.strip() == "pw-1", describe(got)
