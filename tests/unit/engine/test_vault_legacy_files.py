"""Issue #11 loose ends, class 2 in-process: a legacy insecure session file (no environment
URL inside) is read only under an unambiguous name, and never for another environment.

The rest, played with the real programs: tests/e2e/security/test_session_files.py.
"""

from __future__ import annotations


def test_legacy_files_are_read_only_under_an_unambiguous_name(tmp_path, monkeypatch):
    """Origin: issue #11 loose ends (was tests/unit/test_sec_followups_unit.py)."""
    from aqora_helper.engine.sessionfiles import StoredSession, insecure_file, load_file
    from aqora_helper.engine.vault import FileVault

    monkeypatch.setenv("AQORA_HELPER_DATA_DIR", str(tmp_path / "data"))
    session = StoredSession("aqrt_legacy_0123456789", "localhost-x")
    for url, usable in (
        ("https://aqora.example/", True),
        ("https://aqora.example:8443/", False),  # also https://aqora.example_8443/ once
        ("https://under_score.example/", False),  # hashed name: never written without URL
    ):
        path = insecure_file(url)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(session.to_json())
        path.chmod(0o600)
        assert (FileVault().load(url) == session) is usable, url
        assert load_file(path, "https://other.example/") is None
