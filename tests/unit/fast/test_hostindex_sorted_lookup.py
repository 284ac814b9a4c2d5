"""The host index's sorted layout (fast/hostlookup.py): every recorded host and
environment is found by binary search and nothing else is, at any size (an index of
2000 hosts is read beyond its first block); the file stays one JSON document; a file
that is out of shape, replaced after loading, or unsafe is never trusted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.fast import hostindex, hostlookup
from aqora_helper.fast.errors import UnsafeStorage


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in (*hostindex.FINGERPRINT_ENV, "AQORA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache" / "aqora-helper"


def host_entry(env_url: str) -> dict[str, object]:
    return {"url": env_url, "username": "aqora", "git_auth": "auto", "skew": 60}


def settings_for(envs: dict[str, list[str]]) -> dict[str, object]:
    return {
        "config_path": "/nowhere/config.toml",
        "default_url": next(iter(envs), "https://aqora.io/"),
        "refresh_skew": 60,
        "timeouts": {"connect": 5.0, "read": 15.0, "lock": 30.0, "keyring": 10.0,
                     "login": 300.0, "cli": 30.0},
        "environments": {
            url: {"hosts": hosts, "username": "aqora", "git_auth": "auto"}
            for url, hosts in envs.items()
        },
        "allow_insecure": False,
        "token_url": None,
    }  # fmt: skip


def save(envs: dict[str, list[str]]) -> None:
    hosts = {h: host_entry(url) for url, hs in envs.items() for h in hs}
    hostindex.save_index(
        hostindex.fingerprint(), hosts, "https://aqora.io/", 60, 30.0, settings_for(envs)
    )


def many(count: int) -> dict[str, list[str]]:
    """`count` environments of two hosts each (as users with large configs have them)."""
    return {
        f"https://env{i}.example/": [f"env{i}.example", f"registry.env{i}.example:5000"]
        for i in range(count)
    }


def test_every_host_of_1000_environments_is_found_and_no_other(cache: Path) -> None:
    envs = many(1000)
    save(envs)
    assert (cache / "hosts.json").stat().st_size > hostlookup.FIRST_BLOCK * 10
    index = hostindex.load_index()
    assert index is not None
    for url, hosts in envs.items():
        for host in hosts:
            assert index.host(host) == host_entry(url)
        assert index.environment(url) == {"hosts": hosts, "username": "aqora", "git_auth": "auto"}
    for absent in ("aqora.io", "env1000.example", "env1.example:5000", "", "~", "!", "zzz"):
        assert index.host(absent) is None
    assert index.environment("https://elsewhere.example/") is None
    assert index.hosts() == {h: host_entry(url) for url, hs in envs.items() for h in hs}


def test_the_settings_a_refresh_needs_hold_that_environment_only(cache: Path) -> None:
    envs = many(50)
    save(envs)
    index = hostindex.load_index()
    assert index is not None
    recorded = index.settings_for("https://env7.example/")
    expected = settings_for({"https://env7.example/": envs["https://env7.example/"]})
    assert recorded == dict(expected, default_url="https://env0.example/")
    assert index.settings_for("https://unknown.example/") is None


def test_the_index_is_one_json_document(cache: Path) -> None:
    envs = many(20)
    save(envs)
    data = json.loads((cache / "hosts.json").read_text())
    assert set(data) == {"index", "hosts", "environments", "settings"}
    assert len(data["hosts"]) == 40 and len(data["environments"]) == 20
    assert data["index"]["fingerprint"] == hostindex.fingerprint()


def test_an_index_without_settings_knows_no_environment(cache: Path) -> None:
    hostindex.save_index(
        hostindex.fingerprint(), {"aqora.io": host_entry("https://aqora.io/")},
        "https://aqora.io/", 60, 30.0,
    )  # fmt: skip
    index = hostindex.load_index()
    assert index is not None and index.host("aqora.io") is not None
    assert index.environment("https://aqora.io/") is None
    assert index.settings_for("https://aqora.io/") is None


keys = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters='\x7f'),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(present=st.sets(keys, max_size=300), probes=st.lists(keys, max_size=30))
def test_lookups_agree_with_a_dict(
    present: set[str], probes: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any keys, quotes, escapes and non-ASCII included: found when recorded, else None."""
    folder = tmp_path_factory.mktemp("index")
    os.chmod(folder, 0o700)
    path = folder / "hosts.json"
    entries = {key: host_entry(f"https://{i}.example/") for i, key in enumerate(present)}
    head = {"version": hostlookup.INDEX_VERSION, "fingerprint": "x",
            "default_url": "https://x.example/", "skew": 60, "lock_timeout": 30.0}  # fmt: skip
    path.write_bytes(hostlookup.render(head, {"hosts": entries, "environments": {}}, None))
    path.chmod(0o600)
    index = hostlookup.load(str(path), str(folder))
    assert index is not None
    for key in [*present, *probes]:
        assert index.host(key) == entries.get(key)


