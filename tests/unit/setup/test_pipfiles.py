"""pip's config files in pip's order (`setup/pipfiles.py`) and the extra index URLs
`setup pip --extra` keeps from the files pip reads before the one it edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from aqora_helper.fast.redaction import redact
from aqora_helper.setup import pip as setup_pip
from aqora_helper.setup.pipfiles import pip_files

URL = "https://aqora@pypi.aqora.example/simple/"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{tmp_path}/a:{tmp_path}/b")
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)  # no site level (see the site-level tests)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_pip_files_in_pips_order(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = home / "home" / ".config" / "pip" / "pip.conf"
    site = [home / "a" / "pip" / "pip.conf", home / "b" / "pip" / "pip.conf", Path("/etc/pip.conf")]
    assert pip_files() == [*site, home / "home" / ".pip" / "pip.conf", user]
    monkeypatch.setenv("XDG_CONFIG_DIRS", " ")
    assert pip_files()[:2] == [Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf")]
    env_file = home / "env.conf"
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))  # not there: user files still read
    assert pip_files()[-2:] == [user, env_file]
    env_file.write_text("")
    assert pip_files()[-2:] == [Path("/etc/pip.conf"), env_file]
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    assert pip_files() == []


def test_inherited_extras_come_from_the_last_earlier_file_setting_them(home: Path) -> None:
    write(home / "a" / "pip" / "pip.conf", "[global]\nextra-index-url = https://a/\n")
    write(
        home / "b" / "pip" / "pip.conf", "[global]\nExtra_Index_URL = https://b1/\n  https://b2/\n"
    )
    write(home / "b" / "pip" / "other.conf", "[install]\nextra-index-url = https://no/\n")
    user = home / "home" / ".config" / "pip" / "pip.conf"
    assert setup_pip.inherited_extras(user) == ["https://b1/", "https://b2/"]
    # the legacy user file comes before the user file, after the site-wide ones
    write(home / "home" / ".pip" / "pip.conf", "[global]\nextra-index-url = https://legacy/\n")
    assert setup_pip.inherited_extras(user) == ["https://legacy/"]
    # editing the legacy file: only what comes before it
    assert setup_pip.inherited_extras(home / "home" / ".pip" / "pip.conf") == [
        "https://b1/",
        "https://b2/",
    ]
    # a file pip does not read: everything pip reads
    write(user, "[global]\nextra-index-url = https://user/\n")
    assert setup_pip.inherited_extras(home / "elsewhere.conf") == ["https://user/"]


def test_a_broken_earlier_file_stops_setup(home: Path) -> None:
    write(home / "a" / "pip" / "pip.conf", "[global]\na = 1\na = 2\n")
    with pytest.raises(setup_pip.SetupError, match="not a valid pip config file"):
        setup_pip.inherited_extras(home / "home" / ".config" / "pip" / "pip.conf")


def test_plan_keeps_the_files_own_extras_else_the_inherited_ones() -> None:
    path = Path("pip.conf")
    new = setup_pip.plan(None, path, URL, True, ["https://site/", URL])
    assert setup_pip.parse(new, path)[("global", "extra-index-url")] == f"https://site/ {URL}"
    own = "[global]\nextra-index-url = https://own/\n"
    new = setup_pip.plan(own, path, URL, True, ["https://site/"])
    assert setup_pip.parse(new, path)[("global", "extra-index-url")] == f"https://own/ {URL}"
    new = setup_pip.plan(None, path, URL, False, ["https://site/"])
    assert ("global", "extra-index-url") not in setup_pip.parse(new, path)


def test_a_password_in_a_kept_extra_url_is_never_shown() -> None:
    site = "https://u:site-password-1@site.example/simple/"
    new = setup_pip.plan(None, Path("pip.conf"), URL, True, [site])
    assert site in new  # kept in the file, as pip read it
    assert "site-password-1" not in redact(f"add extra-index-url = {site} {URL}")
