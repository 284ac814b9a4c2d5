"""install.sh run as a user runs it (tests/e2e: install, upgrade, uninstall).

- `wheelhouse` (session): the wheels install.sh installs from, with no index
  (shared/wheelhouse.py: made once, by tests/run or else by this process).
- `pip_cache` (session): pip's cache for every install of the run (never the real
  HOME's).
- `clone`: a copy of the clone, as a user's checkout (tests and build output left out).
- `env`: the user's environment for install.sh (only its bin dir and the system on PATH,
  pip's cache private, no machine pip/uv config, pip offline on the wheelhouse).
- `install(clone, env, *args)`, `helper(env, *args)`, `prefix(env)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.wheelhouse import READY, build, offline
from support import REPO, run_cmd

PYTHON = os.path.realpath(sys.executable)  # the base interpreter, not the test venv's


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheels of aqora-helper's dependencies and of setuptools (tests/run's, named in
    AQORA_TEST_WHEELHOUSE, else made here once for this process)."""
    given = os.environ.get("AQORA_TEST_WHEELHOUSE")
    if given and (Path(given) / READY).exists():
        return Path(given)
    return build(tmp_path_factory.mktemp("wheelhouse"))


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
def env(
    user_env: dict[str, str], pip_cache: Path, wheelhouse: Path, tmp_path: Path
) -> dict[str, str]:
    """The user's environment: only the install's bin dir and the system on PATH (no
    `keyring` from the test venv), pip's cache private, no machine pip/uv config; pip
    installs from the wheelhouse with no index (`online(env)` gives the index back)."""
    env = offline(user_env, wheelhouse)
    home = Path(env["HOME"])
    env["PATH"] = f"{home}/.local/bin:/usr/bin:/bin"
    env["PIP_CACHE_DIR"] = str(pip_cache)
    env["PIP_RETRIES"] = "0"
    empty = tmp_path / "no-system-config"
    empty.mkdir()
    env["XDG_CONFIG_DIRS"] = str(empty)
    return env


def bare_env(home: Path, pip_cache: Path, wheelhouse: Path, path: str) -> dict[str, str]:
    """The least environment a user runs install.sh with (HOME, PATH, LANG), plus a
    private runtime dir (install.sh's lock) and pip offline on the wheelhouse."""
    home.mkdir(parents=True, exist_ok=True)
    runtime = home.with_name(home.name + ".run")
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "XDG_RUNTIME_DIR": str(runtime)}
    return offline(dict(env, PIP_CACHE_DIR=str(pip_cache)), wheelhouse)


def online(env: dict[str, str]) -> dict[str, str]:
    """`env` with pip asking its index again (PyPI, or one given to install.sh)."""
    return {k: v for k, v in env.items() if k not in ("PIP_NO_INDEX", "PIP_FIND_LINKS")}


def install(clone: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cmd(["sh", clone / "install.sh", "--python", PYTHON, *args], env, timeout=600)


def helper(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cmd([Path(env["HOME"]) / ".local/bin/aqora-helper", *args], env, input=stdin)


def prefix(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "aqora-helper" / "venv"
