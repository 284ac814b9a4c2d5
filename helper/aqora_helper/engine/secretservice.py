"""The Secret Service (the Linux OS keyring) over one D-Bus connection.

keyring's SecretService backend opens a new D-Bus connection, and a new encrypted
session (a Diffie-Hellman exchange), for every call; a refresh makes two to four calls
(read, write of the rotated token, removal of a legacy item). `SecretServiceStore`
answers the same three calls over one connection and one session for the whole
process, with the same items: attributes `service` and `username` (plus keyring's
`application`), keyring's label, the default collection, so sessions stay readable by
keyring's backend and `secret-tool` and the other way round. Used only when no keyring
backend is configured (`engine.vault` decides).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from .errors import KeyringLocked

APP_ID = "Python keyring library"  # keyring's SecretService.Keyring.appid
SHOWN_AS = "keyring.backends.SecretService.Keyring"  # the backend it stands in for
UNLOCK_RECHECK = 5.0  # seconds a collection found unlocked is trusted to stay so


class SecretServiceStore:
    """get/set/delete_password as keyring's Secret Service backend, on one connection."""

    shown_as = SHOWN_AS

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.unlocked_at: float | None = None  # when the collection was last seen unlocked

    @classmethod
    def connect(cls) -> SecretServiceStore | None:
        """The store on a new connection to the session bus; None when no Secret
        Service answers there (or secretstorage is missing)."""
        try:
            import secretstorage
        except ImportError:
            return None
        try:
            connection = secretstorage.dbus_init()
        except Exception:  # no session bus: keyring's discovery decides
            return None
        try:
            if secretstorage.check_service_availability(connection):
                return cls(secretstorage.get_default_collection(connection))
        except Exception:  # noqa: S110 - no usable default collection: discovery decides
            pass
        connection.close()
        return None

    def close(self) -> None:
        """Close the connection (the store is not used afterwards); best effort."""
        with contextlib.suppress(OSError):
            self.collection.connection.close()

    def _unlocked(self) -> Any:
        """The collection, unlocked. Checked again only after UNLOCK_RECHECK seconds: a
        refresh makes its three calls within a fraction of a second, and a long-lived
        process (the Python API) still sees a collection locked since."""
        collection = self.collection
        now = time.monotonic()
        if self.unlocked_at is None or now - self.unlocked_at > UNLOCK_RECHECK:
            if collection.is_locked():
                collection.unlock()
                if collection.is_locked():
                    raise KeyringLocked("the default collection is locked")
            self.unlocked_at = now
        return collection

    def _first(self, service: str, username: str) -> Any:
        query = {"username": username, "service": service}
        return next(iter(self._unlocked().search_items(query)), None)

    def _session(self) -> None:
        """One encrypted session for every item (secretstorage opens one per item)."""
        if self.collection.session is None:
            from secretstorage.util import open_session

            self.collection.session = open_session(self.collection.connection)

    def get_password(self, service: str, username: str) -> str | None:
        item = self._first(service, username)
        if item is None:
            return None
        if item.is_locked():
            item.unlock()
            if item.is_locked():
                raise KeyringLocked("the item is locked")
        self._session()
        item.session = self.collection.session
        return str(item.get_secret().decode("utf-8"))

    def set_password(self, service: str, username: str, password: str) -> None:
        attributes = {"username": username, "service": service, "application": APP_ID}
        label = f"Password for '{username}' on '{service}'"
        self._session()
        self._unlocked().create_item(label, attributes, password, replace=True)

    def delete_password(self, service: str, username: str) -> None:
        item = self._first(service, username)
        if item is not None:
            item.delete()
