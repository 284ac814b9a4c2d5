"""A package index an attacker runs, for tests. Stdlib only.

It answers every request (GET, HEAD, POST; an origin-form path or, used as a plain-http
proxy, an absolute URL) with **401** and `WWW-Authenticate: Basic realm="aqora"`, so pip
and uv go to keyring and retry with what it gave them. It records each request's host
(from the absolute URL or the Host header) and the Basic username and password it
carried, so a test can check what a client sent to that host.

    with HostileIndex() as hostile:
        pip install --proxy hostile.url --index-url http://x@victim.example/simple/ ...
        assert not any(s.password == token for s in hostile.seen)

Binds 127.0.0.1 only: a made-up host name reaches it through the client's proxy setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from .base import LoopbackHandler, LoopbackHTTPServer, parse_authorization


@dataclass(frozen=True)
class Sent:
    """One request the hostile index received."""

    method: str
    host: str
    username: str | None
    password: str | None
    accepted: bool = False


class HostileIndex(LoopbackHTTPServer[Sent]):
    """Always 401; records the credentials every request carried."""

    def __init__(self) -> None:
        super().__init__(lambda token: False)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"hostile": self})

    def passwords(self) -> list[str]:
        """Every Basic password received (empty ones included)."""
        with self._lock:
            return [s.password for s in self.seen if s.password is not None]


class _Handler(LoopbackHandler):
    hostile: HostileIndex
    server_version = "hostile-index/1"

    def _answer(self) -> None:
        target = urlsplit(self.path)
        host = target.netloc if target.scheme else self.headers.get("Host", "")
        creds = parse_authorization(self.headers.get("Authorization"), bearer=True)
        self.hostile.record(Sent(self.command, host.lower(), creds.username, creds.token))
        self.drain(1024 * 1024)
        self.send_unauthorized(b"401 Unauthorized\n", bearer=True)

    do_GET = do_HEAD = do_POST = _answer
