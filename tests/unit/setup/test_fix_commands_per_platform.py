"""Doctor's fixes and printed commands are in the shell and paths of the platform they
run on (fast/platform_shell.py): POSIX sh on Linux and macOS (the data directory of each),
PowerShell on Windows. Every platform branch runs here with sys.platform patched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from aqora_helper.fast import platform_shell
from aqora_helper.setup import checks, indexchecks

WINDOWS_DATA = r"C:\Users\Ann Lee\AppData\Local"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("LOCALAPPDATA", WINDOWS_DATA)
    for name in ("XDG_DATA_HOME", "AQORA_HELPER_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def on(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    monkeypatch.setattr(sys, "platform", platform)


@pytest.mark.parametrize(
    "word, sh, ps",
    [
        ("https://aqora.io", "https://aqora.io", "https://aqora.io"),
        ("it's here", "'it'\"'\"'s here'", "'it''s here'"),
        ("$HOME", "'$HOME'", "'$HOME'"),
        ("a,b", "a,b", "'a,b'"),  # an array in PowerShell
        ("@x", "@x", "'@x'"),  # splatting in PowerShell
        ("", "''", "''"),
    ],
)
def test_a_word_is_quoted_for_the_platforms_shell(monkeypatch, word, sh, ps):
    on(monkeypatch, "linux")
    assert platform_shell.quote(word) == sh
    on(monkeypatch, "win32")
    assert platform_shell.quote(word) == ps


def test_windows_fix_is_powershell_in_local_app_data(monkeypatch, home):
    on(monkeypatch, "win32")
    ours = r"C:\Users\Ann Lee\venv\Scripts\aqora-keyring.exe"
    fix = indexchecks._link_fix(ours, None)
    assert "ln " not in fix and "export " not in fix and "&&" not in fix
    assert "$HOME" not in fix and ".local/share" not in fix
    steps = fix.split(" ; ")
    assert steps[0].startswith("New-Item -ItemType Directory -Force '" + WINDOWS_DATA)
    assert steps[1].startswith(f"Copy-Item -Force '{ours}' '{WINDOWS_DATA}")
    assert steps[1].endswith("keyring.exe'")  # a console script is an .exe there
    assert steps[2].startswith("$env:Path = '" + WINDOWS_DATA) and steps[2].endswith(
        ";' + $env:Path"
    )
    next_to = indexchecks._link_fix(ours, r"C:\tools\aqora-helper.exe")
    assert next_to == rf"Copy-Item -Force '{ours}' C:\tools\keyring.exe"


def test_windows_setup_fixes_chain_without_double_ampersand(monkeypatch):
    on(monkeypatch, "win32")
    fix = checks.setup_git_fix(["https://a.example", "https://b.example"])
    assert fix == (
        "aqora-helper setup git --url https://a.example ; "
        "aqora-helper setup git --url https://b.example"
    )
    on(monkeypatch, "linux")
    assert " && " in checks.setup_git_fix(["https://a.example", "https://b.example"])


def test_our_keyring_program_is_named_with_exe_on_windows(monkeypatch):
    monkeypatch.setattr(indexchecks.shutil, "which", lambda name: None)
    on(monkeypatch, "win32")
    assert indexchecks._our_keyring().endswith("aqora-keyring.exe")
    on(monkeypatch, "darwin")
    assert indexchecks._our_keyring().endswith(os.sep + "aqora-keyring")
