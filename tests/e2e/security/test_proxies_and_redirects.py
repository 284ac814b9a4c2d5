"""Red-team variants of issue #11's classes, played against the merged fixes.

Each test plays one attacker and is meant to FAIL until the hole it shows is closed
(none is marked xfail). Run through `bash tests/run tests/test_redteam.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from aqora_helper.engine import browser_login
from aqora_helper.engine.settings import Environment, Timeouts
from aqora_helper.fast.errors import AqoraHelperError
from servers.aqora import AqoraServer
from support import describe, make_cached_token_stale, run_cmd, stored_refresh_token, write_config


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


class Recorder:
    """A TCP listener that records every byte sent to it and answers nothing useful
    (stands for a host that must never be contacted)."""

    def __init__(self, host: str = "127.0.0.1", answer: bytes = b"") -> None:
        self.sock = socket.create_server((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.received = bytearray()
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    while chunk := conn.recv(65536):
                        self.received += chunk
                        if b"\r\n\r\n" in self.received and self.answer:
                            conn.sendall(self.answer)
                            break

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def recorder() -> Iterator[Callable[..., Recorder]]:
    made: list[Recorder] = []

    def make(host: str = "127.0.0.1", answer: bytes = b"") -> Recorder:
        made.append(Recorder(host, answer))
        return made[-1]

    yield make
    for r in made:
        r.close()


# --------------------------------------------------------------------------------------
# Class 7 variant: Ctrl-\ (SIGQUIT) is a terminal-generated signal too. Only SIGINT,
# SIGTERM and SIGHUP are deferred; SIGQUIT's default action kills the process between
# the server's rotation and the store, so the stored refresh token is the dead one.


@pytest.mark.serial  # timing-sensitive: runs alone
def test_sigquit_during_refresh_never_loses_the_session(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., Any]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    aqora.refresh_delay = 0.6  # the server has rotated; its answer is on the way
    make_cached_token_stale(user_env, aqora.url)
    before = aqora.refresh_calls
    victim = subprocess.Popen(
        ["aqora-helper", "token", "--url", aqora.url],
        env=user_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert wait_for(lambda: aqora.refresh_calls > before)
    time.sleep(0.1)
    victim.send_signal(signal.SIGQUIT)  # what Ctrl-\ sends to the foreground job
    _, err = victim.communicate(timeout=60)
    what = f"exit {victim.returncode}\n{err}"
    assert stored_refresh_token(user_env, aqora.url) in aqora.valid_refresh_tokens(), what
    after = run_cmd(["aqora-helper", "token", "--url", aqora.url], user_env)
    assert after.returncode == 0, what + describe(after)


# --------------------------------------------------------------------------------------
# Class 2 variant (plain http only to loopback): requests honours HTTP_PROXY/ALL_PROXY
# for a loopback environment URL too (no NO_PROXY bypass for 127.0.0.1 / localhost), so a
# dev environment `http://127.0.0.1:PORT` sends the refresh token in clear to whatever
# proxy host the environment names (a corporate proxy, or one set by a hostile .envrc).
# The recorder below stands for that non-loopback proxy.


def test_loopback_api_never_goes_through_an_http_proxy(
    aqora: AqoraServer,
    user_env: dict[str, str],
    login: Callable[..., Any],
    recorder: Callable[..., Recorder],
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    make_cached_token_stale(user_env, aqora.url)
    refresh_token = stored_refresh_token(user_env, aqora.url)
    assert refresh_token
    proxy = recorder()
    proxy_url = f"http://127.0.0.1:{proxy.port}"
    env = {**user_env, "HTTP_PROXY": proxy_url, "http_proxy": proxy_url, "ALL_PROXY": proxy_url}
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    proc = run_cmd(["aqora-helper", "token", "--url", aqora.url], env, timeout=60)
    assert refresh_token.encode() not in proxy.received, "refresh token sent to the proxy"
    assert proxy.connections == 0, f"the loopback API call went to the proxy\n{describe(proc)}"


# --------------------------------------------------------------------------------------
# Malicious server / open redirect during browser login: the API calls refuse redirects
# (allow_redirects=False), but the login websocket (websockets' sync client) follows a
# 30x to ANY other host, also from ws:// to another plain ws:// host. The subscription it
# then sends carries the signed authorize URL and its signature: whoever holds them can
# subscribe and receive the authorization code (the login). 127.0.0.2 stands for the
# other host.

REDIRECT = (
    "HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.2:{port}/graphql\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n"
)


def test_login_websocket_never_follows_a_redirect_to_another_host(
    recorder: Callable[..., Recorder],
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    other = recorder("127.0.0.2")
    api = recorder(answer=REDIRECT.format(port=other.port).encode())
    env_url = f"http://127.0.0.1:{api.port}/"
    env = Environment(env_url, (f"127.0.0.1:{api.port}",), "aqora", "auto")
    timeouts = Timeouts(connect=2, read=2, login=4)
    settings: Any = SimpleNamespace(timeouts=timeouts)
    authorization = browser_login.new_authorization(env_url, "localhost-test")
    announcer = browser_login.Announcer(env_url, authorization.url, open_browser=False)
    with contextlib.suppress(AqoraHelperError):
        browser_login.wait_for_code(settings, env, authorization, announcer)
    assert api.connections == 1
    assert other.connections == 0, f"followed the redirect: {bytes(other.received)[:300]!r}"


# --------------------------------------------------------------------------------------
# Class 3 variant: the strict token check covers tokens from the server and the official
# CLI, but not AQORA_TOKEN (nor a cached token file): `token --format header` prints a
# CR/LF-bearing value as is, so a script doing `curl -H "$(aqora-helper token --format
# header)"` (or writing it into a raw request) gets an injected header. The token is
# bound for the network: it must pass the same RFC 6750 check before it is printed.


def test_aqora_token_with_crlf_is_never_printed_as_a_header(
    aqora: AqoraServer, user_env: dict[str, str]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    env = {**user_env, "AQORA_TOKEN": "aqat_0123456789abcdef\r\nX-Injected: yes"}
    proc = run_cmd(["aqora-helper", "token", "--format", "header"], env)
    assert "X-Injected" not in proc.stdout, describe(proc)
    assert proc.stdout.count("\n") <= 1 and "\r" not in proc.stdout, describe(proc)


# --------------------------------------------------------------------------------------
# Class 9 variants through the official CLI's `aqora auth token`: on failure its stderr
# is relayed (an excerpt) into our error message. The excerpt is redacted of registered
# secrets but (a) never stripped of control characters, and docker's error line on stdout
# only collapses whitespace, so terminal escapes reach the docker client's output; and
# (b) in program mode credentials.json is never read, so the official session's refresh
# token is not registered: when the official CLI prints a server error that echoes it
# ("Variable ... got invalid value ..."), it reaches our stderr / docker's stdout.

FAKE_AQORA = """#!{python}
import sys
args = sys.argv[1:]
if "--help" in args:
    print("Usage: aqora auth token [OPTIONS]")
    sys.exit(0)
