"""`aqora-helper setup git` in this process (tests/unit/setup/test_git.py,
tests/e2e/git/test_setup_git.py)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from aqora_helper.cli.app import run

CONFIG = """\
url = "https://aqora.io"
[environments."https://aqora.io"]
hosts = ["aqora.io", "Git.Aqora.io:443"]
[environments."http://127.0.0.1:8080"]
hosts = ["127.0.0.1:8080"]
"""


def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME (returned) and XDG dirs under `tmp_path`, no git or aqora variables
    from outside, the helper's config set to CONFIG: the `home` fixture of both parts."""
    home = tmp_path / "home"
    home.mkdir()
    for name in (
        "XDG_CONFIG_HOME",
        "GIT_CONFIG_GLOBAL",
        "GIT_DIR",
        "GIT_CONFIG",
        "AQORA_URL",
        "AQORA_TOKEN",
        "AQORA_ALLOW_INSECURE_HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    config = tmp_path / "aqora-helper.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("AQORA_HELPER_CONFIG", str(config))
    return home


def setup(*args: str) -> tuple[int, str, str]:
    """`aqora-helper setup git ARGS` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["setup", "git", *args])
    return code, out.getvalue(), err.getvalue()
