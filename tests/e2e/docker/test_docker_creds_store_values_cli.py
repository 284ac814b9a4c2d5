"""`aqora-helper setup docker --creds-store HOST` and `--remove` from the command line:
`credsStore: null` (and `""`) is set up and undone byte for byte; a value that is no
store name is refused before anything is written, the config file's new host included.
(Every spelling: tests/unit/test_docker_creds_store_values.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from support import config_path, describe, run_cmd

ORIGINAL = '{\n  "auths": {},\n  "credsStore": %s\n}\n'


def docker_config(user_env: dict[str, str], value: str) -> Path:
    path = Path(user_env["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ORIGINAL % value)
    return path


@pytest.mark.parametrize("value", ["null", '""'])
def test_no_store_is_set_up_and_undone_byte_for_byte(user_env, value) -> None:
    path = docker_config(user_env, value)
    setup = run_cmd(["aqora-helper", "setup", "docker", "--creds-store", "registry.example"],
                    user_env)  # fmt: skip
    assert setup.returncode == 0, describe(setup)
    assert "the OS keyring keeps other registries' credentials" in setup.stdout, describe(setup)
    again = run_cmd(["aqora-helper", "setup", "docker", "--creds-store"], user_env)
    assert again.returncode == 0, describe(again)
    removed = run_cmd(["aqora-helper", "setup", "docker", "--remove"], user_env)
    assert removed.returncode == 0, describe(removed)
    assert path.read_text() == ORIGINAL % value


@pytest.mark.parametrize("value", ["5", "true", '"no such store!"'])
def test_a_value_that_is_no_store_changes_nothing(user_env, value) -> None:
    path = docker_config(user_env, value)
    setup = run_cmd(["aqora-helper", "setup", "docker", "--creds-store", "registry.example"],
                    user_env)  # fmt: skip
    assert setup.returncode == 1, describe(setup)
    assert setup.stderr.startswith("error: ") and "credsStore" in setup.stderr, describe(setup)
    assert path.read_text() == ORIGINAL % value
    assert not config_path(user_env).exists()  # the host was not added either
    assert not (Path(user_env["XDG_DATA_HOME"]) / "aqora-helper").exists()
