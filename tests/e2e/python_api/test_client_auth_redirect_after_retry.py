"""`AqoraAuth` (requests) and `AqoraHttpxAuth` (httpx) after their one retry: the retry
shares no hook state with the request the server refused, and a redirect answered to
the retry carries the token only to the same origin (the fresh token then), never to
another host or port, whatever the session's own redirect policy.

A served server answers 401 to the first token it sees, then redirects; another server
(another port, not served) records the Authorization header it receives.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests

import aqora_helper
from support import use_env, write_config


class Server:
    """`/start?to=URL`: 401 to the first request (its token is refused from then on),
    else 302 to URL. `/final`: 200 to a valid token it never refused, else 401.
    Records every Authorization header, with the path."""

    def __init__(self, is_valid) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.refused: set[str | None] = set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                header = self.headers.get("Authorization")
                parts = urlsplit(self.path)
                owner.seen.append((parts.path, header))
                if parts.path == "/start" and not owner.refused:
                    owner.refused.add(header)
                    self.answer(401)
                elif parts.path == "/start" and header not in owner.refused:
                    self.answer(302, parse_qs(parts.query)["to"][0])
                elif parts.path == "/final":
                    token = (header or "").removeprefix("Bearer ")
                    ok = header not in owner.refused and is_valid(token)
                    self.answer(200 if ok else 401)
                else:
                    self.answer(200 if parts.path == "/landing" else 401)

            def answer(self, status: int, location: str | None = None) -> None:
                self.send_response(status)
                if location is not None:
                    self.send_header("Location", location)
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Bearer realm="resource"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers(aqora, user_env, login, monkeypatch) -> Iterator[tuple[Server, Server]]:
    served, elsewhere = Server(aqora.is_valid_access_token), Server(aqora.is_valid_access_token)
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{served.port}"]\n',
    )
    login()
    use_env(monkeypatch, user_env)
    yield served, elsewhere
    served.stop()
    elsewhere.stop()


class LenientSession(requests.Session):
    """A session whose own redirect policy keeps every header on every host."""

    def rebuild_auth(self, prepared_request, response) -> None:
        return None


@pytest.mark.parametrize("session_type", [requests.Session, LenientSession])
def test_requests_redirect_after_the_retry_carries_no_token_away(aqora, servers, session_type):
    served, elsewhere = servers
    session = session_type()
    session.auth = aqora_helper.AqoraAuth()
    response = session.get(served.url("/start?to=" + elsewhere.url("/landing")))
    assert response.status_code == 200 and response.url == elsewhere.url("/landing")
    assert elsewhere.seen == [("/landing", None)]
    assert aqora.refresh_calls == 1
    first, retried = served.seen
    assert first[1] != retried[1] and retried[1] is not None  # the retry had the fresh token
    (redirect,) = response.history  # the retry's answer (the 401 before it: not kept)
    assert "Authorization" not in redirect.request.headers  # a redirect away: dropped


@pytest.mark.parametrize("session_type", [requests.Session, LenientSession])
def test_requests_redirect_after_the_retry_keeps_the_fresh_token_on_its_origin(
    aqora, servers, session_type
):
    served, _ = servers
    session = session_type()
    session.auth = aqora_helper.AqoraAuth()
    response = session.get(served.url("/start?to=/final"))
    assert response.status_code == 200, served.seen
    (_, refused), (_, fresh), (_, final) = served.seen
    assert final == fresh != refused
    assert aqora.refresh_calls == 1


def test_httpx_redirect_after_the_retry_carries_no_token_away(aqora, servers):
    served, elsewhere = servers
    with httpx.Client(auth=aqora_helper.AqoraHttpxAuth(), follow_redirects=True) as client:
        response = client.get(served.url("/start?to=" + elsewhere.url("/landing")))
        assert response.status_code == 200
        same = client.get(served.url("/start?to=/final"))
    assert elsewhere.seen == [("/landing", None)]
    assert same.status_code == 200, served.seen
    refused, retried = response.history[0].request, response.history[1].request
    assert refused is not retried
    assert refused.headers["Authorization"] != retried.headers["Authorization"]
    assert aqora.refresh_calls == 1
