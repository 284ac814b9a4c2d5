"""One install.sh at a time per user: a second one waits for the first (two would build
into the same venv slot)."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

from support import REPO


def test_a_second_install_sh_waits_for_the_first(user_env, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env = dict(user_env, XDG_RUNTIME_DIR=str(run_dir), PATH="/usr/bin:/bin")
    (run_dir / f"aqora-helper-{os.getuid()}").mkdir(mode=0o700)
    lock = run_dir / f"aqora-helper-{os.getuid()}" / "install.lock"
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running install.sh holds it
        proc = subprocess.Popen(
            ["sh", str(REPO / "install.sh"), "--uninstall"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until install.sh says it waits
        assert "waiting for another install.sh" in line and str(lock) in line, line
        assert proc.poll() is None, "install.sh went on while another one held the lock"
    out, err = proc.communicate(timeout=60)  # released: it goes on
    assert proc.returncode == 0, (out, err)
    assert "not installed" in out, (out, err)
    assert not Path(user_env["HOME"], ".local").exists()
