"""Every macOS and Windows branch, run on Linux with sys.platform patched: the per-user
folders (ours, the official CLI's, keyring's, pip's, uv's), the file lock (msvcrt on
Windows, faked), the OS keyring backend chosen, and programs named `.exe`."""

from __future__ import annotations

import errno
import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest

from aqora_helper.engine import oskeyring
from aqora_helper.fast import keyring_names, official_session, paths
from aqora_helper.setup import keyringprogram, pipfiles, uv

HOME = "/home/ann"
LOCAL = "/win/Local"
ROAMING = "/win/Roaming"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("HOME", HOME)
    monkeypatch.setenv("LOCALAPPDATA", LOCAL)
    monkeypatch.setenv("APPDATA", ROAMING)
    for name in (
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "AQORA_HELPER_CONFIG",
        "AQORA_CONFIG_HOME",
        "PIP_CONFIG_FILE",
        "VIRTUAL_ENV",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


J = os.path.join
FOLDERS = {  # platform -> cache, data, config file, official CLI file, keyringrc, uv.toml
    "linux": (
        J(HOME, ".cache", "aqora-helper"),
        J(HOME, ".local", "share", "aqora-helper"),
        J(HOME, ".config", "aqora-helper", "config.toml"),
        J(HOME, ".local", "share", "aqora", "credentials.json"),
        J(HOME, ".config", "python_keyring", "keyringrc.cfg"),
        J(HOME, ".config", "uv", "uv.toml"),
    ),
    "darwin": (
        J(HOME, "Library", "Caches", "aqora-helper"),
        J(HOME, "Library", "Application Support", "aqora-helper"),
        J(HOME, "Library", "Application Support", "aqora-helper", "config.toml"),
        J(HOME, "Library", "Application Support", "aqora", "credentials.json"),
        J(HOME, ".config", "python_keyring", "keyringrc.cfg"),
        J(HOME, ".config", "uv", "uv.toml"),
    ),
    "win32": (
        J(LOCAL, "aqora-helper", "Cache"),
        J(LOCAL, "aqora-helper"),
        J(LOCAL, "aqora-helper", "config.toml"),
        J(ROAMING, "aqora", "credentials.json"),
        J(LOCAL, "Python Keyring", "keyringrc.cfg"),
        J(ROAMING, "uv", "uv.toml"),
    ),
}


@pytest.mark.parametrize("platform", sorted(FOLDERS))
def test_per_user_folders_of_each_platform(env, platform):
    env.setattr(sys, "platform", platform)
    assert (
        paths.cache_root(),
        paths.data_root(),
        paths.config_file(),
        official_session.credentials_file(),
        keyring_names.keyring_config_file(),
        str(uv.uv_config_file()),
    ) == FOLDERS[platform]


@pytest.mark.parametrize(
    "platform, user_file, legacy",
    [
        ("linux", f"{HOME}/.config/pip/pip.conf", f"{HOME}/.pip/pip.conf"),
        ("darwin", f"{HOME}/.config/pip/pip.conf", f"{HOME}/.pip/pip.conf"),
        ("win32", f"{ROAMING}/pip/pip.ini", f"{HOME}/pip/pip.ini"),
    ],
)
def test_pip_files_of_each_platform(env, platform, user_file, legacy):
    env.setattr(sys, "platform", platform)
    env.setattr(pipfiles, "_BASENAME", "pip.ini" if platform == "win32" else "pip.conf")
    assert str(pipfiles.pip_config_file()) == user_file
    files = [str(f) for f in pipfiles.pip_files()]
    assert files[-2:] == [legacy, user_file]
    site = {"linux": "/etc/xdg/pip/pip.conf", "darwin": "/Library/Application Support/pip/pip.conf"}
    assert files[0] == site.get(platform, r"C:\ProgramData/pip/pip.ini")


class FakeMsvcrt(types.ModuleType):
    """msvcrt.locking over one byte per file: a second lock of a held file is EACCES."""

    LK_NBLCK, LK_UNLCK = 2, 0

    def __init__(self) -> None:
        super().__init__("msvcrt")
        self.held: set[int] = set()

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == 0  # the first byte
        key = os.fstat(fd).st_ino
        if mode == self.LK_UNLCK:
            self.held.remove(key)
        elif key in self.held:
            raise OSError(errno.EACCES, "Permission denied")
        else:
            self.held.add(key)


def test_the_windows_file_lock_is_msvcrt_locking(monkeypatch, tmp_path):
    fake = FakeMsvcrt()
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    source = Path(paths.__file__).with_name("filelock.py")
    spec = importlib.util.spec_from_file_location("filelock_on_windows", source)
    assert spec and spec.loader
    filelock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(filelock)  # the module as Windows imports it
    assert not hasattr(filelock, "fcntl")
    lock = tmp_path / "lock"
    lock.write_bytes(b"")
    first, second = os.open(lock, os.O_RDWR), os.open(lock, os.O_RDWR)
    try:
        os.lseek(first, 5, os.SEEK_SET)  # it locks byte 0 wherever the file offset is
        assert filelock.try_lock(first) is True
        assert filelock.try_lock(second, exclusive=False) is False  # shared is exclusive here
        filelock.unlock(first)
        assert filelock.try_lock(second) is True and fake.held
    finally:
        os.close(first)
        os.close(second)


class Native:
    priority = 5.0


@pytest.mark.parametrize(
    "platform, module, name",
    [
        ("linux", "keyring.backends.SecretService", "Keyring"),
        ("darwin", "keyring.backends.macOS", "Keyring"),
        ("win32", "keyring.backends.Windows", "WinVaultKeyring"),
    ],
)
def test_the_os_keyring_is_the_platforms_own(env, tmp_path, platform, module, name):
    env.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no keyringrc.cfg
    env.setenv("LOCALAPPDATA", str(tmp_path))
    env.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    env.setattr(sys, "platform", platform)
    assert oskeyring.NATIVE_BACKENDS[platform] == (module, name)
    chosen = oskeyring._native_backend()
    assert type(chosen).__module__ == module and type(chosen).__name__ == name
    # Secret Service over D-Bus is tried on Linux only; elsewhere the native backend
    asked: list[str] = []
    env.setattr(oskeyring.SecretServiceStore, "connect", lambda: asked.append("dbus"))
    native = Native()
    env.setattr(oskeyring, "_native_backend", lambda: native)
    assert oskeyring._pick_os_backend() is native
    assert asked == (["dbus"] if platform == "linux" else [])


@pytest.mark.parametrize("platform, script", [("linux", "keyring"), ("win32", "keyring.exe")])
def test_this_installations_keyring_script_is_an_exe_on_windows(monkeypatch, platform, script):
    monkeypatch.setattr(sys, "platform", platform)
    assert keyringprogram.scripts_keyring().name == script


def test_lightos_on_windows_is_os_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """fast/lightos.py's Windows half: `os`'s own functions, no uid, and `pread` (which
    Windows lacks) from lseek and read. Loaded as a fresh copy with sys.platform patched
    (and the Windows-only O_BINARY given to `os`)."""
    from aqora_helper.fast import lightos

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(os, "O_BINARY", 0x8000, raising=False)
    spec = importlib.util.spec_from_file_location("lightos_on_windows", lightos.__file__)
    assert spec is not None and spec.loader is not None
    windows = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(windows)
    assert not windows.POSIX and windows.O_BINARY == 0x8000 and windows.O_NOFOLLOW == 0
    assert windows.getuid() is None
    monkeypatch.setenv("AQORA_LIGHTOS_TEST", "x")
    assert windows.getenv("AQORA_LIGHTOS_TEST") == "x" and windows.environ() == dict(os.environ)
    assert windows.home() == os.path.expanduser("~")
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    fd = windows.open(str(path), windows.O_RDONLY)
    try:
        assert windows.pread(fd, 3, 4) == b"456"
    finally:
        windows.close(fd)
