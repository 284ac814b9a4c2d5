"""`aqora_helper.setup.dockerrecord`: the typed undo record of `setup docker`.

Unit tier (no D-Bus, git or network): the record round-trips through JSON, what is read
back is validated field by field, and a corrupt record is a clear error that changes
nothing (neither the Docker config nor the record).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aqora_helper.setup import docker as setup_docker
from aqora_helper.setup.dockerrecord import (
    ConfigRecord,
    CorruptRecord,
    InvalidRecord,
    SetupRecord,
    load,
    save,
)

HOSTS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
RECORDS = st.builds(
    ConfigRecord,
    created_file=st.booleans(),
    created_dirs=st.lists(st.text(max_size=8), unique=True, max_size=3),
    created_key=st.booleans(),
    top_inner=st.one_of(st.none(), st.text(" \t\r\n", max_size=4)),
    helpers_inner=st.one_of(st.none(), st.text(" \t\r\n", max_size=4)),
    added=st.lists(HOSTS, unique=True, max_size=3),
    replaced=st.dictionaries(HOSTS, HOSTS.map(json.dumps), max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(configs=st.dictionaries(st.text(min_size=1, max_size=12), RECORDS, max_size=3))
def test_the_record_round_trips_through_json(configs: dict[str, ConfigRecord]) -> None:
    record = SetupRecord(configs)
    assert SetupRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def valid() -> dict[str, Any]:
    return {
        "version": 1,
        "configs": {
            "/home/u/.docker/config.json": {
                "created_file": False,
                "created_dirs": [],
                "created_key": True,
                "top_inner": "\n",
                "helpers_inner": None,
                "added": ["registry.aqora.io"],
                "replaced": {"gcr.io": '"gcloud"'},
            }
        },
    }


def config_of(data: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = data["configs"]["/home/u/.docker/config.json"]
    return config


def test_a_valid_record_reads_as_typed_fields() -> None:
    record = SetupRecord.from_json(valid())
    config = record.configs["/home/u/.docker/config.json"]
    assert config.created_key and config.top_inner == "\n"
    assert config.hosts == {"registry.aqora.io", "gcr.io"}
    config.forget("gcr.io")
    config.forget("registry.aqora.io")
    assert not config.hosts


def with_config(**changes: Any) -> dict[str, Any]:
    data = valid()
    config_of(data).update(changes)
    return data


def without_field(name: str) -> dict[str, Any]:
    data = valid()
    del config_of(data)[name]
    return data


CORRUPTIONS: dict[str, object] = {
    "not an object": [valid()],
    "version 2": {**valid(), "version": 2},
    "version true": {**valid(), "version": True},
    "version missing": {"configs": valid()["configs"]},
    "unknown key": {**valid(), "extra": 1},
    "configs a list": {**valid(), "configs": []},
    "config a string": {**valid(), "configs": {"/x": "y"}},
    "field missing": without_field("added"),
    "field unknown": with_config(more=1),
    "bool a string": with_config(created_file="yes"),
    "dirs not strings": with_config(created_dirs=[1]),
    "added repeats": with_config(added=["a", "a"]),
    "added a string": with_config(added="a"),
    "inner not whitespace": with_config(top_inner=' "x": 1 '),
    "inner a number": with_config(helpers_inner=0),
    "replaced bare": with_config(replaced={"a": "gcloud"}),
    "replaced two strings": with_config(replaced={"a": '"a" "b"'}),
    "replaced padded": with_config(replaced={"a": ' "a"'}),
    "replaced a number": with_config(replaced={"a": "1"}),
    "replaced an object": with_config(replaced={"a": '{"x": "y"}'}),
    "replaced a list": with_config(replaced=["a"]),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_a_corrupt_record_is_refused(name: str) -> None:
    with pytest.raises(InvalidRecord):
        SetupRecord.from_json(CORRUPTIONS[name])


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(path))
    return path


def test_load_and_save(tmp_path: Path) -> None:
    path = tmp_path / "state" / "docker-setup.json"
    assert load(path) == SetupRecord()
    record = SetupRecord.from_json(valid())
    save(path, record)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(path) == record
    save(path, SetupRecord())
    assert not path.exists()


@pytest.mark.parametrize("content", [b"", b"{", b"\xff", b"[]", b'{"version": 1}'])
def test_load_names_the_file_of_a_corrupt_record(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "docker-setup.json"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(CorruptRecord) as caught:
        load(path)
    assert str(path) in caught.value.message and str(path) in caught.value.hint


@pytest.mark.parametrize("remove", [False, True])
def test_a_corrupt_record_changes_nothing(tmp_path: Path, data_dir: Path, remove: bool) -> None:
    config = tmp_path / "config.json"
    config.write_text('{\n  "credHelpers": {\n    "a.io": "aqora"\n  }\n}\n')
    setup_docker.add_entries(config, ["b.io"])
    state = data_dir / "docker-setup.json"
    data = json.loads(state.read_text())
    data["configs"][str(config)]["replaced"] = {"a.io": "gcloud"}  # would inject bare text
    state.write_text(json.dumps(data))
    before = (config.read_bytes(), state.read_bytes())
    with pytest.raises(CorruptRecord):
        if remove:
            setup_docker.remove_entries(config, None)
        else:
            setup_docker.add_entries(config, ["c.io"])
    assert (config.read_bytes(), state.read_bytes()) == before
