"""A token-checking package index and the pip/uv steps around it (tests/e2e: pip, uv,
the `keyring` program, the Python packaging clients).

`index` serves `tinypkg` 0.1 and accepts only access tokens currently valid at the
aqora stand-in; `pkg_env` is the user logged in, with the index host served.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from servers.index_server import IndexServer, build_wheel
from support import describe, make_cached_token_stale, run_cmd, write_config

USERNAME = "pypi-user"  # the environment's configured username (any works at the index)


@pytest.fixture
def index(aqora: AqoraServer, tmp_path: Path) -> Iterator[IndexServer]:
    with IndexServer(aqora.is_valid_access_token) as srv:
        srv.add_file(build_wheel(tmp_path / "wheels", "tinypkg", "0.1"))
        yield srv


@pytest.fixture
def pkg_env(
    aqora: AqoraServer,
    index: IndexServer,
    user_env: dict[str, str],
    login: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> dict[str, str]:
    """Logged in; the index host is a served host of the stand-in's environment."""
    api_host = aqora.url.split("://", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n'
        f'[environments."{aqora.url}"]\n'
        f'hosts = ["{api_host}", "127.0.0.1:{index.port}"]\n'
        f'username = "{USERNAME}"\n',
    )
    login()
    for name in list(user_env):
        if name.startswith(("TWINE_", "POETRY_", "UV_INDEX", "PIP_INDEX", "PIP_EXTRA")):
            del user_env[name]
    empty = tmp_path / "no-system-config"
    empty.mkdir()
    user_env["XDG_CONFIG_DIRS"] = str(empty)  # no /etc/xdg/pip/pip.conf, no /etc/xdg/uv
    return user_env


def fresh_venv(path: Path, with_pip: bool = False) -> Path:
    args = [sys.executable, "-m", "venv", str(path)]
    if not with_pip:
        args.insert(3, "--without-pip")
    subprocess.run(args, check=True, capture_output=True, timeout=300)
    return path


def imported_version(venv: Path, env: dict[str, str]) -> str:
    proc = run_cmd(
        [venv / "bin" / "python", "-c", "import tinypkg; print(tinypkg.VERSION, tinypkg.__file__)"],
        env,
    )
    assert proc.returncode == 0, describe(proc)
    version, where = proc.stdout.split()
    assert where.startswith(str(venv)), where
    return version


def assert_authenticated_by_keyring(index: IndexServer, after_401: bool = True) -> None:
    """The index accepted the token, under the environment's configured username; pip
    asks keyring only after a 401 (uv with `authenticate = "always"` asks up front)."""
    if after_401:
        assert index.rejected(), index.seen
        assert all(s.method == "GET" for s in index.rejected()), index.seen
    accepted = index.accepted()
    assert accepted, index.seen
    assert {s.username for s in accepted} == {USERNAME}, accepted


def make_stale(aqora: AqoraServer, user_env: dict[str, str]) -> int:
    """The stand-in rejects every token issued so far, and the cached one has expired."""
    aqora.expire_access_tokens()
    make_cached_token_stale(user_env, aqora.url)
    return aqora.refresh_calls


def user_config_env(env: dict[str, str]) -> dict[str, str]:
    """The user's own pip/uv config files are read (the machine's are not)."""
    env = dict(env)
    env.pop("PIP_CONFIG_FILE", None)
    env.pop("UV_NO_CONFIG", None)
    return env


def setup(tool: str, env: dict[str, str], index: IndexServer, *extra: str) -> None:
    """`setup TOOL --index-url INDEX EXTRA...`; `--replace` unless EXTRA chooses (the test
    index serves no public packages: without a choice, pip's setup asks for one)."""
    if "--extra" not in extra and "--replace" not in extra:
        extra = (*extra, "--replace")
    proc = run_cmd(["aqora-helper", "setup", tool, "--index-url", index.simple_url, *extra], env)
    assert proc.returncode == 0, describe(proc)


def uv_configured(env: dict[str, str], index: IndexServer, venv: Path, spec: str) -> None:
    proc = run_cmd(
        ["uv", "pip", "install", "--no-cache", "--python", venv / "bin" / "python", spec],
        user_config_env(env), timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, describe(proc)
