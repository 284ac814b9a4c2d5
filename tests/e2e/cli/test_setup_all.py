"""`aqora-helper setup all` sets up every client found (pip, uv, git, Docker's clients and
the containers drop-in) in one command, and `setup all --remove` undoes every setup of
every environment, each of the user's files given back byte for byte. A refusal (pip
asked to choose for an index with no public packages) or `--dry-run` writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support import base_url, describe, run_cmd, write_config

USER_FILES = {
    ".gitconfig": b"[user]\n\tname = Alice\n",
    ".docker/config.json": b'{\n  "auths": {},\n  "detachKeys": "ctrl-e,e"\n}\n',
    ".config/pip/pip.conf": b"[global]\ntimeout = 60\n",
    ".config/uv/uv.toml": b"native-tls = true  # mine\n",
}
REGISTRY = "127.0.0.1:5999"


@pytest.fixture
def home(aqora, user_env, login) -> tuple[dict[str, str], Path]:
    """Logged in to the stand-in, its API host served; the user's own client files."""
    drop = ("PIP_CONFIG_FILE", "UV_NO_CONFIG", "DOCKER_CONFIG")
    env = {k: v for k, v in user_env.items() if k not in drop}
    write_config(env, f'url = "{aqora.url}"\n')
    login(env=env)
    root = Path(env["HOME"])
    for name, data in USER_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return env, root


def snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in USER_FILES}


def helper(env: dict[str, str], *args: str):
    return run_cmd(["aqora-helper", *args], env)


def test_setup_all_then_remove_gives_every_file_back(aqora, home):
    env, root = home
    index = f"{base_url(aqora.url)}simple/"
    proc = helper(env, "setup", "all", "--index-url", index, "--extra", "--registry", REGISTRY)
    assert proc.returncode == 0, describe(proc)
    assert [line for line in proc.stderr.splitlines() if line.startswith("-- ")] == [
        "-- pip", "-- uv", "-- git", "-- docker",
    ]  # fmt: skip
    changed = snapshot(root)
    assert all(changed[name] != data for name, data in USER_FILES.items()), changed
    assert b"aqora" in changed[".docker/config.json"] and REGISTRY.encode() in changed[
        ".docker/config.json"
    ]
    dropin = root / ".config/containers/registries.conf.d"
    assert any(dropin.glob("*aqora*")), "the containers drop-in was not written"
    doctor = helper(env, "doctor")
    for check in ("git", "docker", "pip", "uv"):
        assert re.search(rf"^ok +{check}: ", doctor.stdout, re.M), describe(doctor)

    removed = helper(env, "setup", "all", "--remove")
    assert removed.returncode == 0, describe(removed)
    assert snapshot(root) == USER_FILES, describe(removed)
    assert not any(dropin.glob("*aqora*")), describe(removed)
    again = helper(env, "setup", "all", "--remove")  # nothing left to undo: still fine
    assert again.returncode == 0, describe(again)
    assert snapshot(root) == USER_FILES


def test_a_refusal_or_a_dry_run_writes_nothing(aqora, home):
    env, root = home
    index = f"{base_url(aqora.url)}simple/"  # the stand-in serves no public packages
    config = Path(env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
    before = config.read_bytes()

    refused = helper(env, "setup", "all", "--index-url", index, "--registry", REGISTRY)
    assert refused.returncode == 1, describe(refused)
    assert "serves no public packages" in refused.stderr and "--extra" in refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert last == "setup all: pip failed (said above); nothing after it was set up"
    assert snapshot(root) == USER_FILES
    assert config.read_bytes() == before  # the registry was not added as a host either

    dry = helper(env, "setup", "all", "--index-url", index, "--extra", "--dry-run")
    assert dry.returncode == 0, describe(dry)
    assert "would change" in dry.stdout
    assert snapshot(root) == USER_FILES and config.read_bytes() == before


def test_without_a_registry_docker_is_skipped_not_pointed_at_the_api(aqora, home):
    env, root = home
    proc = helper(env, "setup", "all")
    assert proc.returncode == 0, describe(proc)
    assert "skipped: pip and uv (no --index-url)" in proc.stderr
    assert "skipped: Docker (no registry host: --registry HOST" in proc.stderr
    assert snapshot(root)[".docker/config.json"] == USER_FILES[".docker/config.json"]
    assert snapshot(root)[".gitconfig"] != USER_FILES[".gitconfig"]  # git was set up


def test_remove_takes_no_setup_options(home):
    env, _ = home
    proc = helper(env, "setup", "all", "--remove", "--extra")
    assert proc.returncode == 2, describe(proc)
    assert "--remove takes no" in proc.stderr
