"""`credsStore: aqora` (a full Docker credentials store) and the containers tools.

Two local registries: the served one behind the aqora-token proxy
(servers/registry_proxy.py) and a plain `docker-registry` with htpasswd auth. Real
clients: the docker CLI (login, logout; no engine), skopeo, docker-py, podman and
buildah (as root here, with private storage), Debian's docker-credential-secretservice
as the previous store, and the real Secret Service.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.registry_proxy import REGISTRY_BIN, RegistryProxy, free_port, registry_available
from shared.oci_image import write_oci_image
from support import (
    describe,
    heavy_modules_loaded,
    make_cached_token_stale,
    run_cmd,
    run_entry_point,
    write_config,
)

pytestmark = pytest.mark.skipif(
    not (registry_available() and shutil.which("skopeo") and shutil.which("docker")),
    reason="needs docker-registry, skopeo and the docker CLI",
)

Proc = subprocess.CompletedProcess[str]
STORE_SERVICE = "aqora-helper\tdocker"  # aqora_helper.fast.keyring_names
USER, PASSWORD = "bob", "htpasswd-secret-4711"


class HtpasswdRegistry:
    """`docker-registry` on 127.0.0.1 with Basic auth from an htpasswd file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> HtpasswdRegistry:
        users = self.root / "htpasswd"
        subprocess.run(
            ["htpasswd", "-Bbc", str(users), USER, PASSWORD], check=True, capture_output=True
        )
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.root / 'storage'}\n"
            f"http:\n  addr: {self.host}\n"
            f"auth:\n  htpasswd:\n    realm: test\n    path: {users}\n"
        )
        with open(self.root / "registry.log", "ab") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("docker-registry with htpasswd did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()  # by PID: the process we started
            self.proc.wait(timeout=10)


@dataclass
class World:
    env: dict[str, str]
    served: RegistryProxy
    plain: HtpasswdRegistry
    image: Path
    aqora: AqoraServer

    @property
    def config(self) -> Path:
        return Path(self.env["DOCKER_CONFIG"]) / "config.json"

    def run(self, *args: str, input: str | None = None) -> Proc:
        return run_cmd(list(args), self.env, input=input, timeout=180)

    def ok(self, *args: str, input: str | None = None) -> Proc:
        proc = self.run(*args, input=input)
        assert proc.returncode == 0, describe(proc)
        return proc

    def helper(self, action: str, input: str = "") -> Proc:
        return self.run("docker-credential-aqora", action, input=input)

    def keyring_item(self, server: str) -> str | None:
        proc = self.run("secret-tool", "lookup", "service", STORE_SERVICE, "username", server)
        return proc.stdout if proc.returncode == 0 and proc.stdout else None


@pytest.fixture
def world(
    aqora: AqoraServer,
    user_env: dict[str, str],
    tmp_path: Path,
    login: Callable[..., Proc],
) -> Iterator[World]:
    (tmp_path / "plain").mkdir()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    user_env["XDG_RUNTIME_DIR"] = str(runtime)
    with (
        RegistryProxy(aqora.is_valid_access_token) as served,
        HtpasswdRegistry(tmp_path / "plain") as plain,
    ):
        write_config(
            user_env,
            f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["{served.hostport}"]\n',
        )
        login()
        image = tmp_path / "oci"
        write_oci_image(image, "1", os.urandom(64 * 1024))
        w = World(user_env, served, plain, image, aqora)
        try:
            yield w
        finally:
            w.run("secret-tool", "clear", "service", STORE_SERVICE, "username", plain.host)
            w.run("secret-tool", "clear", "service", STORE_SERVICE, "username", "\tindex")


def skopeo_copy(w: World, host: str, *creds: str) -> Proc:
    return w.ok(
        "skopeo", "copy", "-q", "--dest-tls-verify=false", *creds,
        f"oci:{w.image}:1", f"docker://{host}/demo/app:1",
    )  # fmt: skip


def skopeo_inspect(w: World, host: str) -> dict[str, object]:
    proc = w.ok("skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{host}/demo/app:1")
    return dict(json.loads(proc.stdout))


DOCKER_PY = """
import base64, json, sys, urllib.request
import docker
config = docker.auth.load_config()
out = {}
for host in sys.argv[1:]:
    auth = docker.auth.resolve_authconfig(config, host)
    basic = base64.b64encode(f"{auth['Username']}:{auth['Password']}".encode()).decode()
    req = urllib.request.Request(
        f"http://{host}/v2/demo/app/manifests/1",
        headers={"Authorization": "Basic " + basic,
                 "Accept": "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        out[host] = json.loads(resp.read())["layers"][0]["digest"]
print(json.dumps(out))
"""


def test_creds_store_keeps_other_registries_in_the_secret_service(world: World) -> None:
    w = world
    w.ok("aqora-helper", "setup", "docker", "--creds-store")
    doc = json.loads(w.config.read_text())
    assert doc["credsStore"] == "aqora" and doc["credHelpers"] == {w.served.hostport: "aqora"}

    # docker login to the htpasswd registry: stored through our helper, in the keyring
    proc = w.ok("docker", "login", "-u", USER, "--password-stdin", w.plain.host, input=PASSWORD)
    assert "Login Succeeded" in proc.stdout
    item = w.keyring_item(w.plain.host)
    assert item is not None and json.loads(item) == {"Username": USER, "Secret": PASSWORD}
    assert PASSWORD not in w.config.read_text()
    for path in Path(w.env["HOME"]).rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes(), path

    # skopeo pushes to and pulls from both registries through the helper
    skopeo_copy(w, w.plain.host)
    skopeo_copy(w, w.served.hostport)
    assert skopeo_inspect(w, w.plain.host) == skopeo_inspect(w, w.served.hostport)

    # docker-py resolves both from credsStore and fetches with what it got
    proc = w.ok(sys.executable, "-c", DOCKER_PY, w.plain.host, w.served.hostport)
    digests = json.loads(proc.stdout)
    assert digests[w.plain.host] == digests[w.served.hostport]

    listed = json.loads(w.ok("docker-credential-aqora", "list").stdout)
    assert listed == {w.served.hostport: "aqora", w.plain.host: USER}

    # docker logout erases it from the keyring; the served host stays
    w.ok("docker", "logout", w.plain.host)
    assert w.keyring_item(w.plain.host) is None
    assert json.loads(w.ok("docker-credential-aqora", "list").stdout) == {
        w.served.hostport: "aqora"
    }
    assert w.helper("get", w.plain.host).stdout.strip() == (
        "credentials not found in native keychain"
    )

    w.ok("aqora-helper", "setup", "docker", "--remove")
    assert "credsStore" not in json.loads(w.config.read_text())


def test_a_served_host_store_is_accepted_and_not_kept(world: World) -> None:
    w = world
    w.ok("aqora-helper", "setup", "docker", "--creds-store")
    request = json.dumps({"ServerURL": w.served.hostport, "Username": "x", "Secret": "s3cret-x"})
    w.ok("docker-credential-aqora", "store", input=request)
    assert w.keyring_item(w.served.hostport) is None


def test_delegation_to_the_previous_secretservice_store(world: World, tmp_path: Path) -> None:
    if shutil.which("docker-credential-secretservice") is None:
        pytest.fail("docker-credential-secretservice missing (golang-docker-credential-helpers)")
    w = world
    w.config.parent.mkdir(exist_ok=True)
    original = '{\n\t"credsStore": "secretservice"\n}\n'
    w.config.write_text(original)
    w.ok("aqora-helper", "setup", "docker", "--creds-store")
    assert json.loads(w.config.read_text())["credsStore"] == "aqora"

    try:
        w.ok("docker", "login", "-u", USER, "--password-stdin", w.plain.host, input=PASSWORD)
        # it went to secretservice, not to our keyring item
        theirs = json.loads(w.ok("docker-credential-secretservice", "list").stdout)
        assert theirs.get(w.plain.host) == USER
        assert w.keyring_item(w.plain.host) is None
        got = json.loads(w.helper("get", w.plain.host).stdout)
        assert got["Username"] == USER and got["Secret"] == PASSWORD
        listed = json.loads(w.ok("docker-credential-aqora", "list").stdout)
        assert listed[w.plain.host] == USER and listed[w.served.hostport] == "aqora"
        assert "aqora-helper" in w.ok("docker-credential-aqora", "version").stdout
        skopeo_copy(w, w.plain.host)
        w.ok("docker", "logout", w.plain.host)
        theirs = json.loads(w.ok("docker-credential-secretservice", "list").stdout)
        assert w.plain.host not in theirs
    finally:
        w.run("docker-credential-secretservice", "erase", input=w.plain.host)

    w.ok("aqora-helper", "setup", "docker", "--remove")
    # docker rewrote the file (its own style, an "auths" key); the store is back
    assert json.loads(w.config.read_text())["credsStore"] == "secretservice"
    assert "credHelpers" not in json.loads(w.config.read_text())


def test_a_failing_or_hanging_previous_store_is_a_protocol_error(
    world: World, tmp_path: Path, aqora: AqoraServer
) -> None:
    w = world
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker-credential-hangs").write_text("#!/bin/sh\nexec sleep 60\n")
    (bin_dir / "docker-credential-fails").write_text("#!/bin/sh\necho 'store is broken'\nexit 1\n")
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    w.env["PATH"] = f"{bin_dir}{os.pathsep}{w.env['PATH']}"
    write_config(
        w.env,
        f'url = "{aqora.url}"\n[timeouts]\nkeyring = 1\n[environments."{aqora.url}"]\n'
        f'hosts = ["{w.served.hostport}"]\n',
    )
    w.config.parent.mkdir(exist_ok=True)
    for name, expected in (
        ("hangs", "did not answer within 1 s"),
        ("fails", "store is broken"),
        ("missing", "is not installed"),
    ):
        w.config.write_text(json.dumps({"credsStore": name}))
        w.ok("aqora-helper", "setup", "docker", "--creds-store")
        proc = w.helper("get", w.plain.host)
        assert proc.returncode == 1 and expected in proc.stdout, describe(proc)
        assert "Traceback" not in proc.stdout + proc.stderr
        # the served host is still answered
        assert w.helper("get", w.served.hostport).returncode == 0
        w.ok("aqora-helper", "setup", "docker", "--remove")


def test_setup_and_remove_restore_every_file_byte_for_byte(world: World) -> None:
    w = world
    w.config.parent.mkdir(exist_ok=True)
    original = '{\n    "auths": {},\n    "credsStore": "pass",\n    "x": [1, 2]\n}'
    w.config.write_text(original)
    home = Path(w.env["HOME"])
    before = sorted(p.relative_to(home) for p in home.rglob("*") if ".local" not in p.parts)
    w.ok("aqora-helper", "setup", "docker", "--creds-store")
    assert json.loads(w.config.read_text())["credsStore"] == "aqora"
    dropin = home / ".config/containers/registries.conf.d/zz-aqora-helper.conf"
    assert 'credential-helpers = ["aqora", "containers-auth.json"]' in dropin.read_text()
    w.ok("aqora-helper", "setup", "docker", "--creds-store")  # idempotent
    w.ok("aqora-helper", "setup", "docker", "--remove")
    assert w.config.read_text() == original
    after = sorted(p.relative_to(home) for p in home.rglob("*") if ".local" not in p.parts)
    assert [p for p in after if "containers" in str(p)] == [
        p for p in before if "containers" in str(p)
    ]
    assert after == before or set(after) - set(before) <= {Path(".cache"), Path(".config")}


def test_without_creds_store_another_registry_stays_on_the_fast_path(world: World) -> None:
    w = world
    w.ok("aqora-helper", "setup", "docker")
    w.helper("get", w.served.hostport)  # the host index is written
    proc = run_entry_point(
        "aqora_helper.doors.docker", ["docker-credential-aqora", "get"], w.env, w.plain.host
    )
    assert proc.returncode == 1 and "credentials not found" in proc.stdout, describe(proc)
    assert heavy_modules_loaded(proc) == []
    request = json.dumps({"ServerURL": w.plain.host, "Username": USER, "Secret": PASSWORD})
    proc = w.helper("store", request)
    assert proc.returncode == 1 and "nothing was stored" in proc.stdout
    assert w.keyring_item(w.plain.host) is None


def test_the_keyring_backend_answers_lookups_of_the_store_name() -> None:
    from aqora_helper.fast.keyring_names import names_own_storage

    for name in (
        "aqora-helper\tdocker",
        "aqora-helperdocker",
        "https://AQORA-HELPERDOCKER/simple/",
    ):
        assert names_own_storage(name), name


# --- podman and buildah ---------------------------------------------------------------------


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A short private folder: podman refuses a run root longer than 50 characters."""
    path = Path(tempfile.mkdtemp(prefix="aqc-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def static_tokens(auth: Path) -> list[str]:
    """The passwords stored in a containers auth.json."""
    if not auth.exists():
        return []
    auths = json.loads(auth.read_text()).get("auths", {})
    return [base64.b64decode(e["auth"]).decode().split(":", 1)[1] for e in auths.values()]


def containers(w: World, tool: str, tmp: Path, *args: str) -> list[str]:
    storage = ["--root", str(tmp / "root"), "--runroot", str(tmp / "run")]
    return [tool, *storage, "--storage-driver", "vfs", *args]


@pytest.mark.parametrize("tool", ["podman", "buildah"])
def test_podman_buildah_pull_and_push_and_a_static_login_is_cleaned_up(
    world: World, tool: str, short_tmp: Path, aqora: AqoraServer
) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (apt-get install {tool})")
    w = world
    tmp_path = short_tmp
    host = w.served.hostport
    auth = Path(w.env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
    w.env["REGISTRY_AUTH_FILE"] = str(auth)  # as root, the tools would use /run/containers/0
    token = json.loads(w.ok("aqora-helper", "token", "--format", "json").stdout)["access_token"]
    skopeo_copy(w, host, "--dest-creds", f"aqora:{token}")

    # before setup: a login to the served host leaves a static token in auth.json
    w.ok(*containers(w, tool, tmp_path, "login", "--tls-verify=false", "-u", "aqora",
                     "--password-stdin", host), input=token)  # fmt: skip
    assert static_tokens(auth) == [token]
    doctor = w.run("aqora-helper", "doctor")
    assert f"fail  containers: static credentials for {host} in {auth}" in doctor.stdout
    assert f"logout --authfile {auth} {host}" in doctor.stdout

    setup = w.ok("aqora-helper", "setup", "docker")
    assert f"static credentials for {host} in {auth}" in setup.stderr

    # the static token expires: the helper is asked first, so pulls and pushes still work
    make_cached_token_stale(w.env, aqora.url)
    aqora.expire_access_tokens()
    ref = f"{host}/demo/app:1"
    w.ok(*containers(w, tool, tmp_path, "pull", "-q", "--tls-verify=false", ref))
    w.ok(*containers(w, tool, tmp_path, "push", "--tls-verify=false", ref, f"{host}/demo/copy:1"))
    assert (
        skopeo_inspect(w, host)["layers"]
        == json.loads(
            w.ok(
                "skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{host}/demo/copy:1"
            ).stdout
        )["layers"]
    )
    doctor = w.run("aqora-helper", "doctor")
    assert "ok    containers: podman, buildah and skopeo ask aqora first" in doctor.stdout
    assert f"warn  containers: static credentials for {host} in {auth}" in doctor.stdout

    # the printed command clears it; a new login stores through the helper, not auth.json
    w.ok(*f"{tool} logout --authfile {auth} {host}".split())
    fresh = json.loads(w.ok("aqora-helper", "token", "--format", "json").stdout)["access_token"]
    w.ok(*containers(w, tool, tmp_path, "login", "--tls-verify=false", "-u", "aqora",
                     "--password-stdin", host), input=fresh)  # fmt: skip
    assert static_tokens(auth) == []
    doctor = w.run("aqora-helper", "doctor")
    assert "containers: " in doctor.stdout and "static token" not in doctor.stdout


def test_a_record_from_before_creds_store_still_loads() -> None:
    from aqora_helper.setup.dockerrecord import ConfigRecord

    old = {
        "created_file": False, "created_dirs": [], "created_key": True, "top_inner": None,
        "helpers_inner": None, "added": ["r.example"], "replaced": {},
    }  # fmt: skip
    record = ConfigRecord.from_json(old)
    assert record.added == ["r.example"] and not record.store_changed
    again = ConfigRecord.from_json({**old, "store_added": False, "store_replaced": '"pass"'})
    assert again.store_replaced == '"pass"' and again.store_changed
