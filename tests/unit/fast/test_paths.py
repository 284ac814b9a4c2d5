"""The fast path's stdlib directory rules agree with platformdirs."""

from __future__ import annotations

import platformdirs
import pytest

from aqora_helper.engine.datadir import data_dir
from aqora_helper.fast import paths


@pytest.mark.parametrize("xdg", [True, False])
def test_cache_data_and_config_dirs_match_platformdirs(monkeypatch, tmp_path, xdg):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("AQORA_HELPER_CONFIG", raising=False)
    monkeypatch.delenv("AQORA_HELPER_DATA_DIR", raising=False)
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        if xdg:
            monkeypatch.setenv(name, str(tmp_path / name.lower()))
        else:
            monkeypatch.delenv(name, raising=False)
    assert paths.cache_dir() == platformdirs.user_cache_path("aqora-helper", appauthor=False)
    assert paths.config_path().parent == platformdirs.user_config_path(
        "aqora-helper", appauthor=False
    )
    assert data_dir() == platformdirs.user_data_path("aqora-helper", appauthor=False)


def test_config_override(monkeypatch, tmp_path):
    monkeypatch.setenv("AQORA_HELPER_CONFIG", str(tmp_path / "c.toml"))
    assert paths.config_path() == tmp_path / "c.toml"
