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

import base64
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class AuthSeen:
    """One request: its method and path, auth scheme (None, 'basic', 'bearer', other
    lower-cased), and whether it was accepted."""

    method: str
    path: str
    scheme: str | None
    accepted: bool


class GitServer:
    """Serve bare repositories under a temporary root over smart HTTP."""

    def __init__(self, is_valid: Callable[[str], bool], root: Path | None = None) -> None:
        self.is_valid = is_valid
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="aqora-git-")
            root = Path(self._tmp.name)
        self.root = root
        self.seen: list[AuthSeen] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> GitServer:
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> GitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # info
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.hostport}"

    def schemes(self) -> list[str | None]:
        """Auth schemes of every request so far, in order."""
        with self._lock:
            return [s.scheme for s in self.seen]

    def record(self, entry: AuthSeen) -> None:
        with self._lock:
            self.seen.append(entry)

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def create_repo(self, name: str = "repo.git") -> Path:
        """A bare repository (branch main) that accepts pushes."""
        path = self.root / name
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
        subprocess.run(["git", "-C", str(path), "config", "http.receivepack", "true"], check=True)
        return path

    def check(self, header: str | None) -> tuple[str | None, bool]:
        """(scheme, accepted) for an Authorization header value."""
        if not header:
            return None, False
        scheme, _, rest = header.strip().partition(" ")
        scheme = scheme.lower()
        rest = rest.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except ValueError:
                return scheme, False
            _, sep, password = decoded.partition(":")
            return scheme, bool(sep and password and self.is_valid(password))
        if scheme == "bearer":
            return scheme, bool(rest and self.is_valid(rest))
        return scheme, False


class _Handler(BaseHTTPRequestHandler):
    server_ref: GitServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                size = int(size_line, 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                parts.append(self.rfile.read(size))
                self.rfile.readline(8)  # CRLF after the chunk
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        srv = self.server_ref
        body = self._read_body()
        parts = urlsplit(self.path)
        scheme, accepted = srv.check(self.headers.get("Authorization"))
        srv.record(AuthSeen(self.command, parts.path, scheme, accepted))
        if not accepted:
            self._send(
                401,
                [
                    ("WWW-Authenticate", 'Basic realm="aqora"'),
                    ("WWW-Authenticate", 'Bearer realm="aqora"'),
                    ("Content-Type", "text/plain"),
                ],
                b"authentication required\n",
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
            self._send(500, [("Content-Type", "text/plain")], proc.stderr[-2000:])
            return
        self._send(status, headers, payload)
