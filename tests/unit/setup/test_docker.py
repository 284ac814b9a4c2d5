"""`aqora-helper setup docker [--url URL] [--remove]`: editing ~/.docker/config.json.

The core invariant: setup followed by --remove gives back the original bytes (or no
file when there was none), whatever the file's layout; other keys are never touched;
the file's mode is kept; `credsStore` is never set.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aqora_helper.setup import docker as setup_docker

HOSTS = ["registry.aqora.io", "127.0.0.1:5000"]

DOCKER_CLI_STYLE = (
    '{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "dXNlcjpwYXNz"\n'
    '\t\t},\n\t\t"ghcr.io": {}\n\t},\n\t"credsStore": "desktop",\n'
    '\t"currentContext": "default"\n}'
)

FILES = {
    "docker-cli": DOCKER_CLI_STYLE,
    "two-spaces-newline": '{\n  "auths": {},\n  "psFormat": "table {{.ID}}"\n}\n',
    "four-spaces-crlf": '{\r\n    "auths": {\r\n        "x.io": {}\r\n    }\r\n}\r\n',
    "compact": '{"auths":{"x.io":{"auth":"YTpi"}},"detachKeys":"ctrl-e,e"}',
    "one-line-spaced": '{ "auths": { }, "credsStore": "pass" }\n',
    "empty": "{}",
    "empty-newline": "{}\n",
    "empty-spaced": "{ \n }\n",
    "credhelpers-first": '{\n\t"credHelpers": {\n\t\t"gcr.io": "gcloud"\n\t},\n\t"auths": {}\n}',
    "credhelpers-empty": '{\n  "credHelpers": {},\n  "auths": {}\n}\n',
    "credhelpers-spaced-empty": '{\n  "credHelpers": { },\n  "auths": {}\n}\n',
    "credhelpers-compact": '{"credHelpers":{"gcr.io":"gcloud","ecr.aws":"ecr-login"}}',
    "unicode-escapes": '{\n  "note": "caf\\u00e9 \u00e9 <&>",\n  "n": 1.50,\n  "t": true\n}\n',
    "odd-spacing": '{\n   "auths" :{}  ,\n\t"x":[1, 2 ,3]\n  }\n\n',
    "already-ours": '{\n  "credHelpers": {\n    "registry.aqora.io": "aqora"\n  }\n}\n',
    "other-helper": '{\n  "credHelpers": {\n    "registry.aqora.io": "ecr-login",\n'
    '    "gcr.io": "gcloud"\n  }\n}\n',
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(path))
    return path


def setup_then_remove(config: Path, hosts: list[str] = HOSTS) -> tuple[Any, list[str]]:
    _lines, warnings = setup_docker.add_entries(config, hosts)
    after_setup = json.loads(config.read_text())
    setup_docker.remove_entries(config, None)
    return after_setup, warnings


@pytest.mark.parametrize("name", sorted(FILES))
def test_setup_then_remove_restores_the_bytes(name: str, tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    original = FILES[name].encode()
    config.write_bytes(original)
    before = json.loads(original)

    after, _ = setup_then_remove(config)

    assert config.read_bytes() == original
    # the setup result: every other key untouched and in order, our entries added
    assert {k: v for k, v in after.items() if k != "credHelpers"} == {
        k: v for k, v in before.items() if k != "credHelpers"
    }
    assert [k for k in after if k != "credHelpers"] == [k for k in before if k != "credHelpers"]
    helpers = after["credHelpers"]
    assert all(helpers[h] == "aqora" for h in HOSTS)
    for key, value in (before.get("credHelpers") or {}).items():
        if key not in HOSTS:
            assert helpers[key] == value
    assert "credsStore" not in after or after["credsStore"] == before.get("credsStore")
    assert not list(config.parent.glob(".*tmp"))  # no temp file left behind


def test_setup_keeps_the_file_style(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    setup_docker.add_entries(config, HOSTS)
    assert config.read_text() == DOCKER_CLI_STYLE[:-2] + (
        ',\n\t"credHelpers": {\n\t\t"registry.aqora.io": "aqora",\n'
        '\t\t"127.0.0.1:5000": "aqora"\n\t}\n}'
    )
    config.write_text('{"auths":{}}\n')
    setup_docker.add_entries(config, ["a.io"])
    assert config.read_text() == '{"auths":{},"credHelpers":{"a.io":"aqora"}}\n'
    config.write_text('{\n  "credHelpers": {\n    "gcr.io": "gcloud"\n  }\n}\n')
    setup_docker.add_entries(config, ["a.io"])
    assert config.read_text() == (
        '{\n  "credHelpers": {\n    "gcr.io": "gcloud",\n    "a.io": "aqora"\n  }\n}\n'
    )


def test_without_a_file_setup_creates_it_and_remove_deletes_it(
    tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "home" / ".docker" / "config.json"
    (tmp_path / "home").mkdir()
    setup_docker.add_entries(config, HOSTS)
    assert json.loads(config.read_text()) == {"credHelpers": dict.fromkeys(HOSTS, "aqora")}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    setup_docker.remove_entries(config, None)
    assert not config.exists()
    assert not config.parent.exists()  # the directory we created is gone too
    assert (tmp_path / "home").exists()


def test_a_file_created_by_setup_but_edited_since_is_kept(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    setup_docker.add_entries(config, HOSTS)
    doc = json.loads(config.read_text())
    doc["auths"] = {"x.io": {}}
    config.write_text(json.dumps(doc, indent="\t"))
    setup_docker.remove_entries(config, None)
    assert json.loads(config.read_text()) == {"auths": {"x.io": {}}}


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o400])
def test_mode_is_kept(tmp_path: Path, data_dir: Path, mode: int) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    config.chmod(mode)
    setup_docker.add_entries(config, HOSTS)
    assert stat.S_IMODE(config.stat().st_mode) == mode
    assert "credHelpers" in json.loads(config.read_text())
    setup_docker.remove_entries(config, None)
    assert stat.S_IMODE(config.stat().st_mode) == mode
    assert config.read_text() == DOCKER_CLI_STYLE


def test_a_symlinked_config_is_edited_at_its_target(tmp_path: Path, data_dir: Path) -> None:
    target = tmp_path / "dotfiles" / "docker.json"
    target.parent.mkdir()
    target.write_text(DOCKER_CLI_STYLE)
    config = tmp_path / "config.json"
    config.symlink_to(target)
    setup_docker.add_entries(config, HOSTS)
    assert config.is_symlink()
    assert "credHelpers" in json.loads(target.read_text())
    setup_docker.remove_entries(config, None)
    assert config.is_symlink() and target.read_text() == DOCKER_CLI_STYLE


def test_another_helper_is_replaced_with_a_warning_and_restored(
    tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "config.json"
    original = FILES["other-helper"]
    config.write_text(original)
    _, warnings = setup_docker.add_entries(config, ["registry.aqora.io"])
    assert json.loads(config.read_text())["credHelpers"]["registry.aqora.io"] == "aqora"
    assert any("ecr-login" in w for w in warnings)
    setup_docker.remove_entries(config, None)
    assert config.read_text() == original


def test_setup_twice_then_remove_once(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    setup_docker.add_entries(config, HOSTS[:1])
    lines, _ = setup_docker.add_entries(config, HOSTS)
    assert any(line.startswith("unchanged:") for line in lines)
    setup_docker.remove_entries(config, None)
    assert config.read_text() == DOCKER_CLI_STYLE


def test_remove_for_one_environment_keeps_the_others(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    setup_docker.add_entries(config, HOSTS)
    setup_docker.remove_entries(config, ["127.0.0.1:5000"])
    assert json.loads(config.read_text())["credHelpers"] == {"registry.aqora.io": "aqora"}
    setup_docker.remove_entries(config, None)
    assert config.read_text() == DOCKER_CLI_STYLE


def test_remove_leaves_entries_it_did_not_add(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(FILES["already-ours"])
    setup_docker.add_entries(config, HOSTS)
    lines, _ = setup_docker.remove_entries(config, None)
    assert config.read_text() == FILES["already-ours"]
    assert any("left alone" in line for line in lines)


def test_remove_without_a_record_removes_aqora_entries_only(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        '{"credHelpers": {"a.io": "aqora", "gcr.io": "gcloud", "b.io": "aqora"}, "x": 1}'
    )
    setup_docker.remove_entries(config, None)
    assert json.loads(config.read_text()) == {"credHelpers": {"gcr.io": "gcloud"}, "x": 1}


def test_remove_when_nothing_to_do_does_not_write(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    before = config.stat()
    lines, _ = setup_docker.remove_entries(config, None)
    assert config.stat().st_ino == before.st_ino and config.read_text() == DOCKER_CLI_STYLE
    assert lines and lines[0].startswith("unchanged")
    assert setup_docker.remove_entries(tmp_path / "absent.json", None)[0][0].startswith("unchanged")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"credHelpers": []}',
        '{"credHelpers": {"a.io": 1}}',
        '{"credHelpers": {}, "credHelpers": {}}',
        '{"credHelpers": {"a.io": "x", "a.io": "y"}}',
        '{"a": 1',
        "\ufeff{}",
    ],
)
def test_a_broken_file_is_refused_and_left_alone(tmp_path: Path, data_dir: Path, text: str) -> None:
    from aqora_helper.engine.errors import ConfigError

    config = tmp_path / "config.json"
    config.write_text(text)
    for action in (
        lambda: setup_docker.add_entries(config, HOSTS),
        lambda: setup_docker.remove_entries(config, None),
    ):
        with pytest.raises(ConfigError):
            action()
        assert config.read_text() == text


def test_credsstore_aqora_gets_a_warning_and_is_left(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{\n  "credsStore": "aqora"\n}\n')
    _, warnings = setup_then_remove(config)
    assert any("credsStore" in w for w in warnings)
    assert config.read_text() == '{\n  "credsStore": "aqora"\n}\n'


def test_the_state_file_is_private_and_holds_no_file_content(
    tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(DOCKER_CLI_STYLE)
    setup_docker.add_entries(config, HOSTS)
    state = data_dir / "docker-setup.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert "dXNlcjpwYXNz" not in state.read_text()  # the auths secret stays in its file
    setup_docker.remove_entries(config, None)
    assert not state.exists()


# --- any layout: setup then remove is the identity ----------------------------------------

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)
HELPERS = st.dictionaries(
    st.sampled_from(["gcr.io", "ecr.aws", "registry.aqora.io", "x.io", "127.0.0.1:5000"]),
    st.sampled_from(["gcloud", "ecr-login", "aqora", "pass"]),
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=st.dictionaries(KEYS.filter(lambda k: k != "credHelpers"), VALUES, max_size=5),
    helpers=st.one_of(st.none(), HELPERS),
    helpers_first=st.booleans(),
    indent=st.sampled_from([None, 0, 1, 2, 4, "\t", " \t"]),
    compact=st.booleans(),
    ensure_ascii=st.booleans(),
    tail=st.sampled_from(["", "\n", "\n\n", " "]),
    crlf=st.booleans(),
)
def test_fuzz_setup_then_remove_is_the_identity(
    tmp_path_factory: pytest.TempPathFactory,
    doc: dict[str, Any],
    helpers: dict[str, str] | None,
    helpers_first: bool,
    indent: int | str | None,
    compact: bool,
    ensure_ascii: bool,
    tail: str,
    crlf: bool,
) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AQORA_HELPER_DATA_DIR", str(root / "data"))
        if helpers is not None:
            doc = (
                {"credHelpers": helpers, **doc}
                if helpers_first
                else {**doc, "credHelpers": helpers}
            )
        separators = (",", ":") if compact else None
        text = json.dumps(doc, indent=indent, separators=separators, ensure_ascii=ensure_ascii)
        text += tail
        if crlf:
            text = text.replace("\n", "\r\n")
        config = root / "config.json"
        config.write_text(text, newline="")
        original = config.read_bytes()

        setup_docker.add_entries(config, HOSTS)
        after = json.loads(config.read_bytes())
        expected = dict(doc)
        expected["credHelpers"] = {**(helpers or {}), **dict.fromkeys(HOSTS, "aqora")}
        assert after == expected
        assert list(after) == list(expected)

        setup_docker.remove_entries(config, None)
        assert config.read_bytes() == original
