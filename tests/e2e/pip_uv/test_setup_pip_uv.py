"""`aqora-helper setup pip|uv` as commands on real files: `--remove` gives back the original
bytes (or no file), the real pip reads what setup wrote, symlinks, warnings, bad input.

The pip.conf and uv.toml editors themselves: tests/unit/setup/test_pip_uv.py.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from support import describe, run_cmd, write_config

UV_URL = "https://pypi.aqora.example/simple/"


# --- the commands, on real files --------------------------------------------------------
def setup_env(user_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    write_config(user_env, 'url = "https://aqora.example"\n[environments."https://aqora.example"]\n'
                 'hosts = ["aqora.example", "pypi.aqora.example"]\nusername = "bob"\n')  # fmt: skip
    env = {k: v for k, v in user_env.items() if k not in ("PIP_CONFIG_FILE", "UV_NO_CONFIG")}
    empty = tmp_path / "no-system-config"
    empty.mkdir(exist_ok=True)
    env["XDG_CONFIG_DIRS"] = str(empty)
    return env


def cli(tool: str, env: dict[str, str], *args: str):
    return run_cmd(["aqora-helper", "setup", tool, *args], env)


@pytest.mark.parametrize("tool", ["pip", "uv"])
@pytest.mark.parametrize(
    "original",
    [None, b"", b"[global]\ntimeout = 60", b"native-tls = true\r\n"],
    ids=["no-file", "empty", "pip-like", "uv-like"],
)
def test_setup_then_remove_restores_the_file(tool, original, user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    config = Path(env["XDG_CONFIG_HOME"])
    path = config / "pip" / "pip.conf" if tool == "pip" else config / "uv" / "uv.toml"
    if tool == "uv" and original == b"[global]\ntimeout = 60":
        original = b"[pip]\nno-build = true"
    if tool == "pip" and original == b"native-tls = true\r\n":
        original = b"[install]\r\nuser = true\r\n"
    if original is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(original)
        path.chmod(0o600)
    proc = cli(tool, env, "--index-url", UV_URL, "--replace")
    assert proc.returncode == 0, describe(proc)
    assert path.exists()
    assert "undo with: aqora-helper setup" in proc.stderr
    assert "warning" not in proc.stderr, describe(proc)  # served host, nothing overrides it
    if original is not None:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the file's mode is kept
    proc = cli(tool, env, "--remove")
    assert proc.returncode == 0, describe(proc)
    if original is None:
        assert not path.exists()
    else:
        assert path.read_bytes() == original
    proc = cli(tool, env, "--remove")  # idempotent
    assert proc.returncode == 0 and "nothing to remove" in proc.stdout, describe(proc)


def test_real_pip_reads_what_setup_pip_wrote(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    proc = cli("pip", env, "--index-url", UV_URL, "--replace")
    assert proc.returncode == 0, describe(proc)
    listed = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert listed.returncode == 0, describe(listed)
    assert "global.keyring-provider='subprocess'" in listed.stdout, describe(listed)
    assert "global.index-url='https://bob@pypi.aqora.example/simple/'" in listed.stdout
    proc = cli("pip", env, "--index-url", "https://pypi.aqora.example/extra/", "--extra")
    assert proc.returncode == 0, describe(proc)
    listed = run_cmd([sys.executable, "-m", "pip", "config", "list"], env)
    assert "global.extra-index-url='https://bob@pypi.aqora.example/extra/'" in listed.stdout
    assert "global.index-url" not in listed.stdout  # the re-run replaced the first setup


def test_setup_edits_a_symlinked_config_at_its_target(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    target = tmp_path / "dotfiles" / "uv.toml"
    target.parent.mkdir()
    target.write_bytes(b"native-tls = true\n")
    link = Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    assert cli("uv", env, "--index-url", UV_URL, "--replace").returncode == 0
    assert link.is_symlink() and b"index-url" in target.read_bytes()
    assert cli("uv", env, "--remove").returncode == 0
    assert link.is_symlink() and target.read_bytes() == b"native-tls = true\n"


def test_file_option_and_warnings(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    custom = tmp_path / "custom.conf"
    env["PIP_CONFIG_FILE"] = str(custom)
    custom.write_text("[global]\ntimeout = 5\n")
    proc = cli("pip", env, "--index-url", "https://other.example/simple/", "--replace")
    assert proc.returncode == 0, describe(proc)
    assert "config: added other.example to hosts of" in proc.stderr
    assert f"PIP_CONFIG_FILE={custom} is set" in proc.stderr
    proc = cli("pip", env, "--index-url", UV_URL, "--replace", "--file", str(custom))
    assert proc.returncode == 0, describe(proc)
    assert "PIP_CONFIG_FILE" not in proc.stderr
    assert "keyring-provider = subprocess" in custom.read_text()
    assert cli("pip", env, "--remove", "--file", str(custom)).returncode == 0
    assert custom.read_text() == "[global]\ntimeout = 5\n"


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_bad_input_is_refused_and_changes_nothing(tool, user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    proc = cli(tool, env)
    assert proc.returncode == 2 and "--index-url" in proc.stderr, describe(proc)
    for url, text, code in [
        ("https://bob:secret@pypi.aqora.example/simple/", "contains a password", 2),
        ("http://pypi.aqora.example/simple/", "plain http", 1),  # a refusal, as for --url
        ("ftp://pypi.aqora.example/", "expected https", 2),  # a usage error, as for --url
    ]:
        proc = cli(tool, env, "--index-url", url, "--replace")
        assert proc.returncode == code and text in proc.stderr, describe(proc)
        assert "secret" not in proc.stderr
    config = Path(env["XDG_CONFIG_HOME"])
    assert not (config / "pip").exists() and not (config / "uv").exists()
    path = config / tool / ("pip.conf" if tool == "pip" else "uv.toml")
    path.parent.mkdir(parents=True)
    broken = b"[global]\na = 1\na = 2\n" if tool == "pip" else b"[pip\n"
    path.write_bytes(broken)
    proc = cli(tool, env, "--index-url", UV_URL, "--replace")
    assert proc.returncode == 1 and "error:" in proc.stderr, describe(proc)
    assert path.read_bytes() == broken
    half = b"# >>> aqora-helper setup " + tool.encode() + b" (undo: x) >>>\nkey = 1\n"
    path.write_bytes(half)
    proc = cli(tool, env, "--remove")
    assert proc.returncode == 1 and "has no end line" in proc.stderr, describe(proc)
    assert path.read_bytes() == half


def test_no_keyring_program_is_a_warning(user_env, tmp_path):
    env = setup_env(user_env, tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aqora-helper").symlink_to(Path(sys.executable).parent / "aqora-helper")
    env["PATH"] = f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin"
    proc = cli("uv", env, "--index-url", UV_URL, "--replace")
    assert proc.returncode == 0, describe(proc)
    assert "no 'keyring' program on PATH" in proc.stderr