sys.stderr.write({stderr!r})
sys.exit(3)
"""
OFFICIAL_REFRESH = "aqrt_officialSecretRefreshToken0123456789"


def fake_official(user_env: dict[str, str], tmp_path: Path, stderr: str) -> dict[str, str]:
    bin_dir = tmp_path / "aqora-bin"
    bin_dir.mkdir()
    program = bin_dir / "aqora"
    program.write_text(FAKE_AQORA.format(python=sys.executable, stderr=stderr))
    program.chmod(0o755)
    home = tmp_path / "aqora-home"
    home.mkdir()
    return {
        **user_env,
        "PATH": f"{bin_dir}{os.pathsep}{user_env['PATH']}",
        "AQORA_CONFIG_HOME": str(home),
    }


def write_official_credentials(env: dict[str, str], url: str) -> None:
    entry = {
        "client_id": "localhost-test",
        "client_secret": None,
        "access_token": "aqat_officialAccessToken0123456789",
        "refresh_token": OFFICIAL_REFRESH,
        "expires_at": "2000-01-01T00:00:00Z",
    }
    path = Path(env["AQORA_CONFIG_HOME"]) / "credentials.json"
    path.write_text(json.dumps({"credentials": {url.rstrip("/") + "/": entry}}, indent=2))
    path.chmod(0o600)


def test_official_cli_stderr_escapes_never_reach_docker_stdout(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    env = fake_official(user_env, tmp_path, "\x1b]0;pwned\x07\x1b[2J\x1b[31mError: boom\n")
    host = aqora.url.split("://", 1)[1]
    proc = run_cmd(["docker-credential-aqora", "get"], env, input=host)
    assert proc.returncode == 1, describe(proc)
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout, repr(proc.stdout)


def test_official_cli_echo_of_its_refresh_token_is_redacted(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    echo = f'Error: Variable "$refresh_token" got invalid value "{OFFICIAL_REFRESH}"\n'
    env = fake_official(user_env, tmp_path, echo)
    write_official_credentials(env, aqora.url)
    host = aqora.url.split("://", 1)[1]
    docker = run_cmd(["docker-credential-aqora", "get"], env, input=host)
    cli = run_cmd(["aqora-helper", "status", "--json", "--offline"], env)
    for proc in (docker, cli):
        assert OFFICIAL_REFRESH not in proc.stdout + proc.stderr, describe(proc)
        assert OFFICIAL_REFRESH[:16] not in proc.stdout + proc.stderr, describe(proc)


# --------------------------------------------------------------------------------------
# Class 8 variant: the total deadline only watches sockets once they are connected
# (`_watched` runs after `_new_conn` returns), so the connect phase is bounded per
# address, not in total. Whoever answers DNS for the API host (a spoofer, a hostile
# resolver) returns many black-holed addresses: each costs a full connect timeout while
# the helper holds the refresh lock (defaults: 5 s each, against a 20 s total). Here a
# loopback listener with a full backlog black-holes SYNs; getaddrinfo returns it 5 times.


@pytest.fixture
def black_hole() -> Iterator[int]:
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    port = hole.getsockname()[1]
    fillers = []
    for _ in range(3):  # fill the accept queue: later SYNs are dropped, connect() hangs
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.2)
    yield port
    for filler in fillers:
        filler.close()
    hole.close()


@pytest.mark.serial  # timing-sensitive: runs alone
def test_api_call_total_deadline_covers_connecting_to_many_addresses(
    black_hole: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.engine.api import Api

    real = socket.getaddrinfo

    def many(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "api.black-hole.test":
            return real("127.0.0.1", black_hole, socket.AF_INET, socket.SOCK_STREAM) * 5
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", many)
    api = Api(f"https://api.black-hole.test:{black_hole}/", Timeouts(connect=1, read=1))
    started = time.monotonic()
    with pytest.raises(AqoraHelperError):
        api.refresh("localhost-test", None, "aqrt_probe_0123456789abcdef")
    elapsed = time.monotonic() - started
    assert elapsed < api.total + 1.5, f"took {elapsed:.1f} s against a {api.total:g} s bound"


# ======================================================================================
# Fix-side tests (redfix): variants of the findings above, and the two notes.


def test_a_bad_aqora_token_is_refused_with_two_lines_in_every_format(
    aqora: AqoraServer, user_env: dict[str, str]
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from support import assert_clean_failure

    write_config(user_env, f'url = "{aqora.url}"\n')
    for bad in ("aqat_0123456789abcdef\r\nX-Injected: yes", "$(touch pwned)0123456789", "tok en"):
        for fmt in ("plain", "header", "env", "json"):
            proc = run_cmd(
                ["aqora-helper", "token", "--format", fmt], {**user_env, "AQORA_TOKEN": bad}
            )
            assert_clean_failure(proc, "AQORA_TOKEN")


def test_a_cached_token_outside_the_token_syntax_is_a_miss(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., Any]
) -> None:
    """A planted (or corrupted) cache file is never printed: the engine refreshes.

    Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py).
    """
    from support import token_cache_file

    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    path = token_cache_file(user_env, aqora.url)
    data = json.loads(path.read_text())
    data["access_token"] = "aqat_0123456789abcdef\r\nX-Injected: yes"
    path.write_text(json.dumps(data))
    for fmt in ("header", "plain"):
        proc = run_cmd(["aqora-helper", "token", "--format", fmt, "--url", aqora.url], user_env)
        assert proc.returncode == 0, describe(proc)
        assert "X-Injected" not in proc.stdout and "\r" not in proc.stdout, describe(proc)
        token = proc.stdout.strip().removeprefix("Authorization: Bearer ")
        assert aqora.is_valid_access_token(token), describe(proc)


def test_a_proxy_still_carries_https_calls_to_a_real_host(
    recorder: Callable[..., Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback bypass is only for loopback: a real https host goes through the
    configured proxy (which sees a CONNECT, never the request).

    Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py).
    """
    from aqora_helper.engine.api import Api

    proxy = recorder()
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    api = Api("https://api.aqora.example/", Timeouts(connect=1, read=1))
    with pytest.raises(AqoraHelperError):
        api.refresh("localhost-test", None, "aqrt_probe_0123456789abcdef")
    assert wait_for(lambda: proxy.received.startswith(b"CONNECT api.aqora.example:443 "))
    assert b"aqrt_probe" not in proxy.received


