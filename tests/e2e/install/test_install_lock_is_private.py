"""install.sh's lock (one install at a time per user) lives in a folder of the user's
own, mode 700, under XDG_RUNTIME_DIR (else TMPDIR, else /tmp): never a predictable name
in a shared folder that another user could create first and hold. A folder at that name
that is not private is refused before anything is done."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from support import REPO, describe, run_cmd


def shared_tmp(user_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment without XDG_RUNTIME_DIR whose TMPDIR is a shared (1777) folder."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    env = {k: v for k, v in user_env.items() if k != "XDG_RUNTIME_DIR"}
    env.update(TMPDIR=str(shared), PATH="/usr/bin:/bin")
    return env, shared


def uninstall(env: dict[str, str]):
    return run_cmd(["sh", REPO / "install.sh", "--uninstall"], env, timeout=120)


def test_the_lock_is_made_in_a_private_folder(user_env: dict[str, str], tmp_path: Path) -> None:
    env, shared = shared_tmp(user_env, tmp_path)
    proc = uninstall(env)
    assert proc.returncode == 0 and "not installed" in proc.stdout, describe(proc)
    folder = shared / f"aqora-helper-{os.getuid()}"
    assert sorted(p.name for p in shared.iterdir()) == [folder.name]
    st = folder.lstat()
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
    assert st.st_uid == os.getuid()
    assert (folder / "install.lock").is_file()


@pytest.mark.parametrize("planted", ["another user's", "open to others", "a symlink"])
def test_a_lock_folder_that_is_not_private_is_refused(
    user_env: dict[str, str], tmp_path: Path, planted: str
) -> None:
    env, shared = shared_tmp(user_env, tmp_path)
    folder = shared / f"aqora-helper-{os.getuid()}"
    if planted == "another user's":
        if os.getuid() != 0:
            pytest.skip("making a folder another user owns needs root")
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
    elif planted == "open to others":
        folder.mkdir()
        folder.chmod(0o755)
    else:
        target = tmp_path / "elsewhere"
        target.mkdir(mode=0o700)
        folder.symlink_to(target)
    proc = uninstall(env)
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith(f"error: {folder} is not a private folder of yours"), describe(proc)
    assert "\nhint: " in proc.stderr
    assert proc.stdout == "", describe(proc)  # refused before anything was done
    assert not (folder / "install.lock").exists()
    assert sorted(p.name for p in shared.iterdir()) == [folder.name]
