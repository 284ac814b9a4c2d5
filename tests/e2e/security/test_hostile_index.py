"""Issue #11, classes 1 and 2, with real pip (import mode; subprocess mode in its new
`--mode=creds` form and, through an older bundled pip, its old `keyring get` form) and
real uv, against an attacker's index (servers/hostile_index.py: always 401, records
every credential sent). The index's made-up host name reaches the local server through
the client's proxy setting, over plain http.

1. An index named `aqora-helper` (the name earlier versions stored sessions under; the
   session is planted there as an upgraded user has it) never receives our session.
2. An index on a served but non-loopback host over plain http never receives a token.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from servers.aqora import AqoraServer
from servers.hostile_index import HostileIndex
from shared.pip_index import fresh_venv
from shared.remote_host import REMOTE, plant_legacy, serve_remote
from support import LEGACY_SERVICE, base_url, describe, keyring_secret, run_cmd

CLIENTS = ["pip-import", "pip-subprocess", "pip-subprocess-old", "uv"]


@pytest.fixture
def remote(aqora: AqoraServer, user_env: dict[str, str], login: Any) -> dict[str, str]:
    return serve_remote(aqora, user_env, login)


@pytest.fixture
def hostile() -> Any:
    with HostileIndex() as server:
        yield server


def install(
    client: str, host: str, user: str, env: dict[str, str], proxy: str, tmp_path: Path
) -> Any:
    """Install `tinypkg` from `http://<user>@<host>/simple/` (uv: no username, but
    `authenticate = "always"`) through `proxy`, asking keyring as `client` does."""
    index = f"http://{user}@{host}/simple/"
    common = ["install", "--no-cache-dir", "--no-input", "--disable-pip-version-check",
              "--retries", "0", "--proxy", proxy, "--trusted-host", host, "--index-url", index]  # fmt: skip
    if client == "pip-import":
        venv = fresh_venv(tmp_path / "v")
        args = [sys.executable, "-m", "pip", *common, "--keyring-provider", "import",
                "--prefix", venv, "tinypkg"]  # fmt: skip
    elif client == "pip-subprocess":  # pip 26.x: keyring --mode=creds --output=json get
        venv = fresh_venv(tmp_path / "v")
        args = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", *common,
                "--keyring-provider", "subprocess", "tinypkg"]  # fmt: skip
    elif client == "pip-subprocess-old":  # the venv's bundled pip: keyring get SERVICE USER
        venv = fresh_venv(tmp_path / "v", with_pip=True)
        args = [venv / "bin" / "python", "-m", "pip", *common,
                "--keyring-provider", "subprocess", "tinypkg"]  # fmt: skip
    else:
        venv = fresh_venv(tmp_path / "v")
        config = tmp_path / "uv.toml"
        config.write_text(
            f'[[index]]\nname = "evil"\nurl = "http://{host}/simple/"\ndefault = true\n'
            'authenticate = "always"\n'
        )
        env = dict(env, HTTP_PROXY=proxy, http_proxy=proxy)
        args = ["uv", "pip", "install", "--no-cache", "--config-file", config,
                "--keyring-provider", "subprocess", "--python", venv / "bin" / "python",
                "tinypkg"]  # fmt: skip
    return run_cmd(args, env, timeout=300)


@pytest.mark.parametrize("client", CLIENTS)
def test_an_index_named_like_our_store_never_gets_the_session(
    aqora: AqoraServer, remote, hostile, client, tmp_path
):
    """Origin: issue #11, classes 1 and 2, with real pip and uv (was tests/e2e/test_sec_keyring_e2e.py)."""
    raw = plant_legacy(remote, aqora.url)
    refresh = json.loads(raw)["refresh_token"]
    # the username an attacker guesses: the environment's URL, our store's username
    user = quote(base_url(aqora.url), safe="")
    proc = install(client, "aqora-helper", user, remote, hostile.url, tmp_path)
    assert proc.returncode != 0, describe(proc)
    if client != "uv":  # uv refuses to send a request without credentials
        assert hostile.seen, describe(proc)
    sent = hostile.passwords()
    assert not any(refresh in p or "client_id" in p for p in sent), sent
    assert refresh not in proc.stdout + proc.stderr
    assert keyring_secret(remote, aqora.url, LEGACY_SERVICE) == raw  # nothing rotated


@pytest.mark.parametrize("client", CLIENTS)
def test_a_served_remote_host_over_plain_http_never_gets_a_token(
    aqora: AqoraServer, remote, hostile, client, tmp_path
):
    """Origin: issue #11, classes 1 and 2, with real pip and uv (was tests/e2e/test_sec_keyring_e2e.py)."""
    proc = install(client, REMOTE, "aqora", remote, hostile.url, tmp_path)
    assert proc.returncode != 0, describe(proc)
    if client != "uv":
        assert hostile.seen, describe(proc)
    assert {s.host for s in hostile.seen} <= {REMOTE}, hostile.seen
    sent = hostile.passwords()
    assert not any(aqora.is_valid_access_token(p) for p in sent), sent
    assert not any(t in p for t in aqora.issued_tokens() for p in sent), sent
