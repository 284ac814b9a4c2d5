"""`aqora-helper setup docker` as a command: setup and remove, no Docker config, the
default config location, the `credsStore: aqora` warning, clean errors.

The Docker config editor itself: tests/unit/setup/test_docker.py.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import describe, write_config

DOCKER_CLI_STYLE = (
    '{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "dXNlcjpwYXNz"\n'
    '\t\t},\n\t\t"ghcr.io": {}\n\t},\n\t"credsStore": "desktop",\n'
    '\t"currentContext": "default"\n}'
)


def test_cli_setup_and_remove(
    user_env: dict[str, str], run: Callable[..., Any], tmp_path: Path
) -> None:
    write_config(
        user_env,
        'url = "https://aqora.example"\n'
        '[environments."https://aqora.example/"]\n'
        'hosts = ["registry.aqora.example", "aqora.example"]\n'
        '[environments."http://127.0.0.1:8080/"]\n'
        'hosts = ["127.0.0.1:5000"]\n',
    )
    config = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text(DOCKER_CLI_STYLE)
    config.chmod(0o644)

    proc = run(["aqora-helper", "setup", "docker", "--url", "http://127.0.0.1:8080"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert json.loads(config.read_text())["credHelpers"] == {"127.0.0.1:5000": "aqora"}

    proc = run(["aqora-helper", "setup", "docker"], user_env)
    assert proc.returncode == 0, describe(proc)
    doc = json.loads(config.read_text())
    assert doc["credHelpers"] == {
        "127.0.0.1:5000": "aqora",
        "registry.aqora.example": "aqora",
        "aqora.example": "aqora",
    }
    assert doc["credsStore"] == "desktop"
    assert "registry.aqora.example" in proc.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o644

    proc = run(
        ["aqora-helper", "setup", "docker", "--remove", "--url", "https://aqora.example"], user_env
    )
    assert proc.returncode == 0, describe(proc)
    assert json.loads(config.read_text())["credHelpers"] == {"127.0.0.1:5000": "aqora"}

    proc = run(["aqora-helper", "setup", "docker", "--remove"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert config.read_text() == DOCKER_CLI_STYLE
    assert stat.S_IMODE(config.stat().st_mode) == 0o644


def test_cli_without_a_docker_config(user_env: dict[str, str], run: Callable[..., Any]) -> None:
    write_config(user_env, '[environments."https://aqora.example/"]\nhosts = ["r.aqora.example"]\n')
    docker_dir = Path(user_env["DOCKER_CONFIG"])
    proc = run(["aqora-helper", "setup", "docker", "--url", "https://aqora.example/"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert json.loads((docker_dir / "config.json").read_text()) == {
        "credHelpers": {"r.aqora.example": "aqora"}
    }
    proc = run(["aqora-helper", "setup", "docker", "--remove"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert not docker_dir.exists()


def test_cli_default_docker_config_location(
    user_env: dict[str, str], run: Callable[..., Any]
) -> None:
    env = {k: v for k, v in user_env.items() if k != "DOCKER_CONFIG"}
    write_config(env, '[environments."https://aqora.example/"]\nhosts = ["r.aqora.example"]\n')
    proc = run(["aqora-helper", "setup", "docker", "--url", "https://aqora.example"], env)
    assert proc.returncode == 0, describe(proc)
    config = Path(env["HOME"]) / ".docker" / "config.json"
    assert json.loads(config.read_text())["credHelpers"] == {"r.aqora.example": "aqora"}


def test_cli_warns_about_credsstore_aqora(
    user_env: dict[str, str], run: Callable[..., Any]
) -> None:
    write_config(user_env, '[environments."https://aqora.example/"]\nhosts = ["r.aqora.example"]\n')
    config = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text('{"credsStore": "aqora"}')
    proc = run(["aqora-helper", "setup", "docker", "--url", "https://aqora.example"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert "warning:" in proc.stderr and "credsStore" in proc.stderr
    assert json.loads(config.read_text())["credsStore"] == "aqora"  # left to the user


def test_cli_unknown_url_and_broken_file_are_clean_errors(
    user_env: dict[str, str], run: Callable[..., Any]
) -> None:
    write_config(user_env, '[environments."https://aqora.example/"]\nhosts = ["r.aqora.example"]\n')
    proc = run(["aqora-helper", "setup", "docker", "--url", "https://nope.example"], user_env)
    assert proc.returncode == 1, describe(proc)
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr
    config = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir()
    config.write_text("{broken")
    proc = run(["aqora-helper", "setup", "docker"], user_env)
    assert proc.returncode == 1, describe(proc)
    assert "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
    assert config.read_text() == "{broken"
    assert os.path.exists(config)


def test_no_registry_host_is_asked_for_not_taken_from_the_api(
    aqora: Any, user_env: dict[str, str], login: Callable[..., Any], run: Callable[..., Any]
) -> None:
    """Logged in, with no registry host configured: only aqora's API host is served, and
    it is not a container registry. `setup docker` asks for the registry and writes
    nothing; named, the registry is set up (and added to the hosts)."""
    write_config(user_env, f'url = "{aqora.url}"\n')
    login()
    config_toml = Path(user_env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"
    before = config_toml.read_bytes()
    docker_config = Path(user_env["DOCKER_CONFIG"]) / "config.json"

    proc = run(["aqora-helper", "setup", "docker"], user_env)
    assert proc.returncode == 1, describe(proc)
    first, second = proc.stderr.strip().splitlines()[-2:]
    assert first.startswith("error: No registry host is configured: 127.0.0.1:"), first
    assert "is aqora's API, not a container registry" in first
    assert second.startswith("hint: Name the registry aqora gave you"), second
    assert not docker_config.exists() and config_toml.read_bytes() == before

    proc = run(["aqora-helper", "setup", "docker", "127.0.0.1:5999"], user_env)
    assert proc.returncode == 0, describe(proc)
    assert json.loads(docker_config.read_text())["credHelpers"] == {"127.0.0.1:5999": "aqora"}
