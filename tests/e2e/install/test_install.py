"""install.sh on a fresh HOME: installs, links, is idempotent, uninstalls exactly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shared.install import bare_env
from support import REPO, describe, run_cmd


def snapshot(home: Path) -> set[str]:
    """The paths under ~/.local; the venv slot a re-install switches to (venv.a, venv.b) is
    one name."""
    return {
        str(p.relative_to(home)).replace("/venv.b", "/venv.a")
        for p in home.rglob("*")
        if ".local" in p.parts
    }


def test_install_is_idempotent_and_uninstall_removes_exactly_what_it_added(
    tmp_path, pip_cache, wheelhouse
):
    home = tmp_path / "home"
    python = shutil.which("python3") or "python3"
    env = bare_env(home, pip_cache, wheelhouse, f"{Path(python).parent}:/usr/bin:/bin")
    before = snapshot(home)
    first = run_cmd(["sh", str(REPO / "install.sh")], env, timeout=600)
    assert first.returncode == 0, describe(first)
    assert "is not on your PATH" in first.stdout
    assert "Next: aqora-helper login" in first.stdout
    bin_dir = home / ".local" / "bin"
    for name in ("aqora-helper", "git-credential-aqora", "docker-credential-aqora", "keyring"):
        assert (bin_dir / name).is_symlink(), name
    helped = run_cmd([str(bin_dir / "aqora-helper"), "--help"], env)
    assert helped.returncode == 0 and "login" in helped.stdout, describe(helped)
    installed = snapshot(home)
    again = run_cmd(["sh", str(REPO / "install.sh")], env, timeout=600)
    assert again.returncode == 0, describe(again)
    assert "reinstalled aqora-helper" in again.stdout
    assert "Next:" not in again.stdout  # setting up again is not what an upgrade asks for
    assert "linked" not in again.stdout  # the links were right: nothing to change
    assert snapshot(home) == installed
    removed = run_cmd(["sh", str(REPO / "install.sh"), "--uninstall"], env, timeout=120)
    assert removed.returncode == 0, describe(removed)
    assert snapshot(home) == before


def test_existing_keyring_program_is_not_shadowed(tmp_path, pip_cache, wheelhouse):
    home = tmp_path / "home"
    other = tmp_path / "other-bin"
    other.mkdir(parents=True)
    (other / "keyring").write_text("#!/bin/sh\necho users-own-keyring\n")
    (other / "keyring").chmod(0o755)
    python = shutil.which("python3") or "python3"
    env = bare_env(home, pip_cache, wheelhouse, f"{other}:{Path(python).parent}:/usr/bin:/bin")
    proc = run_cmd(
        ["sh", str(REPO / "install.sh"), "--prefix", str(tmp_path / "venv")], env, timeout=600
    )
    assert proc.returncode == 0, describe(proc)
    assert "another 'keyring' program is on PATH" in proc.stdout
    assert not (home / ".local" / "bin" / "keyring").exists()
    assert (home / ".local" / "bin" / "aqora-keyring").is_symlink()


def test_users_own_keyring_link_in_the_bin_dir_is_kept(tmp_path, pip_cache, wheelhouse):
    home = tmp_path / "home"
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    own = tmp_path / "pipx-keyring"
    own.write_text("#!/bin/sh\n")
    (bin_dir / "keyring").symlink_to(own)
    python = shutil.which("python3") or "python3"
    env = bare_env(home, pip_cache, wheelhouse, f"{Path(python).parent}:/usr/bin:/bin")
    proc = run_cmd(
        ["sh", str(REPO / "install.sh"), "--prefix", str(tmp_path / "venv")], env, timeout=600
    )
    assert proc.returncode == 0, describe(proc)
    assert os.readlink(bin_dir / "keyring") == str(own)
    removed = run_cmd(
        ["sh", str(REPO / "install.sh"), "--prefix", str(tmp_path / "venv"), "--uninstall"], env
    )
    assert removed.returncode == 0, describe(removed)
    assert os.readlink(bin_dir / "keyring") == str(own)
