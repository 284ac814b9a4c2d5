"""The OS keyring, as the engine uses it: the backend chosen explicitly (this platform's
own, or the one PYTHON_KEYRING_BACKEND / keyringrc.cfg names; never our own backend,
never the chainer, never a plaintext one), every call bounded by a timeout, and
keyring's errors translated into the ones a user can act on.

Never through `keyring.get_password`, which would route through our own backend.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ..fast.errors import AqoraHelperError
from ..fast.keyring_names import keyring_config_file
from ..fast.text import one_line
from .bounded import CallTimedOut, call_with_timeout
from .errors import KeyringFailure, KeyringLocked, KeyringTimeout, KeyringUnavailable
from .secretservice import SecretServiceStore

OUR_BACKEND_MODULE = "aqora_helper.doors.keyring_backend"
NOT_OS_BACKENDS = ("keyring.backends.chainer", "keyring.backends.fail")
NATIVE_BACKENDS = {
    "linux": ("keyring.backends.SecretService", "Keyring"),
    "darwin": ("keyring.backends.macOS", "Keyring"),
    "win32": ("keyring.backends.Windows", "WinVaultKeyring"),
}
_chosen: list[Any] = []  # the OS backend picked by this process


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
