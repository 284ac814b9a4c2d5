"""Real Docker-protocol clients through docker-credential-aqora, without a Docker engine.

A local registry (Debian's `docker-registry`) sits behind an auth proxy that accepts
only access tokens currently valid at the aqora stand-in (tests/servers/registry_proxy.py).
Its `127.0.0.1:PORT` is a served host of the stand-in's environment, and the Docker
config routes it to the helper with `credHelpers` (written by `aqora-helper setup
docker`). Clients: skopeo (copy, inspect), the docker CLI (login, logout, manifest
inspect) and docker-py (`credentials.Store`, `auth.resolve_authconfig`).

Every call to the helper goes through a small logging shim placed first on PATH, so
the tests can see which actions the clients ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.registry_proxy import RegistryProxy, registry_available
from shared.oci_image import write_oci_image
from support import (
    BIN_DIR,
    describe,
    heavy_modules_loaded,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    write_config,
)

pytestmark = pytest.mark.skipif(
    not (registry_available() and shutil.which("skopeo")),
    reason="needs docker-registry and skopeo (apt-get install docker-registry skopeo)",
)

Proc = subprocess.CompletedProcess[str]

SHIM = """#!/bin/sh
# Logs each call of the real helper: the action, then what came on stdin (one line).
log={log}
real={real}
case "$1" in
  get|store|erase)
    input=$(cat)
    printf '%s %s\\n' "$1" "$input" >> "$log"
    printf '%s' "$input" | "$real" "$@"
    ;;
  *)
    printf '%s\\n' "$*" >> "$log"
    exec "$real" "$@"
    ;;
esac
"""


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def registry(aqora: AqoraServer) -> Iterator[RegistryProxy]:
    with RegistryProxy(aqora.is_valid_access_token) as reg:
        yield reg


class Setup:
    """The user's environment: config, login, credHelpers, the logging shim."""

    def __init__(self, env: dict[str, str], registry: RegistryProxy, log: Path, home: Path):
        self.env = env
        self.registry = registry
        self.log = log
        self.home = home

    @property
    def host(self) -> str:
        return self.registry.hostport

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def clear_calls(self) -> None:
        self.log.write_text("")

    def docker_config(self) -> Path:
        return Path(self.env["DOCKER_CONFIG"]) / "config.json"


