"""A newcomer's whole day in a fresh HOME, following only the README: log in to one
environment (not aqora.io), set up git, Docker, pip and uv with no --url, check status
and doctor, get a token, then undo every setup and log out; nothing of the clients'
is left behind (only aqora-helper's own config, cache and data folders)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from support import base_url, describe, run_cmd

OWN = {".cache", ".config/aqora-helper", ".local/share/aqora-helper", ".local/state"}


def ok(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    proc = run_cmd(["aqora-helper", *args], env, input=stdin)
    assert proc.returncode == 0, describe(proc)
    assert "Traceback" not in proc.stderr
    return proc


def leftovers(home: Path) -> list[str]:
    """Files and folders under `home` that are not aqora-helper's own."""
    found = []
    for path in home.rglob("*"):
        rel = str(path.relative_to(home))
        if not any(rel == own or rel.startswith(own + "/") for own in OWN):
            if not any(own.startswith(rel + "/") for own in OWN):  # a parent of ours
                found.append(rel)
    return sorted(found)


def test_login_setup_everything_then_undo_it_all(aqora, user_env):
    """Origin: the user-study newcomer's day (was tests/e2e/test_people_newcomer.py)."""
    drop = ("PIP_CONFIG_FILE", "UV_NO_CONFIG", "DOCKER_CONFIG")
    env = {k: v for k, v in user_env.items() if k not in drop}
    home = Path(env["HOME"])
    url = base_url(aqora.url)
    index = f"{url}simple/"

    login = ok(env, "login", "--url", aqora.url, "--username", "alice", "--password-stdin",
               stdin="pw\n")  # fmt: skip
    assert f"Logged in to {url} as alice" in login.stderr
    registry = "127.0.0.1:5999"  # the registry host aqora gives, named as the README says
    for args in (["git"], ["docker", registry], ["pip", "--index-url", index, "--extra"],
                 ["uv", "--index-url", index]):  # fmt: skip
        proc = ok(env, "setup", *args)  # the only environment logged in to is the default
        assert re.search(r"^will change .*:$", proc.stdout, re.M), describe(proc)
        assert re.search(r"^wrote: ", proc.stdout, re.M), describe(proc)
        if args[0] != "docker":  # the index is on the API host: served already
            assert "config: added" not in proc.stderr
    assert (home / ".gitconfig").exists() and (home / ".docker" / "config.json").exists()

    status = ok(env, "status")
    assert url in status.stdout and "alice" in status.stdout
    doctor = run_cmd(["aqora-helper", "doctor"], env)
    for check in ("git", "docker", "pip", "uv"):
        assert re.search(rf"^ok +{check}: ", doctor.stdout, re.M), describe(doctor)
    token = ok(env, "token").stdout.strip()
    assert aqora.is_valid_access_token(token)

    for tool in ("git", "docker", "pip", "uv"):
        proc = ok(env, "setup", tool, "--remove")
        assert re.search(r"^(removed|wrote): ", proc.stdout, re.M), describe(proc)
        if tool == "docker":
            assert f"also removed the empty folder {home / '.docker'}" in proc.stdout
    logout = ok(env, "logout")
    assert f"Logged out of {url}" in logout.stderr
    assert leftovers(home) == []
    assert run_cmd(["aqora-helper", "status"], env).returncode == 1
