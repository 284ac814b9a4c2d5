"""The helper records each folder it creates for its data (`created-folders` in the data
directory, read by `install.sh --uninstall`, which deletes only those): the data
directory and those above it when they were missing, and its own subfolders; never a
folder that existed, nor one outside the data directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aqora_helper.engine.datadir import created_record, data_dir, data_file
from aqora_helper.fast.errors import AqoraHelperError


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "share" / "aqora"
    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(folder))
    return folder


def recorded() -> list[str]:
    return [json.loads(line) for line in created_record().read_text().splitlines()]


def test_each_folder_made_is_recorded_once(data: Path, tmp_path: Path) -> None:
    data_file(data_dir() / "insecure" / "x.json")
    made = [str(tmp_path / "share"), str(data), str(data / "insecure")]
    assert recorded() == made
    assert all(Path(folder).is_dir() for folder in made)
    data_file(data_dir() / "insecure" / "y.json")
    data_file(data_dir() / "sessions.json")
    data_file(data_dir() / "recovery" / "z.json")
    assert recorded() == [*made, str(data / "recovery")]
    assert (created_record().stat().st_mode & 0o777) == 0o600


def test_a_folder_that_existed_is_not_recorded(data: Path) -> None:
    (data / "insecure").mkdir(parents=True)
    data_file(data_dir() / "insecure" / "x.json")
    assert not created_record().exists()


def test_a_file_outside_the_data_directory_records_nothing(data: Path, tmp_path: Path) -> None:
    data_file(tmp_path / "elsewhere" / "record.json")
    assert (tmp_path / "elsewhere").is_dir() and not data.exists()


def test_a_planted_record_link_is_refused(data: Path, tmp_path: Path) -> None:
    data.mkdir(parents=True)
    target = tmp_path / "target"
    target.write_text("")
    created_record().symlink_to(target)
    with pytest.raises(AqoraHelperError):
        data_file(data_dir() / "insecure" / "x.json")
    assert target.read_text() == ""