def test_login_websocket_to_loopback_never_goes_through_a_proxy(
    recorder: Callable[..., Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    proxy = recorder()
    api = recorder(answer=b"HTTP/1.1 500 No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    env_url = f"http://127.0.0.1:{api.port}/"
    env = Environment(env_url, (f"127.0.0.1:{api.port}",), "aqora", "auto")
    settings: Any = SimpleNamespace(timeouts=Timeouts(connect=2, read=2, login=4))
    authorization = browser_login.new_authorization(env_url, "localhost-test")
    announcer = browser_login.Announcer(env_url, authorization.url, open_browser=False)
    with pytest.raises(AqoraHelperError):
        browser_login.wait_for_code(settings, env, authorization, announcer)
    assert api.connections == 1 and proxy.connections == 0


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_login_websocket_refuses_even_a_same_host_redirect(
    recorder: Callable[..., Recorder], status: int
) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    api = recorder()
    api.answer = (
        f"HTTP/1.1 {status} Moved\r\nLocation: ws://127.0.0.1:{api.port}/elsewhere\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    env_url = f"http://127.0.0.1:{api.port}/"
    env = Environment(env_url, (f"127.0.0.1:{api.port}",), "aqora", "auto")
    settings: Any = SimpleNamespace(timeouts=Timeouts(connect=2, read=2, login=4))
    authorization = browser_login.new_authorization(env_url, "localhost-test")
    announcer = browser_login.Announcer(env_url, authorization.url, open_browser=False)
    with pytest.raises(AqoraHelperError) as failed:
        browser_login.wait_for_code(settings, env, authorization, announcer)
    assert f"redirect (HTTP {status})" in failed.value.message
    assert api.connections == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1, signal.SIGALRM])
@pytest.mark.serial  # timing-sensitive: runs alone
def test_other_terminating_signals_are_deferred_too(signum: int) -> None:
    """Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py)."""
    from aqora_helper.fast.signals import deferred_signals

    received: list[int] = []
    previous = signal.signal(signum, lambda s, _f: received.append(s))
    try:
        with deferred_signals():
            signal.raise_signal(signum)
            assert received == []
        assert received == [signum]
    finally:
        signal.signal(signum, previous)


def test_official_cli_echo_of_a_token_it_never_wrote_is_redacted(
    aqora: AqoraServer, user_env: dict[str, str], tmp_path: Path
) -> None:
    """No credentials.json to read (the program may keep its session elsewhere, or have
    just rotated it): every token-shaped run of its stderr is treated as a secret.

    Origin: red team of the issue #11 fixes (was tests/e2e/test_redteam.py).
    """
    write_config(user_env, f'url = "{aqora.url}"\n')
    unseen = "aqrt_" + "9f8e7d6c5b4a" * 3
    env = fake_official(user_env, tmp_path, f"Error: refresh failed for {unseen}\x1b[0m\n")
    host = aqora.url.split("://", 1)[1]
    for proc in (
        run_cmd(["docker-credential-aqora", "get"], env, input=host),
        run_cmd(["aqora-helper", "token"], env),
    ):
        assert proc.returncode == 1, describe(proc)
        assert unseen[:16] not in proc.stdout + proc.stderr, describe(proc)
        assert unseen[-16:] not in proc.stdout + proc.stderr, describe(proc)
        assert "refresh failed for" in proc.stdout + proc.stderr, describe(proc)


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
