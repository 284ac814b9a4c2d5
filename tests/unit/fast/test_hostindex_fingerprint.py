"""What the host index's fingerprint covers: every input that decides which hosts are
served and which environment is the default."""

from __future__ import annotations

import pytest

from aqora_helper.fast import hostindex


@pytest.mark.parametrize(
    "name", ["AQORA_URL", "AQORA_HELPER_CONFIG", "AQORA_HELPER_DATA_DIR", "XDG_DATA_HOME"]
)
def test_the_fingerprint_changes_with_each_deciding_variable(monkeypatch, tmp_path, name):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(name, raising=False)
    before = hostindex.fingerprint()
    monkeypatch.setenv(name, str(tmp_path / "elsewhere"))
    assert hostindex.fingerprint() != before


def test_the_fingerprint_records_aqora_token_set_never_its_value(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("AQORA_TOKEN", "secret-value-123")
    stamp = hostindex.fingerprint()
    assert "secret-value-123" not in stamp and "AQORA_TOKEN:set" in stamp
