"""Refresh-token storage: the `Vault` interface and its two kinds, the OS keyring
(default) and an opt-in insecure file.

Keyring naming: service `keyring_names.SESSION_SERVICE` (it holds a tab, so no service
string derived from a URL can reach it), username = the environment's base URL (e.g.
`https://aqora.io/`); the secret is JSON `{"refresh_token", "client_id",
"client_secret"}`, through `oskeyring`. A session stored by an earlier version under
`keyring_names.LEGACY_SERVICE` is moved on first use, under the refresh lock the caller
holds (see `KeyringVault.load`). The insecure file and the recovery file: `sessionfiles`.

A refresh first reserves disk space for the rotated session (`PendingSave`): the
insecure file itself, or with the keyring the recovery file, so a full disk fails the
refresh before the server rotates anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from ..fast.atomicfile import Reservation
from ..fast.errors import AqoraHelperError, LockTimeout, StorageFailure
from ..fast.keyring_names import LEGACY_SERVICE, SESSION_SERVICE
from ..fast.privatefiles import remove_private, write_private
from ..fast.refreshlock import RefreshLock
from .datadir import data_dir, data_file
from .log import logger
from .oskeyring import keyring_call, os_keyring
from .sessionfiles import (
    StoredSession,
    adopt_recovery,
    file_body,
    insecure_file,
    keep_for_recovery,
    load_file,
    recovery_file,
)

RESERVE_SLACK = 2048  # bytes reserved beyond the current session: a longer rotated token


class Vault(Protocol):
    """Where an environment's session (its refresh token) is kept: `KeyringVault` or
    `FileVault`. A refresh reserves room in `pending_file` before it asks the server:
    when the vault is `file_backed` that file is the vault itself (the rotated session
    is committed there), otherwise it is the recovery file, used only if `save` fails."""

    description: str  # how warnings name it: "OS keyring", "insecure file"
    source: str  # the source `status` shows: "keyring", "insecure file"
    file_backed: bool

    def load(self, env_url: str) -> StoredSession | None:
        """The stored session (a pending recovered one first); the caller holds the
        environment's refresh lock."""
        ...

    def load_unlocked(self, env_url: str) -> StoredSession | None:
        """`load` for a caller that does not hold the refresh lock."""
        ...

    def save(self, env_url: str, session: StoredSession) -> None:
        """Store (replace) the session."""
        ...

    def delete(self, env_url: str) -> bool:
        """Remove the session; True when there was one."""
        ...

    def location(self, env_url: str) -> str:
        """Where exactly: the OS keyring backend's name, or the file's path."""
        ...

    def pending_file(self, env_url: str) -> Path:
        """The file a refresh reserves room in (see the class)."""
        ...


class KeyringVault:
    """Sessions in the OS keyring."""

    description = "OS keyring"
    source = "keyring"
    file_backed = False

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def _call(self, method: str, *args: str) -> Any:
        return keyring_call(self.timeout, method, *args)

    def _get(self, service: str, env_url: str) -> str | None:
        """The secret stored under (service, env_url), or None."""
        raw = self._call("get_password", service, env_url)
        return raw if isinstance(raw, str) else None

    def backend_name(self) -> str:
        """Name of the OS backend in use."""
        backend = os_keyring(self.timeout)
        shown: str = getattr(
            backend, "shown_as", f"{type(backend).__module__}.{type(backend).__name__}"
        )
        return shown

    def location(self, env_url: str) -> str:
        """The OS backend's name (the same for every environment)."""
        return self.backend_name()

    def pending_file(self, env_url: str) -> Path:
        """The recovery file: used only if the keyring refuses the rotated session."""
        return recovery_file(env_url)

    def load(self, env_url: str, move_legacy: bool = True) -> StoredSession | None:
        """The stored session, picking up a pending recovery file first. A session
        stored under the legacy name is moved (`move_legacy`): the caller holds the
        refresh lock (the refresh path does; see load_unlocked)."""
        pending = adopt_recovery(env_url, self.save)
        if pending is not None:
            return pending
        raw = self._get(SESSION_SERVICE, env_url)
        if raw is None:
            raw = self._move_legacy(env_url) if move_legacy else self._get(LEGACY_SERVICE, env_url)
        return StoredSession.from_json(raw) if raw else None

    def holds(self, env_url: str) -> bool:
        """True when a session is stored under either name (reads only)."""
        return any(
            self._get(name, env_url) is not None for name in (SESSION_SERVICE, LEGACY_SERVICE)
        )

    def load_unlocked(self, env_url: str) -> StoredSession | None:
        """`load` for a caller that does not hold the refresh lock (doctor): takes it to
        move a legacy session; without it in time, only reads (a later load moves it)."""
        try:
            with RefreshLock(env_url, self.timeout):
                return self.load(env_url)
        except LockTimeout:
            logger.debug("session left under its legacy keyring name for now (lock busy)")
            return self.load(env_url, move_legacy=False)

    def save(self, env_url: str, session: StoredSession) -> None:
        """Store (replace) the session; drop a copy left under the legacy name."""
        self._call("set_password", SESSION_SERVICE, env_url, session.to_json())
        self._drop_legacy(env_url)

    def delete(self, env_url: str) -> bool:
        """Remove the session (under either name); True when there was one."""
        removed = remove_private(recovery_file(env_url))
        for service in (SESSION_SERVICE, LEGACY_SERVICE):
            if self._get(service, env_url) is not None:
                self._call("delete_password", service, env_url)
                removed = True
        return removed

    def _move_legacy(self, env_url: str) -> str | None:
        """Under the refresh lock, with nothing under SESSION_SERVICE: the session an
        earlier version stored under the legacy name, copied to the new name and
        confirmed, then deleted there. Any failed step leaves the legacy item, so
        nothing is lost."""
        legacy = self._get(LEGACY_SERVICE, env_url)
        if legacy is None or StoredSession.from_json(legacy) is None:
            return legacy
        if self._copy_to_new(env_url, legacy):
            self._drop_legacy(env_url)
        return legacy

    def _copy_to_new(self, env_url: str, raw: str) -> bool:
        """Write `raw` under SESSION_SERVICE; True once it reads back the same."""
        try:
            self._call("set_password", SESSION_SERVICE, env_url, raw)
            return self._get(SESSION_SERVICE, env_url) == raw
        except AqoraHelperError as exc:
            logger.debug("session not moved to its new keyring name yet: %s", exc.message)
            return False

    def _drop_legacy(self, env_url: str) -> None:
        """Delete the legacy-name item (absent is fine); a failure is retried on the next
        save. Only called once the session is stored under SESSION_SERVICE."""
        try:
            self._call("delete_password", LEGACY_SERVICE, env_url)
        except AqoraHelperError as exc:
            logger.debug("legacy keyring item not removed yet: %s", exc.message)


