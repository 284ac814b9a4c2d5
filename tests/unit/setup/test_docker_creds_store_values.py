"""`setup docker --creds-store` and its `--remove` for every spelling of `credsStore`:
absent, `null`, `""` and store names (escaped ones too) are set up and undone byte for
byte, and the setup record stays loadable in between; anything else (a number, a
boolean, an object, a name that is no store, the key twice) is refused before anything
is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aqora_helper.engine.dockerstore import delegate_for, delegates_file
from aqora_helper.engine.errors import ConfigError
from aqora_helper.setup import docker as setup_docker
from aqora_helper.setup.dockerrecord import load as load_record

HOSTS = ["registry.aqora.io"]

ACCEPTED = {  # the file -> the store other registries then go to (None: the OS keyring)
    '{\n  "auths": {},\n  "credsStore": null\n}\n': None,
    '{"credsStore":null}': None,
    '{\n  "credsStore": ""\n}\n': None,
    '{\n  "auths": {}\n}\n': None,
    "{}": None,
    '{\n  "credsStore": "desktop"\n}\n': "desktop",
    '{\n  "credsStore": "desk\\u0074op"\n}\n': "desktop",
    '{ "credsStore" : "pass" , "auths": {} }': "pass",
    '{\r\n\t"credsStore": null,\r\n\t"credHelpers": {"gcr.io": "gcloud"}\r\n}\r\n': None,
}

REFUSED = [
    '{\n  "credsStore": 5\n}\n',
    '{\n  "credsStore": true\n}\n',
    '{\n  "credsStore": {}\n}\n',
    '{\n  "credsStore": ["desktop"]\n}\n',
    '{\n  "credsStore": "not a store!"\n}\n',
    '{\n  "credsStore": " desktop"\n}\n',
    '{\n  "credsStore": "desktop",\n  "credsStore": null\n}\n',
    '{\n  "credsStore": null,\n  "creds\\u0053tore": "pass"\n}\n',
]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(path))
    return path


@pytest.mark.parametrize("text", sorted(ACCEPTED))
def test_set_up_and_undone_byte_for_byte(text: str, tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_bytes(text.encode())
    setup_docker.add_entries(config, HOSTS, creds_store=True)
    assert json.loads(config.read_text())["credsStore"] == "aqora"
    load_record(setup_docker.state_path())  # what setup recorded loads again
    assert delegate_for(config) == ACCEPTED[text]
    setup_docker.add_entries(config, HOSTS, creds_store=True)  # again: nothing changes
    setup_docker.remove_entries(config, None)
    assert config.read_bytes() == text.encode()
    assert not setup_docker.state_path().exists() and not delegates_file().exists()


@pytest.mark.parametrize("text", REFUSED)
def test_refused_before_anything_is_written(text: str, tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "config.json"
    config.write_bytes(text.encode())
    with pytest.raises(ConfigError) as raised:
        setup_docker.add_entries(config, HOSTS, creds_store=True)
    assert "credsStore" in raised.value.message and raised.value.hint
    assert config.read_bytes() == text.encode()
    assert not data_dir.exists()  # no record, no delegate
