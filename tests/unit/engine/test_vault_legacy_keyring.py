"""Issue #11, class 1 in-process: our backend knows every spelling of our store's names, and
a legacy session is moved to the current name without loss, against an OS keyring in
memory.

The real `keyring` program, library and Secret Service: tests/e2e/security/test_keyring_lookups.py.
"""

from __future__ import annotations

import pytest

from aqora_helper.engine import oskeyring
from aqora_helper.engine.errors import KeyringFailure
from aqora_helper.engine.sessionfiles import StoredSession
from aqora_helper.engine.vault import KeyringVault
from aqora_helper.fast.keyring_names import LEGACY_SERVICE, SESSION_SERVICE, names_own_storage
from shared.keyring_names import OWN_STORE_SERVICES


def test_names_own_storage_covers_the_spellings():
    """Origin: issue #11, class 1 (was tests/unit/test_sec_keyring_unit.py)."""
    assert all(names_own_storage(s) for s in OWN_STORE_SERVICES)
    for other in ("aqora-helper-mirror.example", "https://aqora.io/", "pypi.aqora.example",
                  "https://aqora-helper.example/", "helper", "", None, b"aqora-helper"):  # fmt: skip
        assert not names_own_storage(other), other


class MemoryKeyring:
    """An OS keyring in memory whose deletes can be made to fail."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}
        self.fail_deletes = False

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.fail_deletes:
            raise KeyringFailure("simulated")
        self.items.pop((service, username), None)


@pytest.fixture
def memory_vault(user_env, monkeypatch) -> tuple[KeyringVault, MemoryKeyring]:
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME"):
        monkeypatch.setenv(name, user_env[name])
    store = MemoryKeyring()
    monkeypatch.setattr(oskeyring, "_chosen", [store])
    return KeyringVault(5.0), store


def test_a_failed_legacy_delete_is_retried_by_the_next_save(memory_vault):
    """Origin: issue #11, class 1 (was tests/unit/test_sec_keyring_unit.py)."""
    vault, store = memory_vault
    url = "https://aqora.example/"
    old = StoredSession("rt-old", "cid")
    store.items[(LEGACY_SERVICE, url)] = old.to_json()
    store.fail_deletes = True
    assert vault.load(url) == old
    assert store.items[(SESSION_SERVICE, url)] == old.to_json()  # copied first
    assert (LEGACY_SERVICE, url) in store.items  # the delete failed: still there
    assert vault.load(url) == old  # the new name wins from now on
    store.fail_deletes = False
    vault.save(url, StoredSession("rt-new", "cid"))
    assert store.items == {(SESSION_SERVICE, url): StoredSession("rt-new", "cid").to_json()}


def test_a_legacy_item_that_is_no_session_is_left_alone(memory_vault):
    """Origin: issue #11, class 1 (was tests/unit/test_sec_keyring_unit.py)."""
    vault, store = memory_vault
    url = "https://aqora.example/"
    store.items[(LEGACY_SERVICE, url)] = "not json"
    assert vault.load(url) is None
    assert store.items == {(LEGACY_SERVICE, url): "not json"}


def test_the_current_name_wins_over_a_stale_legacy_item(memory_vault):
    """Origin: issue #11, class 1 (was tests/unit/test_sec_keyring_unit.py)."""
    vault, store = memory_vault
    url = "https://aqora.example/"
    store.items[(LEGACY_SERVICE, url)] = StoredSession("rt-stale", "cid").to_json()
    store.items[(SESSION_SERVICE, url)] = StoredSession("rt-current", "cid").to_json()
    assert vault.load(url) == StoredSession("rt-current", "cid")
