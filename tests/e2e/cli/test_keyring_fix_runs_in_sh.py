"""doctor's `keyring` fix for Linux and macOS, pasted into sh as a user would: it makes
aqora-helper's `keyring` program the one found first on PATH, from the platform's data
directory (on macOS, `~/Library/Application Support`: a path with a space)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aqora_helper.setup import indexchecks


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_posix_fix_runs_in_sh_and_puts_ours_first(monkeypatch, tmp_path, platform):
    """The printed fix, run by sh as a user pastes it, makes ours the `keyring` found
    first on PATH, in the platform's data directory (on macOS it holds a space)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "AQORA_HELPER_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    ours = tmp_path / "venv dir" / "aqora-keyring"
    ours.parent.mkdir()
    ours.write_text("#!/bin/sh\necho ours\n")
    ours.chmod(0o755)
    fix = indexchecks._link_fix(str(ours), None)
    expected = {
        "linux": home / ".local" / "share" / "aqora-helper" / "keyring-bin",
        "darwin": home / "Library" / "Application Support" / "aqora-helper" / "keyring-bin",
    }[platform]
    proc = subprocess.run(
        ["sh", "-c", fix + " && command -v keyring && keyring"],
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 0, (fix, proc.stderr)
    assert proc.stdout.splitlines() == [str(expected / "keyring"), "ours"], fix
    assert os.readlink(expected / "keyring") == str(ours)
