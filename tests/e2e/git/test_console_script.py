"""git-credential-aqora as a console script: it answers from a warm cache, imports nothing
heavy doing so, and stays cheap to start (no network, no git).

The wire protocol, with the engine replaced by fakes, is tests/unit/doors/test_git.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from support import HEAVY_MODULES, heavy_modules_loaded, run_entry_point

TOKEN = "tok-123.abc_DEF"
ENV_URL = "https://aqora.io/"


def _fast_path_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose cache holds a valid token for aqora.io (no engine needed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AQORA", "XDG_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    (tmp_path / "home").mkdir()
    script = f"""
import os, sys, time
os.environ.clear(); os.environ.update({env!r})
from aqora_helper.fast import hostindex as fastpath, tokencache
fastpath.save_index(fastpath.fingerprint(), {{"aqora.io": {{
    "url": {ENV_URL!r}, "skew": 60, "username": "aqora", "git_auth": "auto"}}}}, {ENV_URL!r}, 60, 30.0)
tokencache.write_token({ENV_URL!r}, {TOKEN!r}, int(time.time()) + 3600)
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    return env


def _script() -> str:
    return str(Path(sys.executable).with_name("git-credential-aqora"))


def test_console_script_answers_from_the_cache(tmp_path: Path) -> None:
    env = _fast_path_env(tmp_path)
    proc = subprocess.run(
        [_script(), "get"],
        input=b"protocol=https\nhost=aqora.io\n",
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in proc.stdout.decode().splitlines())
    assert lines["username"] == "aqora" and lines["password"] == TOKEN
    assert int(lines["password_expiry_utc"]) > time.time()
    assert proc.stderr == b""


def test_fast_path_imports_nothing_heavy(tmp_path: Path) -> None:
    env = _fast_path_env(tmp_path)
    proc = run_entry_point(
        "aqora_helper.doors.git",
        ["git-credential-aqora", "get"],
        env,
        "protocol=https\nhost=aqora.io\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "password=" in proc.stdout
    assert heavy_modules_loaded(proc) == []


def test_fast_path_importtime_of_the_real_entry_point(tmp_path: Path) -> None:
    env = _fast_path_env(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; from aqora_helper.doors.git import main; sys.argv[1:] = ['get']; sys.exit(main())",
        ],
        input=b"protocol=https\nhost=aqora.io\n",
        capture_output=True,
        env=env,
        timeout=30,
    )
    assert proc.returncode == 0
    assert b"password=" + TOKEN.encode() in proc.stdout
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert imported, "no -X importtime output"
    assert not [m for m in HEAVY_MODULES if m in imported]