@pytest.fixture
def setup(
    aqora: AqoraServer,
    registry: RegistryProxy,
    user_env: dict[str, str],
    tmp_path: Path,
) -> Setup:
    """Served registry host in the stand-in's environment; credHelpers; shim on PATH."""
    write_config(
        user_env,
        f'url = "{aqora.url}"\n'
        f'[environments."{aqora.url}"]\n'
        f'hosts = ["{registry.hostport}"]\n'
        'username = "aqora"\n',
    )
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    log = tmp_path / "helper-calls.log"
    shim = shim_dir / "docker-credential-aqora"
    shim.write_text(SHIM.format(log=log, real=Path(BIN_DIR) / "docker-credential-aqora"))
    shim.chmod(0o755)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    user_env.update(
        PATH=os.pathsep.join([str(shim_dir), user_env["PATH"]]),
        XDG_RUNTIME_DIR=str(runtime),  # no stray containers/auth.json
    )
    proc = run_cmd(["aqora-helper", "setup", "docker", "--url", aqora.url], user_env)
    assert proc.returncode == 0, describe(proc)
    return Setup(user_env, registry, log, Path(user_env["HOME"]))


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A 3 MB random layer: uploads are streamed in several chunks through the proxy."""
    root = tmp_path / "oci"
    return root, write_oci_image(root, "1", os.urandom(3 * 1024 * 1024))


def ok(proc: Proc) -> Proc:
    assert proc.returncode == 0, describe(proc)
    return proc


def skopeo_copy(s: Setup, image_dir: Path, ref: str) -> Proc:
    return run_cmd(
        [
            "skopeo",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            f"oci:{image_dir}:1",
            f"docker://{s.host}/{ref}",
        ],
        s.env,
        timeout=120,
    )


def skopeo_inspect(s: Setup, ref: str) -> Proc:
    return run_cmd(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{s.host}/{ref}"],
        s.env,
        timeout=120,
    )


def helper_get(s: Setup) -> str:
    proc = ok(run_cmd(["docker-credential-aqora", "get"], s.env, input=s.host))
    return str(json.loads(proc.stdout)["Secret"])


# --- skopeo -------------------------------------------------------------------------------


def test_skopeo_copy_and_inspect_through_credhelpers(
    aqora: AqoraServer,
    setup: Setup,
    login: Callable[..., Proc],
    image: tuple[Path, dict[str, str]],
) -> None:
    image_dir, digests = image
    config = json.loads(setup.docker_config().read_text())
    assert config == {"credHelpers": {setup.host: "aqora"}}  # the only source of credentials
    login()

    ok(skopeo_copy(setup, image_dir, "demo/app:1"))
    manifest = json.loads(ok(skopeo_inspect(setup, "demo/app:1")).stdout)
    assert manifest["layers"][0]["digest"] == digests["layer"]

    calls = setup.calls()
    assert calls and all(c == f"get {setup.host}" for c in calls), calls
    tokens = set(setup.registry.accepted_tokens())
    assert tokens and all(aqora.is_valid_access_token(t) for t in tokens)
    assert {s.username for s in setup.registry.seen if s.accepted} == {"aqora"}
    # pushes went through the proxy, blobs and all
    assert any(s.method == "PATCH" or s.method == "PUT" for s in setup.registry.seen if s.accepted)
    # no token was written into the Docker config
    assert all(t not in setup.docker_config().read_text() for t in tokens)


def test_without_credhelpers_the_registry_refuses(
    setup: Setup, login: Callable[..., Proc], image: tuple[Path, dict[str, str]]
) -> None:
    login()
    ok(skopeo_copy(setup, image[0], "demo/app:1"))
    ok(run_cmd(["aqora-helper", "setup", "docker", "--remove"], setup.env))
    assert not setup.docker_config().exists()
    setup.clear_calls()
    proc = skopeo_inspect(setup, "demo/app:1")
    assert proc.returncode != 0
    assert "unauthorized" in proc.stderr.lower() or "authentication" in proc.stderr.lower()
    assert setup.calls() == []


def test_token_gone_stale_between_two_skopeo_operations_is_refreshed(
    aqora: AqoraServer,
    setup: Setup,
    login: Callable[..., Proc],
    image: tuple[Path, dict[str, str]],
) -> None:
    login()
    ok(skopeo_copy(setup, image[0], "demo/app:1"))
    first = set(setup.registry.accepted_tokens())
    refreshes = aqora.refresh_calls

    # time passes: the token expires at the server and the cache says it has expired
    old = make_cached_token_stale(setup.env, aqora.url)
    aqora.expire_access_tokens()
    assert old in first and not aqora.is_valid_access_token(old)
    before = len(setup.registry.seen)

    manifest = json.loads(ok(skopeo_inspect(setup, "demo/app:1")).stdout)
    assert manifest["layers"][0]["digest"] == image[1]["layer"]
    assert aqora.refresh_calls == refreshes + 1
    later = setup.registry.seen[before:]
    assert later and all(s.accepted for s in later if s.token)  # the stale token never sent
    assert all(s.token != old for s in later)


def test_logged_out_means_anonymous_with_a_login_hint(
    setup: Setup, image: tuple[Path, dict[str, str]]
) -> None:
    proc = skopeo_copy(setup, image[0], "demo/app:1")
    assert proc.returncode != 0
    assert "aqora-helper login" in proc.stderr, describe(proc)
    assert f"get {setup.host}" in setup.calls()
    assert not any(s.token for s in setup.registry.seen)  # it went on anonymously


# --- the docker CLI -----------------------------------------------------------------------


def docker(s: Setup, *args: str, input: str | None = None) -> Proc:
    return run_cmd(["docker", *args], s.env, input=input, timeout=120)


def test_docker_cli_login_manifest_inspect_logout(
    aqora: AqoraServer,
    setup: Setup,
    login: Callable[..., Proc],
    image: tuple[Path, dict[str, str]],
) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    login()
    ok(skopeo_copy(setup, image[0], "demo/app:1"))

    # `docker login HOST`: get (stored credentials), then store. Without an engine the
    # daemon-side check fails afterwards; the helper's part must not.
    setup.clear_calls()
    proc = docker(setup, "login", setup.host)
    calls = setup.calls()
    assert calls[0] == f"get {setup.host}", describe(proc)
    assert calls[1].startswith("store "), calls
    stored = json.loads(calls[1][len("store ") :])
    assert stored["ServerURL"] == setup.host and stored["Username"] == "aqora"
    assert aqora.is_valid_access_token(stored["Secret"])
    assert "[Username: aqora]" in proc.stdout + proc.stderr
    assert "error storing credentials" not in proc.stderr.lower()
    assert "error getting credentials" not in proc.stderr.lower()

    # client-side login with the token: checked against the registry, then stored (ignored)
    setup.clear_calls()
    token = helper_get(setup)
    setup.clear_calls()
    proc = ok(docker(setup, "login", "-u", "aqora", "--password-stdin", setup.host, input=token))
    assert "Login Succeeded" in proc.stdout
    assert any(c.startswith("store ") for c in setup.calls())
    assert token not in setup.docker_config().read_text()
    assert json.loads(setup.docker_config().read_text())["credHelpers"] == {setup.host: "aqora"}

    # manifest inspect (a registry client in the CLI): get, then an authenticated fetch
    setup.clear_calls()
    proc = ok(docker(setup, "manifest", "inspect", "--insecure", f"{setup.host}/demo/app:1"))
    assert json.loads(proc.stdout)["layers"][0]["digest"] == image[1]["layer"]
    assert f"get {setup.host}" in setup.calls()

    # logout erases (idempotently, several spellings); the session survives it
    setup.clear_calls()
    refreshes = aqora.refresh_calls
    ok(docker(setup, "logout", setup.host))
    assert setup.calls() and all(c.startswith("erase ") for c in setup.calls())
    ok(skopeo_inspect(setup, "demo/app:1"))
    assert aqora.refresh_calls == refreshes + 1  # the dropped access token was replaced


# --- docker-py ----------------------------------------------------------------------------

DOCKER_PY = """
import json, sys
import docker
from docker.credentials import Store
from docker.credentials.errors import CredentialsNotFound
host = sys.argv[1]
store = Store("aqora")
out = {"get": store.get(host), "list": store.list()}
out["auth"] = docker.auth.resolve_authconfig(docker.auth.load_config(), host)
try:
    store.get("registry.example.org")
    out["other"] = "found"
