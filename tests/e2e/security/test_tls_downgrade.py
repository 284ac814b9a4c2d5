"""No token for a registry a client reaches without TLS verification: it would send it over
plain http (and to whoever answers with any certificate). skopeo with
`--tls-verify=false`; other clients' flags (cosign, kaniko, helm, ...; a `sh` stands in
for the client); registries.conf's `insecure = true` on a prefix, a location or a
mirror; Docker's `insecure-registries` (with or without a scheme, CIDR), Docker
Desktop's daemon.json, a running dockerd's `--insecure-registry` and `--config-file`.
With TLS verification on, the token still goes.

Origins: red team round 4 (tests/e2e/test_redteam_round4.py); issue #11 loose ends
(tests/e2e/test_sec_followups.py). The parsers behind it, table by table:
tests/unit/doors/test_insecure_registries.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.tls_off_registry import needs_outside, tokens_sent
from support import (
    describe,
    run_cmd,
)

REDIRECTED = {
    "insecure mirror": (
        '[[registry]]\nlocation = "example.invalid"\n'
        '[[registry.mirror]]\nlocation = "{hostport}"\ninsecure = true\n'
    ),
    "insecure location behind a prefix": (
        '[[registry]]\nprefix = "example.invalid"\nlocation = "{hostport}"\ninsecure = true\n'
    ),
}


@needs_outside
@pytest.mark.parametrize("conf", REDIRECTED.values(), ids=list(REDIRECTED))
def test_skopeo_sent_to_an_insecure_mirror_or_location_gets_no_token(
    aqora,
    served_outside,
    plain_registry,
    conf,
):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    env, hostport = served_outside
    _, seen = plain_registry
    user_conf = Path(env["XDG_CONFIG_HOME"]) / "containers" / "registries.conf"
    user_conf.parent.mkdir(parents=True, exist_ok=True)  # setup wrote a drop-in there
    user_conf.write_text(conf.format(hostport=hostport))
    argv = ["skopeo", "inspect", "--raw", "docker://example.invalid/demo/app:1"]
    proc = run_cmd(argv, env, timeout=120)
    assert proc.returncode != 0, describe(proc)
    assert tokens_sent(seen, aqora) == [], describe(proc)
    assert "without TLS verification" in proc.stderr, describe(proc)
    user_conf.write_text(conf.format(hostport=hostport).replace("insecure = true", ""))
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 0, describe(get)  # a verified mirror still gets the token


@needs_outside
@pytest.mark.parametrize(
    "flag",
    [
        "--allow-insecure-registry",
        "--allow-http-registry=true",
        "--skip-tls-verify",
        "--skip-tls-verify-pull",
        "--insecure-pull",
        "--insecure-skip-tls-verify",
        "--skip-tls-verify-registry=REGISTRY",
    ],
)
def test_a_client_flag_that_skips_tls_verification_gets_no_token(
    aqora,
    served_outside,
    flag,
):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    env, hostport = served_outside
    script = 'printf %s "$0" | docker-credential-aqora get; exit $?'  # no exec: sh stays parent
    argv = ["sh", "-c", script, hostport, flag.replace("REGISTRY", hostport)]
    proc = run_cmd(argv, env)
    assert proc.returncode == 1 and "without TLS verification" in proc.stdout, describe(proc)
    assert not any(t in proc.stdout + proc.stderr for t in aqora.issued_tokens())
    plain = run_cmd(argv[:-1], env)
    assert plain.returncode == 0 and "Secret" in plain.stdout, describe(plain)


def start_fake_dockerd(
    tmp_path: Path, env: dict[str, str], *args: str
) -> subprocess.Popen[bytes]:
    """A process named `dockerd` (a sleeping Python run through a link of that name) with
    its pid in `$XDG_RUNTIME_DIR/docker.pid`, as a rootless dockerd writes it."""
    link = tmp_path / "dockerd"
    link.symlink_to(sys.executable)
    proc = subprocess.Popen([link, "-c", "import time; time.sleep(120)", *args])
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    (runtime / "docker.pid").write_text(f"{proc.pid}\n")
    env["XDG_RUNTIME_DIR"] = str(runtime)
    for _ in range(100):  # until it runs as dockerd
        if Path(f"/proc/{proc.pid}/comm").read_text().strip() == "dockerd":
            return proc
        time.sleep(0.05)
    raise AssertionError("the stand-in dockerd did not start")


@needs_outside
@pytest.mark.parametrize("how", ["~/.docker/daemon.json", "flag", "flag=", "--config-file"])
def test_a_local_dockerd_told_a_registry_is_insecure_gets_no_token(
    aqora,
    served_outside,
    tmp_path,
    how,
):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    env, hostport = served_outside
    config = json.dumps({"insecure-registries": [hostport]})
    daemon = None
    if how == "~/.docker/daemon.json":
        (Path(env["HOME"]) / ".docker" / "daemon.json").write_text(config)
    elif how == "--config-file":
        (tmp_path / "elsewhere.json").write_text(config)
        elsewhere = str(tmp_path / "elsewhere.json")
        daemon = start_fake_dockerd(tmp_path, env, "--config-file", elsewhere)
    else:
        flag = (
            ["--insecure-registry=" + hostport]
            if how == "flag="
            else ["--insecure-registry", hostport]
        )
        daemon = start_fake_dockerd(tmp_path, env, "--debug", *flag)
    try:
        get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    finally:
        if daemon is not None:
            daemon.kill()
            daemon.wait()
    assert get.returncode == 1 and "without TLS verification" in get.stdout, describe(get)
    assert not any(t in get.stdout + get.stderr for t in aqora.issued_tokens())
    again = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert (again.returncode == 0) == (daemon is not None), describe(again)


# --- 6. no token for a registry reached without TLS verification -------------------------


@needs_outside
@pytest.mark.parametrize("insecure_by", ["--tls-verify=false", "registries.conf", "flag file"])
def test_skopeo_without_tls_verification_gets_no_token(
    aqora, served_outside, plain_registry, tmp_path, insecure_by
):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    _, seen = plain_registry
    conf = f'[[registry]]\nlocation = "{hostport}"\ninsecure = true\n'
    global_options: list[str] = []
    inspect_options: list[str] = []
    if insecure_by == "--tls-verify=false":
        inspect_options = ["--tls-verify=false"]
    elif insecure_by == "registries.conf":
        user_conf = Path(env["XDG_CONFIG_HOME"]) / "containers" / "registries.conf"
        user_conf.parent.mkdir(parents=True, exist_ok=True)  # setup wrote a drop-in there
        user_conf.write_text(conf)
    else:
        (tmp_path / "registries.conf").write_text(conf)
        global_options = ["--registries-conf", str(tmp_path / "registries.conf")]
    ref = f"docker://{hostport}/demo/app:1"
    argv = ["skopeo", *global_options, "inspect", "--raw", *inspect_options, ref]
    proc = run_cmd(argv, env, timeout=120)
    assert proc.returncode != 0, describe(proc)
    assert tokens_sent(seen, aqora) == [], describe(proc)
    assert "without TLS verification" in proc.stderr, describe(proc)


@needs_outside
def test_skopeo_with_tls_verification_still_gets_the_token(aqora, served_outside, plain_registry):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    _, seen = plain_registry
    proc = run_cmd(["skopeo", "inspect", "--raw", f"docker://{hostport}/demo/app:1"], env)
    assert proc.returncode != 0 and "tls" in proc.stderr.lower(), describe(proc)
    assert "without TLS verification" not in proc.stderr, describe(proc)
    assert tokens_sent(seen, aqora) == []  # https only: the plain-http server got nothing
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 0, describe(get)
    assert aqora.is_valid_access_token(json.loads(get.stdout)["Secret"])


@needs_outside
@pytest.mark.parametrize("entry_text", ["{hostport}", "{host}", "{net}"])
def test_docker_insecure_registries_get_no_token(aqora, served_outside, entry_text):
    """Origin: issue #11 loose ends (was tests/e2e/test_sec_followups.py)."""
    env, hostport = served_outside
    host = hostport.rsplit(":", 1)[0]
    listed = entry_text.format(hostport=hostport, host=host, net=host + "/24")
    daemon = Path(env["XDG_CONFIG_HOME"]) / "docker" / "daemon.json"  # rootless Docker's
    daemon.parent.mkdir(parents=True, exist_ok=True)
    daemon.write_text(json.dumps({"insecure-registries": [listed]}))
    get = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert get.returncode == 1 and "without TLS verification" in get.stdout, describe(get)
    assert str(daemon) in get.stdout
    assert not any(t in get.stdout + get.stderr for t in aqora.issued_tokens())
    daemon.write_text(json.dumps({"insecure-registries": ["other.example:5000", "10.0.0.0/8"]}))
    again = run_cmd(["docker-credential-aqora", "get"], env, input=hostport)
    assert again.returncode == 0, describe(again)
