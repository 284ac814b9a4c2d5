"""A served host that is not loopback (`REMOTE`), and a session where earlier versions
kept it (tests/e2e: the keyring attacks through the program, the library, pip and uv)."""

from __future__ import annotations

import sys
from typing import Any

from aqora_helper.fast.keyring_names import LEGACY_SERVICE, SESSION_SERVICE
from servers.aqora import AqoraServer
from support import base_url, describe, keyring_secret, run_cmd, write_config

REMOTE = "pypi.aqora.example"  # a served host that is not loopback
USERNAME = "pypi-user"

PLANT_LEGACY = f"""
import sys
from keyring.backends.SecretService import Keyring
kr, url = Keyring(), sys.argv[1]
raw = kr.get_password({SESSION_SERVICE!r}, url)
if raw is not None:
    kr.set_password({LEGACY_SERVICE!r}, url, raw)
    kr.delete_password({SESSION_SERVICE!r}, url)
"""


def plant_legacy(env: dict[str, str], url: str) -> str:
    """Put the session where earlier versions kept it (service `aqora-helper`), as an
    upgraded user has it; returns the raw secret."""
    proc = run_cmd([sys.executable, "-c", PLANT_LEGACY, base_url(url)], env)
    assert proc.returncode == 0, describe(proc)
    raw = keyring_secret(env, url, LEGACY_SERVICE)
    assert raw is not None and keyring_secret(env, url) is None
    return raw


def serve_remote(aqora: AqoraServer, user_env: dict[str, str], login: Any) -> dict[str, str]:
    """Logged in; the environment serves its API host and REMOTE; a valid cached token."""
    api_host = aqora.url.split("://", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}", "{REMOTE}"]\nusername = "{USERNAME}"\n',
    )
    login()
    warm = run_cmd(["aqora-helper", "token"], user_env)
    assert warm.returncode == 0, describe(warm)
    return user_env
