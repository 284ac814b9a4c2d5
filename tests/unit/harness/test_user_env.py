"""The `user_env` fixture isolates every test's subprocesses: fresh HOME and XDG dirs under
it, its own runtime dir beside it, the test venv first on PATH, no AQORA_* and no
machine-wide pip or keyring settings.

The aqora API stand-in itself: tests/e2e/harness/test_standin.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from support import BIN_DIR


def test_user_env(user_env: dict[str, str]) -> None:
    assert Path(user_env["HOME"]).is_dir()
    assert user_env["PATH"].split(os.pathsep)[0] == BIN_DIR
    assert not [k for k in user_env if k.startswith("AQORA_")]
    assert "PIP_FIND_LINKS" not in user_env and "PYTHON_KEYRING_BACKEND" not in user_env
    assert user_env["XDG_CONFIG_HOME"].startswith(user_env["HOME"])
    runtime = Path(user_env["XDG_RUNTIME_DIR"])  # install.sh's lock: never shared
    assert runtime.is_dir() and runtime.stat().st_mode & 0o777 == 0o700
    assert not runtime.is_relative_to(user_env["HOME"])  # a tree of HOME is HOME's only
