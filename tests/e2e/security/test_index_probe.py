"""`setup pip|uv` asks the index whether it serves public packages, with the user's token
(setup/indexprobe.py). An index that redirects that question elsewhere gets no second
request followed: the redirect's target never sees the token, the question stays open,
and nothing setup prints holds the token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from servers.hostile_index import HostileIndex
from shared.pip_index import user_config_env
from support import describe, run_cmd, write_config


class Redirecting(ThreadingHTTPServer):
    """Answers every GET with a 302 to `target`; records each request's Authorization."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: Redirecting

    def do_GET(self) -> None:
        self.server.seen.append(self.headers.get("Authorization", ""))
        self.send_response(302)
        self.send_header("Location", self.server.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirecting() -> Iterator[tuple[Redirecting, HostileIndex]]:
    with HostileIndex() as hostile:
        server = Redirecting(hostile.url)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server, hostile
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_a_redirected_question_is_not_followed(aqora, user_env, login, redirecting, tool):
    server, hostile = redirecting
    port = server.server_address[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{aqora.url.split("://", 1)[1]}", "127.0.0.1:{port}"]\n',
    )
    login()
    env = user_config_env(user_env)
    proc = run_cmd(
        ["aqora-helper", "setup", tool, "--index-url", f"http://127.0.0.1:{port}/simple/"], env
    )
    assert proc.returncode == 0, describe(proc)
    assert "could not tell whether" in proc.stderr and "HTTP 302" in proc.stderr, describe(proc)
    assert server.seen and all(a.startswith("Basic ") for a in server.seen)  # it was asked
    assert hostile.seen == [], hostile.seen  # the redirect's target was never asked
    token = run_cmd(["aqora-helper", "token"], env).stdout.strip()
    assert aqora.is_valid_access_token(token)
    assert token not in proc.stdout + proc.stderr
