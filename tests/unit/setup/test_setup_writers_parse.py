"""Every structured file `setup` writes is produced by a writer of its format, or read
back by a parser of that format, before it replaces the old one: the containers drop-in
and uv.toml (TOML: a character outside the Basic Multilingual Plane is no `\\ud83d\\udd11`
pair), aqora-helper's own config.toml (TOML and its schema), and what `setup pip|uv
--remove` leaves (INI, TOML) when edits made since setup would make it invalid.
(Docker's config.json: tests/unit/test_setup_docker.py; git config: git itself.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from aqora_helper.engine.errors import ConfigError
from aqora_helper.setup import confighosts, containers
from aqora_helper.setup import pip as setup_pip
from aqora_helper.setup import uv as setup_uv
from aqora_helper.setup.files import SetupError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ODD_NAMES = ["\U0001f511", "helper-\U0001f600-x", 'quote"back\\slash', "tab\there", "\x7f\u2028"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CONTAINERS_REGISTRIES_CONF", raising=False)
    return tmp_path


@pytest.mark.parametrize("name", ODD_NAMES)
def test_the_containers_drop_in_is_toml_whatever_the_helper_names(home: Path, name: str) -> None:
    conf = home / ".config" / "containers" / "registries.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(f'credential-helpers = ["containers-auth.json", {toml_basic(name)}]\n')
    assert tomllib.loads(conf.read_text())["credential-helpers"][1] == name
    text = containers.dropin_text()
    assert tomllib.loads(text) == {"credential-helpers": ["aqora", "containers-auth.json", name]}
    assert "\\ud83d" not in text


def toml_basic(value: str) -> str:
    """A TOML basic string written by hand (the test's own writer)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


@pytest.mark.parametrize("extra", [False, True])
def test_uv_toml_holds_an_index_url_outside_the_basic_plane(extra: bool) -> None:
    url = "https://pypi.aqora.example/\U0001f511/simple/"
    text = setup_uv.plan("native-tls = true\n", Path("uv.toml"), url, extra)
    parsed = tomllib.loads(text)
    assert (parsed["index"][0]["url"] if extra else parsed["index-url"]) == url
    assert setup_uv.toml_string(url) == f'"{url}"'


def test_uv_remove_refuses_to_leave_an_invalid_file(tmp_path: Path) -> None:
    """setup commented out `default = true`; the user added `default = false` to the same
    table since: removing our lines would repeat the key. Nothing is written."""
    path = tmp_path / "uv.toml"
    path.write_text('[[index]]\nname = "mine"\nurl = "https://mine.example/s/"\ndefault = true\n')
    planned = setup_uv.plan(path.read_text(), path, "https://aqora@pypi.example/simple/", False)
    edited = planned + "default = false\n"
    tomllib.loads(edited)  # valid as the user left it
    path.write_text(edited)
    with pytest.raises(SetupError) as raised:
        call_remove(setup_uv, path)
    assert "would leave" in raised.value.message and raised.value.hint
    assert path.read_text() == edited


def test_pip_remove_still_works_on_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "pip.conf"
    original = "[global]\ntimeout = 60\nindex-url = https://pypi.org/simple/\n"
    path.write_text(original)
    path.write_text(setup_pip.plan(original, path, "https://aqora@pypi.aqora.example/s/", False))
    call_remove(setup_pip, path)
    assert path.read_text() == original


def call_remove(tool: Any, path: Path) -> None:
    """`setup pip|uv --remove --file PATH` (index_url None is --remove)."""
    kwargs: dict[str, Any] = dict(chosen=path, index_url=None, url=None, extra=False, dry_run=False)
    if tool is setup_uv:
        kwargs["publish_url"] = None
    tool.configure(**kwargs)


def test_config_toml_is_checked_before_it_replaces_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    original = b'url = "https://aqora.example"\n'
    config.write_bytes(original)
    monkeypatch.setenv("AQORA_HELPER_CONFIG", str(config))
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(tmp_path / "data"))
    for name in ("AQORA_URL", "AQORA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    written: list[bytes] = []
    monkeypatch.setattr(confighosts, "write_file", lambda path, data, *a: written.append(data))
    monkeypatch.setattr(confighosts.tomlkit, "dumps", lambda doc: 'url = "x"\nurl = "y"\n')
    with pytest.raises(ConfigError) as raised:
        confighosts.add_hosts(None, ["registry.aqora.example"])
    assert "nothing was written" in raised.value.message
    assert written == [] and config.read_bytes() == original
