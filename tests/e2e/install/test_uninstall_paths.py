"""Red team of install.sh --uninstall: it deletes only what install.sh created, whatever
the paths hold (spaces, glob characters)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import REPO, describe, run_cmd

PYTHON = os.path.realpath(sys.executable)


def test_uninstall_deletes_no_folder_named_by_a_piece_of_a_created_path_with_spaces(
    user_env: dict[str, str], tmp_path: Path
) -> None:
    # install.sh created "<tmp>/My Data/aqora-helper" and "<tmp>/My Data" (recorded as
    # created); "<tmp>/My", "<cwd>/Data" and "<cwd>/x*" are the user's empty folders.
    """Origin: red team of install.sh --uninstall (was tests/e2e/test_redteam_install.py)."""
    data = tmp_path / "My Data"
    prefix = data / "aqora-helper" / "venv"
    venv = Path(f"{prefix}.a")
    venv.parent.mkdir(parents=True)
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (venv / "aqora-helper-created-dirs").write_text(
        f"dir:{data}/aqora-helper\ndir:{data}\ndir:{tmp_path}/x*\n"
    )
    prefix.symlink_to(venv.name)
    cwd = tmp_path / "cwd"
    mine = [tmp_path / "My", cwd / "Data", tmp_path / "x-mine"]
    for folder in mine:
        folder.mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    proc = run_cmd(
        ["sh", REPO / "install.sh", "--uninstall", "--prefix", prefix, "--bin-dir", bin_dir],
        user_env,  # its own XDG_RUNTIME_DIR (support.user_env): install.sh's lock
        cwd=cwd,
        timeout=120,
    )
    assert proc.returncode == 0, describe(proc)
    assert not venv.exists() and not prefix.is_symlink(), describe(proc)
    assert not data.exists(), describe(proc)  # what install.sh created goes
    assert [f for f in mine if not f.is_dir()] == [], describe(proc)  # the user's stays