def test_a_file_replaced_after_loading_is_not_read(cache: Path) -> None:
    save(many(500))
    index = hostindex.load_index()
    assert index is not None
    save(many(500))  # the same content, another file
    with pytest.raises(hostlookup.BrokenIndex):
        index.host("env400.example")


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw.replace(b'"version": 3', b'"version": 2'),
        lambda raw: raw[:100],
        lambda raw: b"{}",
        lambda raw: raw.replace(b'"hosts": [', b'"hosts": [999999999, '),
        lambda raw: raw.replace(b'"hosts": [', b'"hosts": [3, '),  # mid-line ranges
        lambda raw: raw.replace(b'"url": "https://env', b'"url": 7, "x": "', 1),
        lambda raw: raw.replace(b'"lock_timeout": 30.0', b'"lock_timeout": "30"'),
        lambda raw: raw.replace(b'"env3.example": {', b'"env3.example\\x": {'),  # bad escape
        lambda raw: raw.replace(b'"env3.example": {', b'"env3.example": {"url": {'),
    ],
)
def test_a_damaged_index_is_refused(cache: Path, damage) -> None:
    save(many(30))
    path = cache / "hosts.json"
    path.write_bytes(damage(path.read_bytes()))
    index = hostindex.load_index()
    if index is None:
        return  # refused at load: the engine decides
    with pytest.raises(hostlookup.BrokenIndex):
        for i in range(30):
            assert index.host(f"env{i}.example") == host_entry(f"https://env{i}.example/")


def test_lines_out_of_order_answer_no_host_with_another_hosts_entry(cache: Path) -> None:
    """A search misled by an edited order may miss a host (it then gets no token), but
    an answer always comes from that host's own line."""
    save(many(30))
    path = cache / "hosts.json"
    path.write_bytes(path.read_bytes().replace(b'"env3.example"', b'"env9.example"', 1))
    index = hostindex.load_index()
    assert index is not None
    for i in range(30):
        found = index.host(f"env{i}.example")
        assert found is None or found == host_entry(f"https://env{i}.example/") or i == 9


def test_an_index_others_can_write_or_a_symlink_is_refused(cache: Path, tmp_path: Path) -> None:
    save(many(3))
    path = cache / "hosts.json"
    path.chmod(0o622)
    assert hostindex.load_index() is None
    with pytest.raises(UnsafeStorage):
        hostlookup.load(str(path), str(cache))
    path.chmod(0o600)
    moved = tmp_path / "elsewhere.json"
    path.rename(moved)
    path.symlink_to(moved)
    assert hostindex.load_index() is None


def test_an_index_for_another_configuration_is_stale(cache: Path, monkeypatch) -> None:
    save(many(3))
    assert hostindex.load_index() is not None
    monkeypatch.setenv("AQORA_URL", "https://other.example")
    assert hostindex.load_index() is None
