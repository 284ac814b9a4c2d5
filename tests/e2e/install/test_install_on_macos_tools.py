"""install.sh as on macOS, as far as Linux can show it: `uname -s` says Darwin, so the
default prefix is `~/Library/Application Support/...` (a space in it); PATH has only
BSD-like tools (no flock; shims that refuse GNU-only options, tests/shared/bsd_path.py).

One life, two installs: a second install.sh started while the first runs waits for it
(the folder lock) and then finds the first one's install whole (it reinstalls); the
launchers under the spaced prefix start Python with -I -S; the uninstall removes it all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from shared.bsd_path import bsd_path, refused, used
from shared.install import PYTHON, bare_env
from support import REPO, describe, run_cmd

DOORS = ("aqora-helper", "git-credential-aqora", "docker-credential-aqora", "aqora-keyring")


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """install.sh in the background, its output in log.out / log.err."""
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        return subprocess.Popen(
            ["/bin/sh", str(REPO / "install.sh"), "--python", PYTHON],
            env=env,
            stdout=out,
            stderr=err,
        )


def wait_for(what: str, check, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, f"install.sh ended before {what}"
        assert time.monotonic() < deadline, f"no {what} in {timeout} s"
        time.sleep(0.2)


def output(log: Path) -> tuple[str, str]:
    return log.with_suffix(".out").read_text(), log.with_suffix(".err").read_text()


def test_install_with_bsd_tools_no_flock_and_a_spaced_prefix(tmp_path, pip_cache, wheelhouse):
    tools = bsd_path(tmp_path / "bsd-bin", uname_s="Darwin")
    home = tmp_path / "Users" / "Ann Lee"
    env = bare_env(home, pip_cache, wheelhouse, str(tools))
    lock = Path(env["XDG_RUNTIME_DIR"]) / f"aqora-helper-{os.getuid()}" / "install.lock.d"
    prefix = home / "Library" / "Application Support" / "aqora-helper" / "venv"
    bin_dir = home / ".local" / "bin"

    first = start(env, tmp_path / "first")
    wait_for("the lock", lambda: (lock / "pid").exists(), first)
    assert (lock / "pid").read_text().strip() == str(first.pid)
    second = start(env, tmp_path / "second")
    wait_for("a wait", lambda: "waiting for another" in output(tmp_path / "second")[1], second)
    assert first.wait(timeout=600) == 0, output(tmp_path / "first")
    assert second.wait(timeout=600) == 0, output(tmp_path / "second")
    out1, _ = output(tmp_path / "first")
    out2, err2 = output(tmp_path / "second")
    assert "installed aqora-helper" in out1 and f"into {prefix}.a" in out1, out1
    assert "reinstalled aqora-helper" in out2, (out2, "the second did not wait for the first")
    assert str(lock) in err2
    assert not lock.exists(), "the lock was not released"

    # The launchers, under the spaced prefix, run Python with -I -S.
    assert os.readlink(prefix) == "venv.b"
    site = next((prefix / "lib").glob("python3*/site-packages"))
    (site / "zz_probe.pth").write_text("import sys; sys.stderr.write('site ran\\n')\n")
    shadow = tmp_path / "shadow" / "aqora_helper"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise SystemExit('PYTHONPATH was read')\n")
    probe_env = dict(env, PYTHONPATH=str(shadow.parent))
    for name in DOORS:
        link = bin_dir / name
        assert os.readlink(link) == f"{prefix}/launchers/{name}", name
        assert link.read_text().startswith("#!/bin/sh\n'''exec' "), name
    version = run_cmd([bin_dir / "git-credential-aqora", "--version"], probe_env)
    assert version.returncode == 0 and "aqora-helper" in version.stdout, describe(version)
    assert version.stderr == "", describe(version)  # no site, no PYTHONPATH
    helped = run_cmd([bin_dir / "aqora-helper", "--help"], env)
    assert helped.returncode == 0 and "login" in helped.stdout, describe(helped)
    # the probe works: pip's own script (no -I -S) runs site
    pips = run_cmd([prefix / "bin" / "git-credential-aqora", "--version"], env)
    assert "site ran" in pips.stderr, describe(pips)
    (site / "zz_probe.pth").unlink()

    removed = run_cmd(["/bin/sh", REPO / "install.sh", "--uninstall"], env, timeout=300)
    assert removed.returncode == 0, describe(removed)
    assert "aqora-helper is uninstalled." in removed.stdout, describe(removed)
    assert not prefix.parent.exists() and not list(bin_dir.glob("*")), describe(removed)
    assert not refused(tools), refused(tools)
    assert {"mkdir", "readlink", "ln", "sed", "find", "uname"} <= used(tools)
