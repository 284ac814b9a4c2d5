"""Proxies and redirects never carry a secret elsewhere: a loopback API is never reached
through an HTTP proxy (a proxy host would read the refresh token), a real https host is
(as a CONNECT), and the login websocket never follows a redirect, to another host or
its own, nor goes through a proxy to loopback.

Recorder stands for a host that must never be contacted. These tests come from the red
team of the issue #11 fixes (tests/e2e/test_redteam.py), which also found what
test_signals.py, test_token_syntax.py, test_token_leaks.py and test_keyring_lookups.py
now hold.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from aqora_helper.engine import browser_login
from aqora_helper.engine.settings import Environment, Timeouts
from aqora_helper.fast.errors import AqoraHelperError
from servers.aqora import AqoraServer
from support import (
    describe,
    make_cached_token_stale,
    run_cmd,
    stored_refresh_token,
    wait_for,
    write_config,
)


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
