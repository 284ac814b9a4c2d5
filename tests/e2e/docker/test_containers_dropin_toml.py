"""The containers drop-in `setup docker` writes is valid TOML whatever the helper names
in the user's registries.conf (one outside the Basic Multilingual Plane was written as a
JSON surrogate pair, which TOML forbids: skopeo, podman and buildah then refused every
command), and skopeo still runs with it: it asks aqora first, then the user's helpers."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from support import describe, run_cmd

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEY_HELPER = "\U0001f511"  # the user's credential helper: docker-credential-🔑


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo missing (tests/run installs it)")
def test_skopeo_runs_with_the_drop_in_of_a_non_bmp_helper_name(user_env, tmp_path):
    config_dir = Path(user_env["HOME"]) / ".config" / "containers"
    config_dir.mkdir(parents=True)
    (config_dir / "registries.conf").write_text(
        f'credential-helpers = ["containers-auth.json", "{KEY_HELPER}"]\n', encoding="utf-8"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / f"docker-credential-{KEY_HELPER}"
    answer = json.dumps({"ServerURL": "other.example", "Username": "key-user", "Secret": "s"})
    helper.write_text(f"#!/bin/sh\ncat >/dev/null\necho '{answer}'\n", encoding="utf-8")
    helper.chmod(0o755)
    env = dict(user_env, PATH=f"{bin_dir}:{user_env['PATH']}")

    setup = run_cmd(["aqora-helper", "setup", "docker", "registry.aqora.example"], env)
    assert setup.returncode == 0, describe(setup)
    dropin = config_dir / "registries.conf.d" / "zz-aqora-helper.conf"
    helpers = tomllib.loads(dropin.read_text(encoding="utf-8"))["credential-helpers"]
    assert helpers == ["aqora", "containers-auth.json", KEY_HELPER]

    login = run_cmd(["skopeo", "login", "--get-login", "other.example"], env)
    assert login.returncode == 0, describe(login)
    assert login.stdout.strip() == "key-user"

    removed = run_cmd(["aqora-helper", "setup", "docker", "--remove"], env)
    assert removed.returncode == 0, describe(removed)
    assert not dropin.exists()
