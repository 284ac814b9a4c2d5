"""`setup pip|uv` asks the index whether it serves public packages, with the user's token
(setup/indexprobe.py). An index that redirects that question elsewhere gets no second
request followed: the redirect's target never sees the token, the question stays open,
and nothing setup prints holds the token."""

from __future__ import annotations

import socket
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
    # the question stays open: pip asks the user to choose, uv keeps PyPI beside it
    assert proc.returncode == (1 if tool == "pip" else 0), describe(proc)
    assert "could not tell whether" in proc.stderr and "HTTP 302" in proc.stderr, describe(proc)
    assert server.seen and all(a.startswith("Basic ") for a in server.seen)  # it was asked
    assert hostile.seen == [], hostile.seen  # the redirect's target was never asked
    token = run_cmd(["aqora-helper", "token"], env).stdout.strip()
    assert aqora.is_valid_access_token(token)
    assert token not in proc.stdout + proc.stderr


def test_an_answer_dripping_past_the_deadline_is_no_answer(aqora, user_env, login):
    """A server that sends `200 OK` and then a header line now and then, past the
    deadline: when the deadline shuts the socket the headers look complete, and that
    must not count as a page (it would make a private index pip's only one)."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def drip() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.wait(0.3):
                    try:
                        conn.sendall(b"X-Drip: 1\r\n")
                    except OSError:
                        break

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        write_config(
            user_env,
            f'url = "{aqora.url}"\n[timeouts]\nconnect = 1\nread = 1\n'
            f'[environments."{aqora.url}"]\n'
            f'hosts = ["{aqora.url.split("://", 1)[1]}", "127.0.0.1:{port}"]\n',
        )
        login()
        env = user_config_env(user_env)
        index = f"http://127.0.0.1:{port}/simple/"
        proc = run_cmd(["aqora-helper", "setup", "pip", "--index-url", index], env)
        assert proc.returncode == 1, describe(proc)
        assert "could not tell whether" in proc.stderr, describe(proc)
        assert "no answer for its page of 'pip'" in proc.stderr, describe(proc)
    finally:
        stop.set()
        listener.close()
        thread.join(5)
