"""install.sh run as a user runs it (tests/e2e: install, upgrade, uninstall).

- `pip_cache` (session): pip's cache for every install of the run (never the real
  HOME's).
- `clone`: a copy of the clone, as a user's checkout (tests and build output left out).
- `env`: the user's environment for install.sh (only its bin dir and the system on PATH,
  pip's cache private, no machine pip/uv config).
- `install(clone, env, *args)`, `helper(env, *args)`, `prefix(env)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO, run_cmd

PYTHON = os.path.realpath(sys.executable)  # the base interpreter, not the test venv's


@pytest.fixture(scope="session")
def pip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip's cache for every install of the run (never the real HOME's): one download."""
    return tmp_path_factory.mktemp("pip-cache")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the clone, as a user's checkout (tests and build output left out)."""
    dest = tmp_path / "clone"
    shutil.copytree(
        REPO,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "tests", "build", "*.egg-info", "__pycache__"
        ),
    )
    return dest


@pytest.fixture
def env(user_env: dict[str, str], pip_cache: Path, tmp_path: Path) -> dict[str, str]:
    """The user's environment: only the install's bin dir and the system on PATH (no
    `keyring` from the test venv), pip's cache private, no machine pip/uv config."""
    env = dict(user_env)
    home = Path(env["HOME"])
    env["PATH"] = f"{home}/.local/bin:/usr/bin:/bin"
    env["PIP_CACHE_DIR"] = str(pip_cache)
    env["PIP_RETRIES"] = "0"
    empty = tmp_path / "no-system-config"
    empty.mkdir()
    env["XDG_CONFIG_DIRS"] = str(empty)
    return env


def install(clone: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["sh", clone / "install.sh", "--python", PYTHON, *args], env, timeout=600)


def helper(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cmd([Path(env["HOME"]) / ".local/bin/aqora-helper", *args], env, input=stdin)


def prefix(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "aqora-helper" / "venv"
