"""A Docker registry for tests: Debian's `docker-registry` behind a token-checking proxy.

`docker-registry serve <config.yml>` (distribution 2.8) listens on 127.0.0.1:<free port>
with its storage in a temporary directory and no authentication of its own. In front
of it, a threaded stdlib proxy on another 127.0.0.1 port accepts only
`Authorization: Basic <user:token>` whose password satisfies `is_valid(token)`, and
answers 401 with `WWW-Authenticate: Basic realm="aqora"` otherwise. Requests and
responses are streamed both ways (fixed length, chunked uploads, large blobs), and the
`Host` header is passed through so the registry's `Location` headers point back at the
proxy. Every request is recorded in `.seen`.

    with RegistryProxy(aqora.is_valid_access_token) as reg:
        skopeo copy ... docker://{reg.hostport}/demo:1

Stdlib only. Both servers bind 127.0.0.1; the registry process is stopped by its PID.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 64 * 1024
REGISTRY_BIN = "docker-registry"
PR_SET_PDEATHSIG = 1
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
}


@dataclass(frozen=True)
class Seen:
    """One request through the proxy: method, path, Basic username (or None), accepted."""

    method: str
    path: str
    username: str | None
    token: str | None
    accepted: bool


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux), so
    no registry outlives an interrupted test run."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def registry_available() -> bool:
    return shutil.which(REGISTRY_BIN) is not None


class RegistryProxy:
    """`docker-registry` on a private port, reachable only through the auth proxy."""

    def __init__(self, is_valid: Callable[[str], bool], root: Path | None = None) -> None:
        self.is_valid = is_valid
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="aqora-registry-")
            root = Path(self._tmp.name)
        self.root = root
        self.seen: list[Seen] = []
        self.registry_port = 0
        self.registry_pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path = root / "registry.log"
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- addresses ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "not started"
        return int(self._httpd.server_address[1])

    @property
    def hostport(self) -> str:
        """`127.0.0.1:PORT` of the proxy: the registry key clients use."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.hostport}"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> RegistryProxy:
        self._start_registry(timeout)
        handler = type("Handler", (_ProxyHandler,), {"proxy": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _start_registry(self, timeout: float) -> None:
        storage = self.root / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        last_error = "did not start"
        for _attempt in range(5):  # the free port can be taken between probe and bind
            self.registry_port = free_port()
            config = self.root / "config.yml"
            config.write_text(
                "version: 0.1\n"
                "log:\n"
                "  level: warn\n"
                "  accesslog:\n"
                "    disabled: true\n"
                "storage:\n"
                "  filesystem:\n"
                f"    rootdirectory: {storage}\n"
                "  delete:\n"
                "    enabled: true\n"
                "http:\n"
                f"  addr: 127.0.0.1:{self.registry_port}\n"
            )
            with open(self._log, "ab") as log:
                self._proc = subprocess.Popen(
                    [REGISTRY_BIN, "serve", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,
                )
            self.registry_pid = self._proc.pid
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    last_error = f"exited with {self._proc.returncode}"
                    break
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{self.registry_port}/v2/", timeout=2
                    ) as resp:
                        if resp.status == 200:
                            return
                except OSError as exc:
                    last_error = str(exc)
                time.sleep(0.05)
            self._stop_registry()
            if time.monotonic() >= deadline:
                break
        log_text = self._log.read_text(errors="replace")[-2000:] if self._log.exists() else ""
        raise RuntimeError(f"docker-registry {last_error}\n{log_text}")

    def _stop_registry(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # by PID: the process we started
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._stop_registry()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RegistryProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- recording ------------------------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def accepted_tokens(self) -> list[str]:
        with self._lock:
            return [s.token for s in self.seen if s.accepted and s.token]

    def rejected(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if not s.accepted]

    def registry_log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(username, password) of a Basic Authorization header, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class _ProxyHandler(BaseHTTPRequestHandler):
    proxy: RegistryProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle(self) -> None:
        # A TLS ClientHello on this plain-http port gets an HTTP status line, as from a
        # Go server: clients (the docker CLI with --insecure) then fall back to http.
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == b"\x16":
            with contextlib.suppress(OSError):
                self.wfile.write(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    b"Connection: close\r\nContent-Length: 0\r\n\r\n"
                )
            return
        super().handle()

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # -- request body ---------------------------------------------------------------------

    def _body_chunks(self) -> Iterator[bytes]:
        """The request body, de-chunked when needed, streamed in pieces."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size_line = self.rfile.readline(1024)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                remaining = size
                while remaining:
                    piece = self.rfile.read(min(CHUNK, remaining))
                    if not piece:
                        raise ConnectionError("client closed mid-chunk")
                    remaining -= len(piece)
                    yield piece
                self.rfile.readline(16)  # CRLF after the chunk
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining:
                piece = self.rfile.read(min(CHUNK, remaining))
                if not piece:
                    raise ConnectionError("client closed mid-body")
                remaining -= len(piece)
                yield piece

    def _drain(self) -> None:
        for _ in self._body_chunks():
            pass

    # -- the proxying ---------------------------------------------------------------------

    def _handle(self) -> None:
        creds = parse_basic(self.headers.get("Authorization"))
        user, token = creds if creds else (None, None)
        ok = token is not None and bool(token) and self.proxy.is_valid(token)
        self.proxy.record(Seen(self.command, self.path, user, token, ok))
        if not ok:
            self._unauthorized()
            return
        try:
            self._forward()
        except (ConnectionError, OSError, http.client.HTTPException):
            self.close_connection = True

    def _unauthorized(self) -> None:
        try:
            self._drain()
        except (ConnectionError, OSError, ValueError):
            self.close_connection = True
        body = (
            b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required",'
            b'"detail":null}]}\n'
        )
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="aqora"')
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.registry_port, timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            for name, value in self.headers.items():
                lname = name.lower()
                if lname in HOP_BY_HOP or lname in ("authorization", "expect"):
                    continue
                if chunked and lname == "content-length":
                    continue
                conn.putheader(name, value)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for piece in self._body_chunks():
                if chunked:
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    conn.send(piece)
            if chunked:
                conn.send(b"0\r\n\r\n")
            resp = conn.getresponse()
            self._relay(resp)
        finally:
            conn.close()

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        self.send_response_only(resp.status, resp.reason)
        length = resp.getheader("Content-Length")
        no_body = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        for name, value in resp.getheaders():
            if name.lower() in HOP_BY_HOP:
                continue
            self.send_header(name, value)
        rechunk = not no_body and length is None
        if rechunk:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if no_body:
            return
        while True:
            piece = resp.read(CHUNK)
            if not piece:
                break
            if rechunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if rechunk:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main() -> None:  # pragma: no cover - manual use
    """Run a registry that accepts the token given in REGISTRY_TOKEN, until interrupted."""
    token = os.environ.get("REGISTRY_TOKEN", "test-token")
    with RegistryProxy(lambda t: t == token) as reg:
        print(f"registry proxy on {reg.url} (registry pid {reg.registry_pid})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
