"""A plain-http registry on this machine's non-loopback address, served by the logged-in
environment, to play a Docker-protocol client that skips TLS verification (it would
send the token over plain http).

- `plain_registry`: (host:port, Authorization headers received); it asks for Basic auth.
- `served_outside`: (the user's environment, host:port): the registry is a served host
  and `setup docker` routed it to the helper.
- `needs_outside`: skip unless there is a non-loopback address and skopeo.
"""

from __future__ import annotations

import base64
import http.server
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from support import describe, run_cmd, write_config


def outside_address() -> str | None:
    """This machine's non-loopback IPv4 address (a route's source; nothing is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


OUTSIDE = outside_address()
needs_outside = pytest.mark.skipif(
    OUTSIDE is None or shutil.which("skopeo") is None,
    reason="needs a non-loopback IPv4 address and skopeo (tests/run installs it)",
)


class _Registry(http.server.BaseHTTPRequestHandler):
    """A plain-http registry that asks for Basic auth and records what it is sent."""

    seen: list[str | None]

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="registry"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def plain_registry() -> Iterator[tuple[str, list[str | None]]]:
    """(host:port, Authorization headers received) of a plain-http registry on this
    machine's non-loopback address."""
    seen: list[str | None] = []
    handler = type("Handler", (_Registry,), {"seen": seen})
    server = http.server.ThreadingHTTPServer((str(OUTSIDE), 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{OUTSIDE}:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served_outside(
    aqora: AqoraServer,
    user_env: dict[str, str],
    login: Callable[..., object],
    plain_registry: tuple[str, list[str | None]],
) -> tuple[dict[str, str], str]:
    """The registry is a served host of the logged-in environment; credHelpers set."""
    hostport, _ = plain_registry
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{hostport}"]\n',
    )
    login()
    proc = run_cmd(["aqora-helper", "setup", "docker", "--url", aqora.url], user_env)
    assert proc.returncode == 0, describe(proc)
    runtime = Path(user_env["HOME"]) / "runtime"
    runtime.mkdir(mode=0o700)
    return dict(user_env, XDG_RUNTIME_DIR=str(runtime)), hostport


def tokens_sent(seen: list[str | None], aqora: AqoraServer) -> list[str]:
    sent = [base64.b64decode(h.split(" ", 1)[1]).decode() for h in seen if h]
    return [s for s in sent if any(t in s for t in aqora.issued_tokens())]
