"""The lean miss path (issue 13): a stale get of each front door refreshes without the
CLI framework or the config parser; a waiter answers from the cache without the engine;
`token --url` for an environment nobody serves creates no file (issue 15). The paths
users take without a cached token of ours (issue 24): a hit of the official CLI's
session and Docker's credsStore delegation import nothing heavy."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.official_session import credentials_path, official_login, write_credentials
from support import (
    LAUNCHER_HEAVY,
    TESTS,
    clear_keyring_session,
    describe,
    heavy_modules_loaded,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    token_cache_file,
    write_config,
)

# The CLI framework and the config parser; platformdirs and dataclasses (which imports
# inspect) cost a few ms each that a refresh does without.
NOT_ON_A_MISS = ("typer", "click", "rich", "pydantic", "platformdirs", "dataclasses", "inspect")


def doors(host: str) -> list[tuple[str, list[str], str]]:
    """(entry module, argv, stdin) of a get through each of the four front doors."""
    return [
        (
            "aqora_helper.doors.git",
            ["git-credential-aqora", "get"],
            f"protocol=http\nhost={host}\n",
        ),
        ("aqora_helper.doors.docker", ["docker-credential-aqora", "get"], host),
        ("aqora_helper.__main__", ["aqora-helper", "token"], ""),
        (
            "aqora_helper.doors.keyring_program",
            ["keyring", "--mode=creds", "--output=json", "get", f"http://{host}/simple/"],
            "",
        ),
    ]


def test_a_miss_of_each_door_refreshes_without_the_cli_or_config_modules(aqora, user_env, warm):
    for number, (module, argv, stdin) in enumerate(doors(warm), start=1):
        stale = make_cached_token_stale(user_env, aqora.url)
        proc = run_entry_point(module, argv, user_env, stdin)
        assert proc.returncode == 0, describe(proc)
        assert stale not in proc.stdout, module
        loaded = heavy_modules_loaded(proc)
        assert "aqora_helper.engine.session" in loaded, module  # it did take the miss path
        assert [m for m in loaded if m.split(".")[0] in NOT_ON_A_MISS] == [], module
        assert aqora.refresh_calls == number, module


def test_a_refresh_from_the_index_keeps_the_session_rotating(aqora, user_env, warm):
    """Three refreshes in a row from the index: each rotated refresh token was stored
    (the next refresh uses it; a lost one would be refused by the stand-in)."""
    git = ["git-credential-aqora", "get"]
    for _ in range(3):
        make_cached_token_stale(user_env, aqora.url)
        proc = run_cmd(git, user_env, f"protocol=http\nhost={warm}\n\n")
        assert proc.returncode == 0, describe(proc)
        password = dict(ln.split("=", 1) for ln in proc.stdout.splitlines())["password"]
        assert aqora.is_valid_access_token(password)
    assert aqora.refresh_calls == 3


HOLD_LOCK = """
import sys, time
from aqora_helper.fast.refreshlock import RefreshLock
with RefreshLock(sys.argv[1], 30):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.mark.serial  # timing-sensitive: runs alone
@pytest.mark.parametrize("launcher", [False, True], ids=["site", "launcher"])
def test_a_waiter_answers_from_the_cache_without_the_engine(aqora, user_env, warm, launcher):
    """While another process holds the refresh lock, a stale get waits; once the cache
    is fresh again it answers from it, without loading the engine. Started as a
    launcher starts it, it loads no more than a hit does there besides the lock's own
    modules (no `os`, no `contextlib`: a burst starts fifty waiters at once)."""
    cache = token_cache_file(user_env, aqora.url)
    fresh = json.loads(cache.read_text())
    make_cached_token_stale(user_env, aqora.url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, aqora.url.rstrip("/") + "/"],
        env=user_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        module, argv, stdin = doors(warm)[1]  # docker
        code = _probe(module, argv)
        if launcher:
            code = f"import sys\nsys.path += {[p for p in sys.path if p]!r}\n{code}"
        waiter = subprocess.Popen(
            [sys.executable, *(["-I", "-S"] if launcher else []), "-c", code],
            env=user_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiter.stdin is not None
        waiter.stdin.write(stdin)
        waiter.stdin.close()
        waiter.stdin = None  # communicate() must not flush it again
        time.sleep(0.3)
        assert waiter.poll() is None, "the waiter did not wait for the lock"
        fresh["expires_at"] = int(time.time()) + 3600  # as the refreshing process would
        tmp = cache.with_suffix(".edit")
        tmp.write_text(json.dumps(fresh))
        os.chmod(tmp, 0o600)
        os.replace(tmp, cache)
        out, err = waiter.communicate(timeout=20)
        assert waiter.returncode == 0, err
        assert json.loads(out)["Secret"] == fresh["access_token"]
        loaded = _loaded(err)
        assert [m for m in loaded if m.startswith("aqora_helper.engine")] == []
        assert "aqora_helper.fast.refreshlock" in loaded  # it did wait for the lock
        if launcher:
            assert [m for m in LAUNCHER_HEAVY if m in loaded] == []
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=20)
    assert aqora.refresh_calls == 0


