"""A smart-HTTP git server for tests: `git http-backend` behind token authentication.

Accepts `Authorization: Basic` (any username, password = token) and
`Authorization: Bearer <token>` when `is_valid(token)` is true; anything else gets 401
with `WWW-Authenticate: Basic realm="aqora"` and `Bearer realm="aqora"`. Every request's
auth scheme and verdict are recorded in `.seen`. Binds 127.0.0.1 only. Stdlib only.

    with GitServer(is_valid) as srv:
        srv.create_repo("demo.git")
        git clone srv.url + "/demo.git"
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from .base import LoopbackHandler, LoopbackHTTPServer, parse_authorization

MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class AuthSeen:
    """One request: its method and path, auth scheme (None, 'basic', 'bearer', other
    lower-cased), and whether it was accepted."""

    method: str
    path: str
    scheme: str | None
    accepted: bool


class GitServer(LoopbackHTTPServer[AuthSeen]):
    """Serve bare repositories under a temporary root over smart HTTP."""

    def __init__(self, is_valid: Callable[[str], bool], root: Path | None = None) -> None:
        super().__init__(is_valid)
        self.root = self._temp_root(root, "aqora-git-")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_Handler,), {"server_ref": self})

    def schemes(self) -> list[str | None]:
        """Auth schemes of every request so far, in order."""
        with self._lock:
            return [s.scheme for s in self.seen]

    def clear(self) -> None:
        self.clear_seen()

    def create_repo(self, name: str = "repo.git") -> Path:
        """A bare repository (branch main) that accepts pushes."""
        path = self.root / name
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        subprocess.run(["git", "-C", str(path), "config", "http.receivepack", "true"], check=True)
        return path

    def check(self, header: str | None) -> tuple[str | None, bool]:
        """(scheme, accepted) for an Authorization header value."""
        creds = parse_authorization(header)
        return creds.scheme, creds.valid(self.is_valid)


class _Handler(LoopbackHandler):
    server_ref: GitServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        srv = self.server_ref
        body = b"".join(self.body_chunks(MAX_BODY))
        parts = urlsplit(self.path)
        scheme, accepted = srv.check(self.headers.get("Authorization"))
        srv.record(AuthSeen(self.command, parts.path, scheme, accepted))
        if not accepted:
            self.send_unauthorized(
                b"authentication required\n", [("Content-Type", "text/plain")], bearer=True
            )
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(srv.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(srv.root),
            "REMOTE_USER": "aqora",
            "REMOTE_ADDR": self.client_address[0],
            "REQUEST_METHOD": self.command,
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(
            ["git", "http-backend"], input=body, capture_output=True, env=env, timeout=60
        )
        head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = proc.stdout.partition(b"\n\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name.strip(), value.strip()))
        if proc.returncode != 0 and not sep:
            self.send_body(500, proc.stderr[-2000:], [("Content-Type", "text/plain")])
            return
        self.send_body(status, payload, headers)
