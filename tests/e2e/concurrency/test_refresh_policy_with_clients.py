"""The refresh policy with real clients (the unit rules: tests/unit/test_refresh_policy.py).

- Tokens issued for 30 s with the default 60 s skew: one refresh serves 8 threads and 50
  processes (each would refresh otherwise: the token is "stale" the moment it arrives).
  A token is used until half its lifetime has passed, so a second refresh is legitimate
  only once 15 s have gone by: the bound allows one more per 15 s the run took.
- A host that answers 401 to every token (git against the test git server, and the
  Python API against a resource server) causes at most one refresh per minute, and one
  warning on stderr.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

import aqora_helper
from servers.aqora import AqoraServer
from servers.git_server import GitServer
from support import describe, make_cached_token_stale, run_cmd, use_env, write_config

pytestmark = pytest.mark.serial  # bursts of threads and processes: runs alone

SHORT = 30  # seconds an access token lives at the stand-in
HALF = SHORT // 2
MINUTE = 60
WARNING = "refused a fresh aqora token again"
THREADS, PROCESSES = 8, 50
KEYRING_GET = "import keyring, sys; print(keyring.get_credential(sys.argv[1], None).password)"


def allowed_refreshes(started: float, every: int) -> int:
    """One refresh, and one more for each `every` seconds since `started`."""
    return 1 + int((time.monotonic() - started) // every)


@pytest.fixture
def short_lived(aqora: AqoraServer, user_env, login) -> str:
    """Logged in; the stand-in issues 30 s tokens; the cached one is stale. Returns the
    served host[:port] (the API's own)."""
    host = aqora.url.split("://")[1]
    write_config(user_env, f'url = "{aqora.url}"\n')
    aqora.access_lifetime = SHORT
    login()
    make_cached_token_stale(user_env, aqora.url)
    return host


def test_thirty_second_tokens_are_not_refreshed_on_every_get(aqora, user_env, short_lived):
    before = aqora.refresh_calls
    started = time.monotonic()
    tokens = set()
    for _ in range(5):
        proc = run_cmd(["aqora-helper", "token"], user_env)
        assert proc.returncode == 0, describe(proc)
        tokens.add(proc.stdout.strip())
    assert aqora.refresh_calls - before <= allowed_refreshes(started, HALF)
    assert len(tokens) == aqora.refresh_calls - before


def test_eight_threads_and_fifty_processes_make_one_refresh(
    aqora, user_env, short_lived, monkeypatch
):
    host = short_lived
    use_env(monkeypatch, user_env)
    kinds = [
        (["git-credential-aqora", "get"], f"protocol=http\nhost={host}\n"),
        (["docker-credential-aqora", "get"], host),
        ([sys.executable, "-c", KEYRING_GET, f"http://{host}/simple/"], None),
        (["aqora-helper", "token"], None),
    ]
    before = aqora.refresh_calls
    barrier = threading.Barrier(THREADS + 1)
    got: list[str | BaseException] = []

    def one_thread() -> None:
        barrier.wait()
        try:
            got.append(aqora_helper.get_token())
        except BaseException as exc:  # reported below
            got.append(exc)

    threads = [threading.Thread(target=one_thread) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    procs = []
    for i in range(PROCESSES):
        argv, stdin = kinds[i % len(kinds)]
        proc = subprocess.Popen(
            argv,
            env=user_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append((proc, stdin))
    barrier.wait()
    for proc, stdin in procs:
        _, err = proc.communicate(stdin or "", timeout=120)
        assert proc.returncode == 0, err
        assert err == "", err
    for thread in threads:
        thread.join(timeout=120)
    assert [g for g in got if not isinstance(g, str)] == []
    refreshes = aqora.refresh_calls - before
    assert 1 <= refreshes <= allowed_refreshes(started, HALF), refreshes
    assert aqora.reuse_detected == 0


# ------------------------------------------------------- a host that refuses every token


@pytest.fixture
def refusing_git(aqora: AqoraServer, user_env, login) -> Iterator[GitServer]:
    with GitServer(lambda token: False) as srv:
        srv.create_repo("demo.git")
        write_config(
            user_env,
            f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
            f'hosts = ["{aqora.url.split("://")[1]}", "{srv.hostport}"]\n',
        )
        for value in ("", "aqora"):
            proc = run_cmd(
                ["git", "config", "--global", "--add", f"credential.{srv.url}.helper", value],
                user_env,
            )
            assert proc.returncode == 0, describe(proc)
        login()
        yield srv


def test_git_against_a_host_refusing_every_token_refreshes_once_a_minute(
    aqora, user_env, refusing_git
):
    before = aqora.refresh_calls
    started = time.monotonic()
    stderr = ""
    for _ in range(6):
        proc = run_cmd(["git", "ls-remote", f"{refusing_git.url}/demo.git"], user_env)
        assert proc.returncode != 0, describe(proc)
        stderr += proc.stderr
    assert len(refusing_git.seen) >= 6  # git did send our tokens
    assert aqora.refresh_calls - before <= allowed_refreshes(started, MINUTE)
    assert 1 <= stderr.count(WARNING) <= allowed_refreshes(started, MINUTE), stderr


class Refusing:
    """A resource server on a served host that answers 401 to every request."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.seen.append(self.headers.get("Authorization"))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Bearer realm="resource"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_the_python_api_against_a_host_refusing_every_token_refreshes_once_a_minute(
    aqora, user_env, login, monkeypatch, capfd
):
    server = Refusing()
    try:
        write_config(
            user_env,
            f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
            f'hosts = ["127.0.0.1:{server.port}"]\n',
        )
        login()
        use_env(monkeypatch, user_env)
        before = aqora.refresh_calls
        started = time.monotonic()
        session = requests.Session()
        session.auth = aqora_helper.AqoraAuth()
        for _ in range(10):
            assert session.get(f"http://127.0.0.1:{server.port}/x").status_code == 401
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    assert all(header and header.startswith("Bearer ") for header in server.seen)
    assert aqora.refresh_calls - before <= allowed_refreshes(started, MINUTE)
    assert 1 <= capfd.readouterr().err.count(WARNING) <= allowed_refreshes(started, MINUTE)