except CredentialsNotFound:
    out["other"] = "not found"
print(json.dumps(out))
"""


def test_docker_py_store_and_resolve_authconfig(
    aqora: AqoraServer, setup: Setup, login: Callable[..., Proc]
) -> None:
    login()
    proc = ok(run_cmd([sys.executable, "-c", DOCKER_PY, setup.host], setup.env))
    out = json.loads(proc.stdout)
    token = out["get"]["Secret"]
    assert aqora.is_valid_access_token(token)
    assert out["get"]["Username"] == "aqora" and out["get"]["ServerURL"] == setup.host
    assert out["list"] == {setup.host: "aqora"}
    auth = out["auth"]
    assert auth["Username"] == "aqora" and auth["Password"] == token
    assert auth["ServerAddress"] == setup.host
    assert out["other"] == "not found"
    assert "list" in setup.calls()


# --- the fast path ------------------------------------------------------------------------


def test_cached_hit_imports_nothing_heavy(
    aqora: AqoraServer, setup: Setup, login: Callable[..., Proc]
) -> None:
    login()
    first = helper_get(setup)  # warms the host index and the token cache
    refreshes = aqora.refresh_calls
    proc = ok(
        run_entry_point(
            "aqora_helper.doors.docker", ["docker-credential-aqora", "get"], setup.env, setup.host
        )
    )
    assert json.loads(proc.stdout)["Secret"] == first
    assert heavy_modules_loaded(proc) == []
    assert aqora.refresh_calls == refreshes


# --- the registry proxy itself ------------------------------------------------------------


def test_registry_proxy_streams_chunked_and_large_blobs() -> None:
    """Uploads with chunked transfer encoding and a large monolithic blob round-trip
    through the proxy; only the valid token passes; a TLS hello gets an HTTP answer."""
    import base64
    import http.client
    import socket
    from urllib.parse import urlsplit

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"aqora:{token}".encode()).decode()}

    def request(
        reg: RegistryProxy, method: str, path: str, body: object = None, **headers: str
    ) -> tuple[http.client.HTTPResponse, bytes, str]:
        conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=60)
        chunked = not isinstance(body, (bytes, type(None)))
        conn.request(method, path, body=body, headers=headers, encode_chunked=chunked)  # type: ignore[arg-type]
        resp = conn.getresponse()
        digest = hashlib.sha256()
        data = b""
        while piece := resp.read(1 << 20):
            digest.update(piece)
            if len(data) < 4096:
                data += piece[:4096]
        conn.close()
        return resp, data, "sha256:" + digest.hexdigest()

    def upload(reg: RegistryProxy, pieces: list[bytes], chunked: bool) -> str:
        hdrs = auth("good")
        resp, _, _ = request(reg, "POST", "/v2/big/blobs/uploads/", b"", **hdrs)
        assert resp.status == 202, resp.status
        location = urlsplit(resp.getheader("Location") or "")
        assert location.netloc in ("", reg.hostport)
        path = location.path + ("?" + location.query if location.query else "")
        blob = b"".join(pieces)
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        body: object = iter(pieces) if chunked else blob
        resp, _, _ = request(reg, "PATCH", path, body, **hdrs)
        assert resp.status == 202, resp.status
        location = urlsplit(resp.getheader("Location") or "")
        sep = "&" if location.query else "?"
        path = location.path + ("?" + location.query if location.query else "")
        resp, _, _ = request(reg, "PUT", f"{path}{sep}digest={digest}", b"", **hdrs)
        assert resp.status == 201, resp.status
        return digest

    with RegistryProxy(lambda token: token == "good") as reg:
        chunked_pieces = [os.urandom(1 << 20) for _ in range(6)]
        big = os.urandom(24 << 20)
        for pieces, chunked in ((chunked_pieces, True), ([big], False)):
            digest = upload(reg, pieces, chunked)
            size = sum(len(p) for p in pieces)
            resp, _, got = request(reg, "GET", f"/v2/big/blobs/{digest}", **auth("good"))
            assert resp.status == 200 and got == digest
            resp, data, _ = request(reg, "HEAD", f"/v2/big/blobs/{digest}", **auth("good"))
            assert resp.status == 200 and data == b""
            assert int(resp.getheader("Content-Length") or -1) == size

        for headers in ({}, auth("bad"), auth(""), {"Authorization": "Bearer good"}):
            resp, _, _ = request(reg, "GET", "/v2/", **headers)
            assert resp.status == 401
            assert resp.getheader("WWW-Authenticate") == 'Basic realm="aqora"'
        assert [s.accepted for s in reg.seen[-4:]] == [False] * 4

        with socket.create_connection(("127.0.0.1", reg.port), timeout=10) as sock:
            sock.sendall(b"\x16\x03\x01\x00\x05hello")
            assert sock.recv(64).startswith(b"HTTP/1.1 400")
