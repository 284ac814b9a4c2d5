"""Red team, session 4: variants of the earlier findings, played with the real clients.

1. registries.conf sends a client to a served registry without TLS verification through
   a `[[registry]]` whose `location` (not its `prefix`) is that registry, or through an
   insecure `[[registry.mirror]]`: skopeo then asks us for the mirror's (the location's)
   credentials and sends them over plain http. No token for either.
2. A FIFO planted where a client's config file lives (Docker's config.json, pip.conf,
   uv.toml, containers' auth.json and registries.conf drop-in): `setup` and `doctor`
   read those files and waited on it forever. Now it is a two-line error (setup) or a
   failed check (doctor), never a hang.
3. A URL holding credentials (`https://user:password@host/`) given as `--url`,
   `AQORA_URL`, the config file's `url` or an `[environments."..."]` table name was
   echoed whole by the error refusing it (CI logs keep stderr). Now shown as `***@host`.
4. Docker-protocol clients other than skopeo that skip TLS verification by a flag of
   their own (cosign `--allow-insecure-registry`, kaniko `--skip-tls-verify`, helm
   `--insecure-skip-tls-verify`, ...): ggcr-based ones fall back to plain http too. Their
   command line (a `sh` standing in for the client) gets no token either.
5. A static token left in an index URL (`https://aqora:TOKEN@pypi.../simple/`, or the
   token as user name, in pip's or uv's settings from before aqora-helper) of a served
   host was printed by `doctor` in its warning and its fix. Now shown (and pasteable)
   without the password (a user name is kept unless it is a long token).
6. Docker's `insecure-registries` entry written with a scheme (`http://host:port`,
   which dockerd accepts, dropping the scheme with a warning) was not recognised: the
   token went to a registry the daemon reaches over plain http. Nor were Docker
   Desktop's `~/.docker/daemon.json`, a running dockerd's `--insecure-registry` flag or
   its `--config-file` (the classic systemd override) looked at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.tls_off_registry import needs_outside, tokens_sent
from support import assert_clean_failure, describe, run_cmd, write_config

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


# (file under XDG_CONFIG_HOME, or under HOME for Docker's; the setup that edits it)
PLANTED = {
    "docker config.json": ("~/.docker/config.json", ["docker"]),
    "pip.conf": ("pip/pip.conf", ["pip", "--index-url", "https://pypi.example.org/simple/"]),
    "uv.toml": ("uv/uv.toml", ["uv", "--index-url", "https://pypi.example.org/simple/"]),
    "containers drop-in": ("containers/registries.conf.d/zz-aqora-helper.conf", None),
    "containers auth.json": ("containers/auth.json", None),
}


def planted_fifo(env: dict[str, str], where: str) -> Path:
    home, config = Path(env["HOME"]), Path(env["XDG_CONFIG_HOME"])
    path = home / where[2:] if where.startswith("~/") else config / where
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("name", PLANTED)
def test_a_fifo_as_a_client_config_file_never_blocks_setup_or_doctor(aqora, user_env, login, name):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    where, setup = PLANTED[name]
    login()
    fifo = planted_fifo(user_env, where)
    doctor = run_cmd(["aqora-helper", "doctor"], user_env, timeout=45)
    assert doctor.returncode in (0, 1) and "Traceback" not in doctor.stderr, describe(doctor)
    if name == "docker config.json":  # the one whose check reads it for every served host
        assert f"{fifo} is not a regular file" in doctor.stdout, describe(doctor)
    if setup is not None:
        proc = run_cmd(["aqora-helper", "setup", *setup, "--url", aqora.url], user_env, timeout=45)
        assert_clean_failure(proc, f"{fifo} is not a regular file")
    assert fifo.is_fifo()  # left as it was


PASSWORD = "hunter2-S3cret-pw"
CRED_URL = f"https://bob:{PASSWORD}@aqora.example/"
CONFIGS = {
    "--url": ("", {}, ["--url", CRED_URL]),
    "AQORA_URL": ("", {"AQORA_URL": CRED_URL}, []),
    "AQORA_URL, bad port": ("", {"AQORA_URL": f"https://bob:{PASSWORD}/x@h:1/"}, []),
    "config url": (f'url = "{CRED_URL}"\n', {}, []),
    "environment table": (f'[environments."{CRED_URL}"]\nhosts = ["h.example"]\n', {}, []),
    "environment table, bad field": (f'[environments."{CRED_URL}"]\nhosts = 5\n', {}, []),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_a_url_with_a_password_is_refused_without_showing_it(user_env, name):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    config, extra_env, args = CONFIGS[name]
    if config:
        write_config(user_env, config)
    env = dict(user_env, **extra_env)
    for command in (["token", *args], ["status", "--json", *args], ["doctor", *args]):
        proc = run_cmd(["aqora-helper", *command], env)
        assert proc.returncode != 0, describe(proc)
        assert PASSWORD[:8] not in proc.stdout + proc.stderr, describe(proc)
        assert "***@" in proc.stdout + proc.stderr, describe(proc)


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


STATIC = "aqat_0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("variable", ["PIP_EXTRA_INDEX_URL", "UV_INDEX"], ids=["pip", "uv"])
@pytest.mark.parametrize(
    ("userinfo", "shown"), [(f"aqora:{STATIC}@", "aqora@"), (f"{STATIC}@", "")], ids=["pw", "user"]
)
def test_doctor_never_shows_a_static_token_left_in_an_index_url(
    aqora, user_env, login, variable, userinfo, shown
):
    """Origin: red team, round 4 (was tests/e2e/test_redteam_round4.py)."""
    port = aqora.url.rsplit(":", 1)[1]
    hosts = f'["127.0.0.1:{port}", "pypi.example.org"]'
    write_config(user_env, f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = {hosts}\n')
    login()
    url = f"https://{userinfo}pypi.example.org/simple/"
    env = dict(user_env, **{variable: ("aqora=" if variable == "UV_INDEX" else "") + url})
    proc = run_cmd(["aqora-helper", "doctor"], env)
    assert STATIC[:12] not in proc.stdout + proc.stderr, describe(proc)
    assert f"--index-url https://{shown}pypi.example.org/simple/" in proc.stdout, describe(proc)


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
