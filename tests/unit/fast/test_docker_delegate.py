"""credsStore delegation decided without the engine (fast/dockerdelegate.py): the same
store names as the engine accepts, the store recorded for the Docker config in use (by
its real path or as written), the bound read from the current host index only."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.engine.dockerstore import valid_store_name as engine_valid_store_name
from aqora_helper.fast import dockerdelegate, hostindex


@settings(max_examples=500, deadline=None)
@given(name=st.one_of(st.text(max_size=70), st.sampled_from(["aqora", "desktop", "pass", "a" * 65])))
def test_store_names_are_the_engines(name: str) -> None:
    assert dockerdelegate.valid_store_name(name) == engine_valid_store_name(name)


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return folder


def record(folder: Path, delegates: dict[str, str]) -> None:
    path = folder / "docker-store.json"
    path.write_text(json.dumps({"version": 1, "delegates": delegates}))
    path.chmod(0o600)


def test_the_store_of_the_config_in_use_is_found(data: Path, tmp_path: Path) -> None:
    real = tmp_path / "docker" / "config.json"
    real.parent.mkdir()
    real.write_text("{}")
    link = tmp_path / "docker-link"
    link.symlink_to(real.parent)
    record(data, {str(real): "secretservice", "/elsewhere/config.json": "pass"})
    assert dockerdelegate.delegate_for(str(real)) == "secretservice"
    assert dockerdelegate.delegate_for(str(link / "config.json")) == "secretservice"
    assert dockerdelegate.delegate_for("/elsewhere/config.json") == "pass"
    assert dockerdelegate.delegate_for(str(tmp_path / "other.json")) is None


@pytest.mark.parametrize("name", ["aqora", "../../bin/sh", "-rf", ""])
def test_a_recorded_name_that_is_no_store_is_never_run(data: Path, name: str) -> None:
    record(data, {"/c/config.json": name})
    assert dockerdelegate.delegate_for("/c/config.json") is None
    assert dockerdelegate.delegated("get", "x", "/c/config.json") is None  # the engine's


def test_a_record_others_can_write_is_not_trusted(data: Path) -> None:
    record(data, {"/c/config.json": "pass"})
    os.chmod(data / "docker-store.json", 0o666)
    assert dockerdelegate.delegate_for("/c/config.json") is None


def test_the_bound_comes_from_a_current_index_only(data: Path, monkeypatch) -> None:
    assert dockerdelegate.index_timeout() is None  # no index: the engine decides
    shared = {"timeouts": {"keyring": 2.5}, "environments": {}}
    hostindex.save_index(hostindex.fingerprint(), {}, "https://aqora.io/", 60, 30.0, shared)
    assert dockerdelegate.index_timeout() == 2.5
    monkeypatch.setenv("AQORA_URL", "https://other.example")  # the index is stale now
    assert dockerdelegate.index_timeout() is None
    record(data, {"/c/config.json": "pass"})
    assert dockerdelegate.delegated("get", "x", "/c/config.json") is None
