"""pip's "site" config level (`$VIRTUAL_ENV/pip.conf` when a virtualenv is active) in
`setup/pipfiles.py`'s order, and what `setup pip --extra` keeps from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aqora_helper.setup import pip as setup_pip
from aqora_helper.setup.pipfiles import pip_files


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_active_venvs_file_comes_after_the_user_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = home / "home" / ".config" / "pip" / "pip.conf"
    assert pip_files()[-1] == user  # no venv active: no site level
    monkeypatch.setenv("VIRTUAL_ENV", str(home / "venv"))
    assert pip_files()[-2:] == [user, home / "venv" / "pip.conf"]
    env_file = write(home / "env.conf", "")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))  # the site level is read even then
    assert pip_files()[-2:] == [home / "venv" / "pip.conf", env_file]


def test_extra_keeps_the_venvs_extra_urls_when_editing_a_later_file(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(home / "home" / ".config" / "pip" / "pip.conf", "[global]\nextra-index-url = https://u/\n")
    write(home / "venv" / "pip.conf", "[global]\nextra-index-url = https://venv/\n")
    env_file = write(home / "env.conf", "")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    monkeypatch.setenv("VIRTUAL_ENV", str(home / "venv"))
    assert setup_pip.inherited_extras(env_file) == ["https://venv/"]
    assert setup_pip.inherited_extras(home / "elsewhere.conf") == ["https://venv/"]