def _probe(module: str, argv: list[str]) -> str:
    return (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('LOADED=' + ','.join(sorted(sys.modules)) + '\\n'))\n"
        f"sys.argv = {argv!r}\nfrom {module} import main\nsys.exit(main())\n"
    )


def _loaded(stderr: str) -> list[str]:
    line = [ln for ln in stderr.splitlines() if ln.startswith("LOADED=")][-1]
    return line[len("LOADED=") :].split(",")


def _files(user_env: dict[str, str]) -> set[Path]:
    roots = [Path(user_env[k]) for k in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")]
    return {p for root in roots if root.exists() for p in root.rglob("*")}


@pytest.mark.parametrize(
    "url",
    [
        "https://not-served.example",  # not configured, never logged in to
        "http://not-loopback.example",  # rejected: plain http to a remote host
        "ftp://127.0.0.1",  # rejected: not http(s)
    ],
)
def test_token_for_an_unknown_environment_creates_no_file(aqora, user_env, url):
    before = _files(user_env)
    proc = run_cmd(["aqora-helper", "token", "--url", url], user_env)
    assert proc.returncode != 0, describe(proc)
    assert proc.stderr.startswith("error: "), describe(proc)
    assert _files(user_env) == before


def test_token_for_an_unknown_environment_beside_a_login_creates_no_file(aqora, user_env, warm):
    """Logged in elsewhere, index current: still no lock file for the unknown one, and
    the error names the environment one is logged in to."""
    before = _files(user_env)
    proc = run_cmd(["aqora-helper", "token", "--url", "https://not-served.example"], user_env)
    assert proc.returncode != 0, describe(proc)
    assert "Not logged in to https://not-served.example/" in proc.stderr
    assert aqora.url.rstrip("/") in proc.stderr
    assert _files(user_env) == before


COUNT_CONNECTIONS = """
import atexit, sys
import secretstorage
opened = []
real = secretstorage.dbus_init
def counting():
    opened.append(1)
    return real()
secretstorage.dbus_init = counting
atexit.register(lambda: sys.stderr.write(f"CONNECTIONS={len(opened)}\\n"))
sys.argv = ["git-credential-aqora", "get"]
from aqora_helper.doors.git import main
sys.exit(main())
"""


def test_a_refresh_uses_one_dbus_connection(aqora, user_env, warm):
    """Read and write of the rotated session share one Secret Service connection
    (keyring's backend opens one per call, plus one for its availability check)."""
    make_cached_token_stale(user_env, aqora.url)
    proc = subprocess.run(
        [sys.executable, "-c", COUNT_CONNECTIONS],
        env=user_env,
        input=f"protocol=http\nhost={warm}\n\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, describe(proc)
    assert aqora.refresh_calls == 1
    assert "CONNECTIONS=1" in proc.stderr, proc.stderr


def test_the_backend_chosen_in_keyringrc_is_used(aqora, user_env, warm, tmp_path):
    """keyring's config file selects the backend (as PYTHON_KEYRING_BACKEND does): a
    backend whose writes fail there sends the rotated session to the recovery file."""
    rc = Path(user_env["XDG_CONFIG_HOME"]) / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text("[backend]\ndefault-keyring = fake_backends.misbehaving.FlakyWrites\n")
    marker = tmp_path / "fail-writes"
    marker.touch()
    env = dict(
        user_env, PYTHONPATH=str(TESTS), AQORA_TEST_FAIL_WRITES=str(marker)
    )
    make_cached_token_stale(user_env, aqora.url)
    proc = run_cmd(["git-credential-aqora", "get"], env, f"protocol=http\nhost={warm}\n\n")
    assert proc.returncode == 0, describe(proc)
    assert "could not store the rotated session" in proc.stderr, describe(proc)
    assert aqora.refresh_calls == 1


# --- issue 24: the official CLI's session, credsStore delegation -----------------------


def test_an_official_cli_hit_of_each_door_imports_nothing_heavy(aqora, user_env):
    """Logged in with the official CLI only: once the engine has served it, each door
    answers from its credentials.json with the standard library (and fast/) alone."""
    clear_keyring_session(user_env, aqora.url)
    host = aqora.url.split("://", 1)[1]
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{host}"]\n')
    issued = official_login(aqora.url)
    write_credentials(credentials_path(user_env), aqora.url, issued, int(time.time()) + 3600)
    first = run_cmd(["aqora-helper", "token"], user_env)
    assert first.stdout.strip() == issued.access_token, describe(first)
    for (module, argv, stdin), launcher in itertools.product(doors(host), (False, True)):
        proc = run_entry_point(module, argv, user_env, stdin, launcher)
        assert proc.returncode == 0, describe(proc)
        assert issued.access_token in proc.stdout, module
        assert heavy_modules_loaded(proc) == [], (module, launcher)
    assert aqora.refresh_calls == 0


FAKE_STORE = """#!/bin/sh
case "$1" in
    get) read -r server; printf '{"ServerURL":"%s","Username":"bob","Secret":"s3cret-4711"}\\n' "$server" ;;
    list) printf '{"other-registry.example":"bob"}\\n' ;;
    *) cat >/dev/null ;;
esac
"""


def test_creds_store_delegation_imports_nothing_heavy(aqora, user_env, warm, tmp_path):
    """credsStore mode, a registry aqora does not serve, a previous store delegated to:
    get and list are decided from the host index and the Docker config alone."""
    bin_dir = tmp_path / "store-bin"
    bin_dir.mkdir()
    store = bin_dir / "docker-credential-fakestore"
    store.write_text(FAKE_STORE)
    store.chmod(0o755)
    env = dict(user_env, PATH=f"{bin_dir}{os.pathsep}{user_env['PATH']}")
    config = Path(env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('{"credsStore": "fakestore"}\n')
    proc = run_cmd(["aqora-helper", "setup", "docker", "--creds-store", warm], env)
    assert proc.returncode == 0, describe(proc)
    assert run_cmd(["aqora-helper", "token"], env).returncode == 0  # the index is current
    door = ("aqora_helper.doors.docker", ["docker-credential-aqora"])
    for launcher in (False, True):  # as a console script, and as install.sh's launcher
        got = run_entry_point(door[0], [*door[1], "get"], env, "other-registry.example", launcher)
        assert got.returncode == 0, describe(got)
        assert json.loads(got.stdout) == {
            "ServerURL": "other-registry.example", "Username": "bob", "Secret": "s3cret-4711"
        }
        assert heavy_modules_loaded(got) == [], launcher
        listed = run_entry_point(door[0], [*door[1], "list"], env, launcher=launcher)
        assert listed.returncode == 0, describe(listed)
        assert json.loads(listed.stdout) == {"other-registry.example": "bob", warm: "aqora"}
        assert heavy_modules_loaded(listed) == [], launcher