class FileVault:
    """Sessions in a 0600 file, only when the user asked for it (--insecure-storage)."""

    description = "insecure file"
    source = "insecure file"
    file_backed = True

    def location(self, env_url: str) -> str:
        return str(insecure_file(env_url))

    def pending_file(self, env_url: str) -> Path:
        """The insecure file itself: the rotated session is committed into its room."""
        return insecure_file(env_url)

    def load(self, env_url: str) -> StoredSession | None:
        """The stored session, picking up a pending recovery file first."""
        pending = adopt_recovery(env_url, self.save)
        if pending is not None:
            return pending
        return load_file(insecure_file(env_url), env_url)

    def load_unlocked(self, env_url: str) -> StoredSession | None:
        """`load`: a file vault has no legacy name to move (no lock needed)."""
        return self.load(env_url)

    def save(self, env_url: str, session: StoredSession) -> None:
        write_private(data_file(insecure_file(env_url)), file_body(env_url, session), data_dir())

    def delete(self, env_url: str) -> bool:
        return remove_private(insecure_file(env_url))


def vault_for(env_url: str, keyring_timeout: float) -> Vault:
    """The vault that holds (or would hold) this environment's session: the insecure
    file when one exists (the user opted in at login), else the OS keyring."""
    if os.path.lexists(insecure_file(env_url)):
        return FileVault()
    return KeyringVault(keyring_timeout)


def stored_anywhere(env_url: str, keyring_timeout: float) -> bool:
    """True when some vault holds (or a recovery file keeps) a session for `env_url`;
    reads only, moves nothing (no lock needed). Raises an AqoraHelperError subclass
    when the OS keyring cannot be asked."""
    if os.path.lexists(insecure_file(env_url)) or os.path.lexists(recovery_file(env_url)):
        return True
    return KeyringVault(keyring_timeout).holds(env_url)


class PendingSave:
    """`with PendingSave(vault, url, current) as pending:` reserves disk space for the
    session a refresh will rotate, before the server is asked (raises StorageFailure
    when there is none: nothing was sent, the current session stays valid); then
    `pending.save(rotated)` stores it. The reserved file is the vault's `pending_file`:
    the vault itself when it is `file_backed`, else the recovery file, used only if the
    vault refuses."""

    def __init__(self, vault: Vault, env_url: str, current: StoredSession) -> None:
        self.vault = vault
        self.env_url = env_url
        self.path = vault.pending_file(env_url)
        self.room = _reserve(self.path, len(file_body(env_url, current)) + RESERVE_SLACK)

    def __enter__(self) -> PendingSave:
        return self

    def __exit__(self, *exc: object) -> None:
        self.room.discard()

    def save(self, session: StoredSession) -> str | None:
        """Store the rotated session; returns a warning when it had to go to the recovery
        file instead of its vault. Raises StorageFailure when it could not be stored."""
        try:
            if self.vault.file_backed:
                self._commit(session)
            else:
                self.vault.save(self.env_url, session)
        except AqoraHelperError as exc:
            where = self._keep(session)
            return (
                f"could not store the rotated session in the {self.vault.description} "
                f"({exc.message}); kept it in {where}, it is moved there on the next run"
            )
        try:  # an older recovered session must never come back over this one
            remove_private(recovery_file(self.env_url))
        except StorageFailure as exc:
            logger.debug("stale recovery file not removed: %s", exc.message)
        return None

    def _commit(self, session: StoredSession) -> None:
        try:
            self.room.commit(file_body(self.env_url, session))
        except OSError as exc:
            raise StorageFailure(str(self.path), exc.strerror or str(exc)) from None

    def _keep(self, session: StoredSession) -> Path:
        if self.vault.file_backed:
            return keep_for_recovery(self.env_url, session)
        self._commit(session)
        return self.path


def _reserve(path: Path, size: int) -> Reservation:
    data_file(path)  # its folder, made (and recorded) first
    try:
        return Reservation(path, size, 0o600)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
