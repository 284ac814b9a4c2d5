"""What the token-checking test servers share. Stdlib only.

`LoopbackHTTPServer`: a ThreadingHTTPServer on 127.0.0.1 (a free port) served by a
daemon thread, with start/stop, a context manager, `port`/`hostport`/`url`, an optional
temporary root, and a thread-safe record of the requests seen (`.seen`).

`LoopbackHandler`: the request-handler side: HTTP/1.1, quiet, the request body read
(fixed length or chunked) or drained, a response with `Content-Length`, and the 401
answer with `WWW-Authenticate: Basic realm="aqora"` (and Bearer where a server takes it).

`parse_authorization`: the scheme, Basic username and token (Basic password or Bearer
token) of an `Authorization` header.
"""

from __future__ import annotations

import base64
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

REALM = "aqora"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Credentials:
    """An Authorization header: its scheme (lower-cased; None without a header), the
    Basic username and the token (Basic password or Bearer token) where well-formed."""

    scheme: str | None = None
    username: str | None = None
    token: str | None = None

    def valid(self, is_valid: Callable[[str], bool]) -> bool:
        if not self.token:
            return False
        return is_valid(self.token)


def parse_authorization(header: str | None, *, bearer: bool = True) -> Credentials:
    """The credentials of an Authorization header value; a Bearer token only if `bearer`."""
    if not header:
        return Credentials()
    scheme, _, rest = header.strip().partition(" ")
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return Credentials(scheme)
        user, sep, password = decoded.partition(":")
        return Credentials(scheme, user, password) if sep else Credentials(scheme)
    if scheme == "bearer" and bearer:
        return Credentials(scheme, None, rest)
    return Credentials(scheme)


class _Entry(Protocol):
    @property
    def accepted(self) -> bool: ...


SeenT = TypeVar("SeenT", bound=_Entry)
ServerT = TypeVar("ServerT", bound="LoopbackHTTPServer[Any]")


class LoopbackHTTPServer(Generic[SeenT]):
    """A threaded HTTP server on 127.0.0.1 that accepts tokens satisfying `is_valid`.

    Subclasses give `_handler_class()` (a handler bound to this server) and may add
    their own teardown in `_teardown()`, which runs after the HTTP server stops and
    before the temporary root (if any, from `_temp_root`) is removed."""

    bind_port = 0  # 0: a free port

    def __init__(self, is_valid: Callable[[str], bool]) -> None:
        self.is_valid = is_valid
        self.seen: list[SeenT] = []
        self._lock = threading.Lock()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _temp_root(self, root: Path | None, prefix: str) -> Path:
        """`root`, or a temporary directory removed on stop."""
        if root is not None:
            return root
        self._tmp = tempfile.TemporaryDirectory(prefix=prefix)
        return Path(self._tmp.name)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def _teardown(self) -> None:
        pass

    # lifecycle -----------------------------------------------------------------------
    def start(self: ServerT) -> ServerT:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.bind_port), self._handler_class())
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
        self._teardown()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self: ServerT) -> ServerT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def hostport(self) -> str:
        """`127.0.0.1:PORT`: the host clients use."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.hostport}"

    # recording -----------------------------------------------------------------------
    def record(self, entry: SeenT) -> None:
        with self._lock:
            self.seen.append(entry)

    def rejected(self) -> list[SeenT]:
        with self._lock:
            return [s for s in self.seen if not s.accepted]

    def clear_seen(self) -> None:
        with self._lock:
            self.seen.clear()


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, no request log; body reading and the common responses."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def body_chunks(self, limit: int | None = None) -> Iterator[bytes]:
        """The request body (de-chunked when needed) in pieces; ValueError once it would
        pass `limit` bytes, ConnectionError if the client stops sending."""
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        total = 0
        while True:
            if chunked:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
            else:
                size = int(self.headers.get("Content-Length") or 0)
            total += size
            if limit is not None and total > limit:
                raise ValueError("body too large")
            remaining = size
            while remaining:
                piece = self.rfile.read(min(CHUNK, remaining))
                if not piece:
                    raise ConnectionError("client closed mid-body")
                remaining -= len(piece)
                yield piece
            if not chunked:
                return
            self.rfile.readline(16)  # CRLF after the chunk

    def drain(self, limit: int | None = None) -> None:
        """Read and drop the request body; close the connection if that fails."""
        try:
            for _ in self.body_chunks(limit):
                pass
        except (ConnectionError, OSError, ValueError):
            self.close_connection = True

    def send_body(self, status: int, body: bytes, headers: Iterable[tuple[str, str]] = ()) -> None:
        """A response with these headers, `Content-Length` and (but to HEAD) the body."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_unauthorized(
        self, body: bytes, headers: Iterable[tuple[str, str]] = (), *, bearer: bool = False
    ) -> None:
        """401 with `WWW-Authenticate: Basic realm="aqora"` (and Bearer if `bearer`)."""
        challenges = [("WWW-Authenticate", f'Basic realm="{REALM}"')]
        if bearer:
            challenges.append(("WWW-Authenticate", f'Bearer realm="{REALM}"'))
        self.send_body(401, body, [*challenges, *headers])
