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

import contextlib
import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

try:
    from .base import CHUNK, LoopbackHandler, LoopbackHTTPServer, parse_authorization
except ImportError:  # run as a script
    from base import (  # type: ignore[import-not-found,no-redef]
        CHUNK,
        LoopbackHandler,
        LoopbackHTTPServer,
        parse_authorization,
    )

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


class RegistryProxy(LoopbackHTTPServer[Seen]):
    """`docker-registry` on a private port, reachable only through the auth proxy."""

    def __init__(self, is_valid: Callable[[str], bool], root: Path | None = None) -> None:
        super().__init__(is_valid)
        self.root = self._temp_root(root, "aqora-registry-")
        self.registry_port = 0
        self.registry_pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path = self.root / "registry.log"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return type("Handler", (_ProxyHandler,), {"proxy": self})

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> RegistryProxy:
        self._start_registry(timeout)
        return super().start()

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

    def _teardown(self) -> None:
        self._stop_registry()

    # -- recording ------------------------------------------------------------------------

    def accepted_tokens(self) -> list[str]:
        with self._lock:
            return [s.token for s in self.seen if s.accepted and s.token]

    def registry_log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""


class _ProxyHandler(LoopbackHandler):
    proxy: RegistryProxy

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

    # -- the proxying ---------------------------------------------------------------------

    def _handle(self) -> None:
        creds = parse_authorization(self.headers.get("Authorization"), bearer=False)
        ok = creds.valid(self.proxy.is_valid)
        self.proxy.record(Seen(self.command, self.path, creds.username, creds.token, ok))
        if not ok:
            self._unauthorized()
            return
        try:
            self._forward()
        except (ConnectionError, OSError, http.client.HTTPException):
            self.close_connection = True

    def _unauthorized(self) -> None:
        self.drain()
        self.send_unauthorized(
            b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required",'
            b'"detail":null}]}\n',
            [
                ("Docker-Distribution-API-Version", "registry/2.0"),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
        )

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
            for piece in self.body_chunks():
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
