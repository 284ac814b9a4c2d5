"""The package as users install it without install.sh: a clean copy of the clone and the
wheel built from it (tests/e2e/test_keyring_program_routes.py, tests/bench)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from support import REPO

IGNORED = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__")


def source_copy(dest: Path) -> Path:
    """A copy of the clone without its venvs, builds or byte code (what a user clones)."""
    shutil.copytree(REPO, dest, ignore=IGNORED)
    return dest


def build_wheel(root: Path) -> Path:
    """The wheel `python -m build --wheel` makes from a copy of the clone, in `root`."""
    src = source_copy(root / "src")
    env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"}
    env.update(PIP_CONFIG_FILE="/dev/null", PIP_CACHE_DIR=str(root / "pip-cache"))
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(src)],
        env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = (root / "dist").glob("*.whl")
    return wheel
