"""The `user_env` fixture isolates every test's subprocesses: fresh HOME and XDG dirs under
it, the test venv first on PATH, no AQORA_* and no machine-wide pip or keyring settings.

The aqora API stand-in itself: tests/e2e/test_standin.py.
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
