"""One install.sh at a time per user where there is no flock(1) (macOS, BSD): the lock is
a folder holding its holder's pid. A second install.sh waits while the holder runs, goes
on once it is gone, and breaks the lock a dead holder left (kill -9, a crash)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from shared.bsd_path import bsd_path, refused, used
from support import REPO, describe, run_cmd


def no_flock_env(user_env: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The user's environment with BSD-like tools only on PATH; the lock folder's path."""
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    tools = bsd_path(tmp_path / "bsd-bin")
    env = dict(user_env, XDG_RUNTIME_DIR=str(run_dir), PATH=str(tools))
    return env, run_dir / f"aqora-helper-{os.getuid()}" / "install.lock.d"


def hold(lock: Path, pid: int) -> None:
    """The lock as an install.sh with this pid holds it."""
    lock.parent.mkdir(mode=0o700, exist_ok=True)
    lock.mkdir()
    (lock / "pid").write_text(f"{pid}\n")


def test_a_second_install_sh_waits_while_the_holder_runs(user_env, tmp_path):
    env, lock = no_flock_env(user_env, tmp_path)
    holder = subprocess.Popen(["sleep", "600"])  # a running install.sh, as far as the pid says
    try:
        hold(lock, holder.pid)
        proc = subprocess.Popen(
            ["/bin/sh", str(REPO / "install.sh"), "--uninstall"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        line = proc.stderr.readline()  # blocks until install.sh says it waits
        assert "waiting for another install.sh" in line and str(lock) in line, line
        time.sleep(2)  # it keeps waiting while the holder runs
        assert proc.poll() is None, "install.sh went on while another one held the lock"
    finally:
        holder.kill()
        holder.wait()
    out, err = proc.communicate(timeout=60)  # the holder is gone: it goes on
    assert proc.returncode == 0, (out, err)
    assert "not installed" in out and "removed a stale lock" in err, (out, err)
    assert not lock.exists(), "the lock was not released"
    assert not refused(Path(env["PATH"])), refused(Path(env["PATH"]))
    assert "flock" not in used(Path(env["PATH"])) and "mkdir" in used(Path(env["PATH"]))


def test_a_lock_left_by_a_dead_install_sh_is_broken_at_once(user_env, tmp_path):
    env, lock = no_flock_env(user_env, tmp_path)
    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid runs nothing now
    hold(lock, dead.pid)
    proc = run_cmd(["/bin/sh", REPO / "install.sh", "--uninstall"], env, timeout=60)
    assert proc.returncode == 0 and "not installed" in proc.stdout, describe(proc)
    assert "removed a stale lock" in proc.stderr, describe(proc)
    assert not lock.exists() and not list(lock.parent.glob("install.lock.d.stale*"))
