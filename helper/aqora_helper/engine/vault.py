"""Refresh-token storage: the OS keyring (default) or an opt-in insecure file.

Keyring naming: service `keyring_names.SESSION_SERVICE` (it holds a tab, so no service
string derived from a URL can reach it), username = the environment's base URL (e.g.
`https://aqora.io/`); the secret is JSON `{"refresh_token", "client_id",
"client_secret"}`. The OS backend is chosen explicitly, never through
`keyring.get_password` (which would route through our own backend). A session stored by
an earlier version under `keyring_names.LEGACY_SERVICE` is moved on first use, under
the refresh lock the caller holds (see `KeyringVault.load`).

A refresh first reserves disk space for the rotated session (`PendingSave`): the
insecure file itself, or with the keyring the recovery file, so a full disk fails the
refresh before the server rotates anything. If storing a rotated refresh token fails, it
is kept in a private recovery file (`<data dir>/recovery/<env>.json`, 0600) and moved
into its vault on the next run.

Insecure and recovery files hold the environment URL beside the session (`file_body`)
and are used only for that URL (`load_file`); they are read as private files (regular,
ours, bounded, never blocking), and one that others can read is made 0600 and reported.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ..fast.atomicfile import Reservation
from ..fast.errors import (
    AqoraHelperError,
    KeyringFailure,
    KeyringLocked,
    KeyringTimeout,
    KeyringUnavailable,
    LockTimeout,
    StorageFailure,
)
from ..fast.keyring_names import LEGACY_SERVICE, SESSION_SERVICE, keyring_config_file
from ..fast.privatefiles import (
    ExposedFile,
    ensure_private_dir,
    open_regular,
    read_private,
    remove_private,
    write_private,
)
from ..fast.refreshlock import RefreshLock
from ..fast.text import one_line
from ..fast.tokencache import env_file_stem
from .bounded import CallTimedOut, call_with_timeout
from .datadir import data_dir
from .log import logger, register_secret
from .secretservice import SecretServiceStore

MAX_SESSION_FILE = 64 * 1024  # bytes; a session file holds a few hundred
RESERVE_SLACK = 2048  # bytes reserved beyond the current session: a longer rotated token
OUR_BACKEND_MODULE = "aqora_helper.doors.keyring_backend"
NOT_OS_BACKENDS = ("keyring.backends.chainer", "keyring.backends.fail")
NATIVE_BACKENDS = {
    "linux": ("keyring.backends.SecretService", "Keyring"),
    "darwin": ("keyring.backends.macOS", "Keyring"),
    "win32": ("keyring.backends.Windows", "WinVaultKeyring"),
}
_chosen: list[Any] = []  # the OS backend picked by this process
_exposed_reported: set[str] = set()  # session files others could read, reported already


class StoredSession(NamedTuple):
    """What a session needs to refresh: the refresh token and the client it belongs to."""

    refresh_token: str
    client_id: str
    client_secret: str | None = None

    def to_json(self) -> str:
        return json.dumps(self._asdict())

    @classmethod
    def from_json(cls, text: str | bytes) -> StoredSession | None:
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError):
            return None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> StoredSession | None:
        """The session in a parsed JSON object, or None when it holds none."""
        try:
            session = cls(data["refresh_token"], data["client_id"], data.get("client_secret"))
        except (KeyError, TypeError, AttributeError):
            return None
        if not isinstance(session.refresh_token, str) or not isinstance(session.client_id, str):
            return None
        register_secret(session.refresh_token, session.client_secret)
        return session


def file_body(env_url: str, session: StoredSession) -> bytes:
    """What an insecure or recovery file holds: the session and the URL it is for."""
    return json.dumps({"url": env_url, **session._asdict()}).encode()


def load_file(path: Path, env_url: str) -> StoredSession | None:
    """The session an insecure or recovery file holds for `env_url`; None when absent,
    unreadable as a session, or written for another environment (then left alone)."""
    raw = _read_session_file(path)
    try:
        data: Any = None if raw is None else json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if "url" not in data and not legacy_name_is_unambiguous(path, env_url):
        logger.debug("%s holds no URL and its name fits other URLs too; ignored", path)
        return None
    if data.get("url", env_url) != env_url:
        logger.debug("%s was written for another environment than %s; ignored", path, env_url)
        return None
    return StoredSession.from_dict(data)


def legacy_name_is_unambiguous(path: Path, env_url: str) -> bool:
    """True when `path`, a session file without a URL inside (written before files held
    their URL), can only be `env_url`'s: it bears that URL's name, and the name maps
    back to one URL under the earlier naming too. That naming was `<scheme>_<host[:port]
    with every character but [A-Za-z0-9.-] as _>`, so `https_h_8443` was both
    `https://h:8443/` and `https://h_8443/`: only a name with no `_` after the scheme's
    (a plain host, no port) is unambiguous. Hashed (`x-`) names were never written
    without a URL."""
    stem = env_file_stem(env_url)
    scheme, _, rest = stem.partition("_")
    return (
        path.name == f"{stem}.json"
        and scheme in ("http", "https")
        and bool(rest)
        and "_" not in rest
    )


def _read_session_file(path: Path) -> bytes | None:
    """A session file's bytes (regular, ours, bounded, never blocking). One others can
    read is made 0600 (when ours) and reported once, never dropped."""
    try:
        return read_private(path, MAX_SESSION_FILE, data_dir(), secret=True)
    except ExposedFile as exposed:
        _report_exposed(path, exposed.message, _tighten(path))
        return read_private(path, MAX_SESSION_FILE, data_dir())


def _tighten(path: Path) -> bool:
    """chmod 0600 a regular file we own, never through a symlink; True when done."""
    try:
        found = open_regular(path, follow=False)
    except OSError:
        return False
    if found is None:
        return False
    fd, st = found
    try:
        if st.st_uid != os.getuid():
            return False
        os.fchmod(fd, 0o600)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _report_exposed(path: Path, problem: str, tightened: bool) -> None:
    if str(path) in _exposed_reported:
        return
    _exposed_reported.add(str(path))
    done = "its mode is now 0600" if tightened else "its mode could not be changed: run chmod 600"
    sys.stderr.write(
        f"aqora-helper: warning: {problem}; {done}\n"
        "aqora-helper: hint: if someone else may have read it, log in again to replace "
        "the session it holds\n"
    )


def insecure_file(env_url: str) -> Path:
    """The opt-in plaintext session file of an environment."""
    return data_dir() / "insecure" / f"{env_file_stem(env_url)}.json"


def recovery_file(env_url: str) -> Path:
    """Where a rotated refresh token waits when the keyring refused to store it."""
    return data_dir() / "recovery" / f"{env_file_stem(env_url)}.json"


def os_keyring(timeout: float) -> Any:
    """The OS keyring backend, chosen explicitly (never ours, never the chainer or a
    plaintext fallback). Raises KeyringUnavailable / KeyringTimeout."""
    if _chosen:
        return _chosen[0]
    try:
        backend = call_with_timeout(_pick_os_backend, timeout)
    except CallTimedOut:
        raise KeyringTimeout(timeout) from None
    _chosen.append(backend)
    return backend


def _native_backend() -> Any:
    """This platform's own keyring backend, tried before keyring's full discovery (which
    imports every installed backend: tens of milliseconds on each refresh)."""
    import importlib

    module_name, class_name = NATIVE_BACKENDS.get(sys.platform, NATIVE_BACKENDS["linux"])
    try:
        return getattr(importlib.import_module(module_name), class_name)()
    except Exception:  # not installed or not constructible here: discovery decides
        return None


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:  # a backend signals "not viable" by raising here
        return 0.0


def _pick_os_backend() -> Any:
    chosen = _configured_backend()
    if chosen is not None:
        return chosen
    if sys.platform not in ("darwin", "win32"):
        store = SecretServiceStore.connect()  # one D-Bus connection for every call
        if store is not None:
            return store
    import keyring.backend

    native = _native_backend()
    if native is not None and _priority(native) >= 1:
        return native
    candidates = [
        (_priority(backend), backend)
        for backend in keyring.backend.get_all_keyring()
        if type(backend).__module__ != OUR_BACKEND_MODULE
        and not type(backend).__module__.startswith(NOT_OS_BACKENDS)
    ]
    viable = [pair for pair in candidates if pair[0] >= 1]
    if not viable:
        raise KeyringUnavailable("no OS keyring backend is available (no Secret Service on D-Bus?)")
    return max(viable, key=lambda pair: pair[0])[1]


def _configured_backend() -> Any:
    """The backend PYTHON_KEYRING_BACKEND or keyring's `keyringrc.cfg` selects (never
    ours); None when neither selects one (keyring is then not imported here). Raises
    KeyringUnavailable when the selected one is not a secure OS keyring."""
    from_env = os.environ.get("PYTHON_KEYRING_BACKEND") is not None
    if not from_env and not os.path.exists(keyring_config_file()):
        return None
    from keyring.core import load_config, load_env

    where = "PYTHON_KEYRING_BACKEND" if from_env else keyring_config_file()
    try:
        chosen = load_env() if from_env else load_config()
    except Exception as exc:  # a typo, an uninstalled package: keyring raises anything
        name = one_line(os.environ.get("PYTHON_KEYRING_BACKEND", "")) if from_env else "a backend"
        raise KeyringUnavailable(
            f"{where} selects {name}, which cannot be loaded ({type(exc).__name__}: "
            f"{one_line(str(exc))[:200]}); fix or remove that setting"
        ) from None
    if chosen is None or type(chosen).__module__ == OUR_BACKEND_MODULE:
        return None
    if type(chosen).__module__.startswith(NOT_OS_BACKENDS[0]):
        return None  # the chainer would route through our own backend: the OS one decides
    if _priority(chosen) < 1:
        raise KeyringUnavailable(
            f"{where} selects {type(chosen).__name__}, which is not a secure OS keyring"
        )
    return chosen


def _translate(exc: Exception) -> AqoraHelperError:
    from keyring.errors import KeyringLocked as Locked
    from keyring.errors import NoKeyringError

    name = type(exc).__name__
    text = str(exc).lower()
    if isinstance(exc, Locked) or "locked" in text or "dismissed" in text:
        return KeyringLocked(name)
    if isinstance(exc, NoKeyringError):
        return KeyringUnavailable("no OS keyring backend is available")
    if isinstance(exc, AqoraHelperError):
        return exc
    return KeyringFailure(name)


def keyring_call(timeout: float, method: str, *args: str) -> Any:
    """`method(*args)` of the OS keyring backend, bounded by `timeout`; a delete of a
    missing item is None. Raises an AqoraHelperError subclass."""
    backend = os_keyring(timeout)
    try:
        return call_with_timeout(lambda: getattr(backend, method)(*args), timeout)
    except CallTimedOut:
        _chosen.clear()  # the stuck call may still use its connection: the next one opens another
        raise KeyringTimeout(timeout) from None
    except Exception as exc:
        from keyring.errors import PasswordDeleteError

        if method == "delete_password" and isinstance(exc, PasswordDeleteError):
            return None
        if isinstance(backend, SecretServiceStore) and not isinstance(exc, AqoraHelperError):
            _drop_backend()  # a broken connection (the daemon restarted) is not reused
        raise _translate(exc) from None


def _drop_backend() -> None:
    """Forget the chosen backend, closing its connection when it holds one."""
    while _chosen:
        close = getattr(_chosen.pop(), "close", None)
        if close is not None:
            close()


class KeyringVault:
    """Sessions in the OS keyring."""

    description = "OS keyring"

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

    def load(self, env_url: str, move_legacy: bool = True) -> StoredSession | None:
        """The stored session, picking up a pending recovery file first. A session
        stored under the legacy name is moved (`move_legacy`): the caller holds the
        refresh lock (the refresh path does; see load_unlocked)."""
        pending = _adopt_recovery(env_url, self.save)
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

    def load(self, env_url: str) -> StoredSession | None:
        """The stored session, picking up a pending recovery file first."""
        pending = _adopt_recovery(env_url, self.save)
        if pending is not None:
            return pending
        return load_file(insecure_file(env_url), env_url)

    def save(self, env_url: str, session: StoredSession) -> None:
        write_private(insecure_file(env_url), file_body(env_url, session), data_dir())

    def delete(self, env_url: str) -> bool:
        return remove_private(insecure_file(env_url))


Vault = KeyringVault | FileVault


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
    `pending.save(rotated)` stores it. The reserved file is the insecure file itself
    (FileVault) or the recovery file, used only if the keyring refuses (KeyringVault)."""

    def __init__(self, vault: Vault, env_url: str, current: StoredSession) -> None:
        self.vault = vault
        self.env_url = env_url
        in_file = isinstance(vault, FileVault)
        self.path = insecure_file(env_url) if in_file else recovery_file(env_url)
        self.room = _reserve(self.path, len(file_body(env_url, current)) + RESERVE_SLACK)

    def __enter__(self) -> PendingSave:
        return self

    def __exit__(self, *exc: object) -> None:
        self.room.discard()

    def save(self, session: StoredSession) -> str | None:
        """Store the rotated session; returns a warning when it had to go to the recovery
        file instead of its vault. Raises StorageFailure when it could not be stored."""
        try:
            if isinstance(self.vault, FileVault):
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
        if isinstance(self.vault, FileVault):
            return keep_for_recovery(self.env_url, session)
        self._commit(session)
        return self.path


def _reserve(path: Path, size: int) -> Reservation:
    ensure_private_dir(path.parent, data_dir())
    try:
        return Reservation(path, size, 0o600)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None


def keep_for_recovery(env_url: str, session: StoredSession) -> Path:
    """Save a rotated session its vault refused, privately, for the next run."""
    path = recovery_file(env_url)
    write_private(path, file_body(env_url, session), data_dir())
    return path


def _adopt_recovery(
    env_url: str, save: Callable[[str, StoredSession], None]
) -> StoredSession | None:
    """A pending recovered session, moved into its vault by `save` when it can be
    (else it stays in the recovery file and is used from there); None when none."""
    pending = load_file(recovery_file(env_url), env_url)
    if pending is None:
        return None
    try:
        save(env_url, pending)
    except AqoraHelperError:
        logger.debug("the vault still refuses the recovered session; using the file")
        return pending
    remove_private(recovery_file(env_url))
    return pending
