"""Docker's full credentials store for the registries aqora does not serve.

With `"credsStore": "aqora"` in the Docker config, Docker sends every registry to
`docker-credential-aqora`. Served hosts are answered by the session as always; this
module keeps every other registry's credentials, as the platform's store would:

- when `setup docker --creds-store` replaced another store (`desktop`, `secretservice`,
  `pass`, `osxkeychain`, `wincred`, ...), each request is passed on to its
  `docker-credential-<name>` program, unchanged, and its answer passed back; a program
  that fails, is missing or does not answer within `timeouts.keyring` is an error;
- otherwise the OS keyring holds them (chosen as the vault chooses it: never our own
  backend, never a plaintext one), one item per registry under service `STORE_SERVICE`
  (it holds a tab, so no package-index URL can name it), username = the server string,
  secret = `{"Username", "Secret"}`, plus one index item (`INDEX_USER`) listing
  server -> username for `list` (keyring has no way to enumerate items). On Windows an
  item too long for one Credential Manager entry is written in parts (`keyringparts`),
  so neither a long token nor the number of registries meets its limit.

The mode is read from the Docker config on every call: when its `credsStore` is not
`aqora` (the `credHelpers` setup), `handle` answers None and the door behaves as before.
A delegated request is usually answered before this module loads
(`fast.dockerdelegate`, which also runs the previous store for it here).
The previous store's name is kept in `<data dir>/docker-store.json` (no secrets).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..fast.dockerconfig import creds_store_is_aqora, docker_config_file
from ..fast.dockerdelegate import index_timeout, run_delegate
from ..fast.errors import AqoraHelperError
from ..fast.keyring_names import DOCKER_STORE_SERVICE as STORE_SERVICE
from ..fast.privatefiles import read_private, remove_private, write_private
from ..fast.refreshlock import RefreshLock
from . import keyringparts

HELPER = "aqora"
NOT_FOUND = "credentials not found in native keychain"
INDEX_USER = "\tindex"  # the index item's username (no server string holds a tab)
LOCK_URL = "https://docker-store.invalid/"  # a lock of its own (.invalid is never a host)
STORE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_TIMEOUT = 10.0
INDEX_PARTS = keyringparts.MAX_INDEX_PARTS
NATIVE_STORES = {"win32": ("desktop", "wincred")}  # preferred to the keyring, when present


class StoreError(AqoraHelperError):
    """A request the store could not carry out (the message goes to Docker)."""


# ------------------------------------------------------------------ the mode


def delegates_file() -> Path:
    from .datadir import data_dir  # not needed to learn that the mode is off

    return data_dir() / "docker-store.json"


def _delegates() -> dict[str, str]:
    """Docker config path -> the store `setup docker --creds-store` replaced."""
    try:
        raw = read_private(delegates_file())
        data = json.loads(raw) if raw is not None else {}
    except (AqoraHelperError, ValueError):
        return {}
    found = data.get("delegates") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str) and valid_store_name(v)}


def valid_store_name(name: str) -> bool:
    """A `credsStore` value we may run as `docker-credential-<name>` (never ourselves)."""
    return bool(STORE_NAME.fullmatch(name)) and name != HELPER


def set_delegate(config: Path, previous: str | None) -> None:
    """Record (or, with None, forget) the store that `config`'s `credsStore` was."""
    delegates = _delegates()
    if previous is None:
        delegates.pop(str(config), None)
    else:
        delegates[str(config)] = previous
    if delegates:
        body = json.dumps({"version": 1, "delegates": delegates}, indent=1, sort_keys=True)
        from .datadir import data_file

        write_private(data_file(delegates_file()), body.encode())
    else:
        remove_private(delegates_file())


def native_store() -> str | None:
    """The platform's own Docker store when its program is on PATH (Windows: Docker
    Desktop's, else wincred: Credential Manager without keyring's size limits)."""
    import shutil
    import sys

    for name in NATIVE_STORES.get(sys.platform, ()):
        if shutil.which(f"docker-credential-{name}"):
            return name
    return None


def delegate_for(config: Path | None = None) -> str | None:
    """The store requests for other registries are passed on to, None for the keyring."""
    path = config or Path(docker_config_file())
    delegates = _delegates()
    # the path as setup recorded it first, then its real path (fast/dockerdelegate: same)
    return delegates.get(str(path)) or delegates.get(str(path.resolve()))


# ------------------------------------------------------------------ requests


def handle(action: str, data: str) -> str | None:
    """Docker's answer to `action` (`get`, `store`, `erase`, `list`) for a registry we do
    not serve, with `data` the request as it came on stdin; None when `credsStore` is
    not `aqora`. Raises StoreError (its message is the protocol's error text)."""
    if not creds_store_is_aqora():
        return None
    timeout = _timeout()
    delegate = delegate_for()
    if delegate is not None:
        return run_delegate(delegate, action, data, timeout)
    return KeyringStore(timeout).handle(action, data)


def _timeout() -> float:
    """timeouts.keyring: from the host index when current (no config parsing), else
    from the settings."""
    recorded = index_timeout()
    if recorded is not None:
        return recorded
    from .settings import load_settings

    try:
        return float(load_settings().timeouts.keyring)
    except AqoraHelperError:  # a broken config must not lock other registries out
        return DEFAULT_TIMEOUT


class KeyringStore:
    """Other registries' credentials in the OS keyring."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def _call(self, method: str, *args: str) -> Any:
        from .oskeyring import keyring_call

        return keyring_call(self.timeout, method, *args)

    def _read(self, user: str) -> str | None:
        return keyringparts.read(self._call, STORE_SERVICE, user)

    def _index(self) -> dict[str, str]:
        raw = self._read(INDEX_USER)
        try:
            data = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def _save_index(self, index: dict[str, str]) -> None:
        if index:
            keyringparts.write(
                self._call, STORE_SERVICE, INDEX_USER, json.dumps(index), INDEX_PARTS
            )
        else:
            keyringparts.delete(self._call, STORE_SERVICE, INDEX_USER)

    def handle(self, action: str, data: str) -> str:
        if action == "list":
            return json.dumps(self._index()) + "\n"
        if action == "get":
            return self.get(data.strip())
        with RefreshLock(LOCK_URL, self.timeout):  # the index is read, changed, written
            if action == "store":
                return self.store(data)
            return self.erase(data.strip())

    def get(self, server: str) -> str:
        raw = self._read(server) if server else None
        try:
            item = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            item = None
        if not isinstance(item, dict):
            raise StoreError(NOT_FOUND)
        answer = {
            "ServerURL": server,
            "Username": item.get("Username"),
            "Secret": item.get("Secret"),
        }
        return json.dumps(answer) + "\n"

    def store(self, data: str) -> str:
        request = json.loads(data)  # the door has checked it
        server = str(request["ServerURL"]).strip()
        username, secret = str(request["Username"]), str(request.get("Secret") or "")
        item = json.dumps({"Username": username, "Secret": secret})
        index = self._index()
        listed = index.get(server) == username
        index[server] = username
        keyringparts.check(server, item)  # all refused before anything is written
        keyringparts.check(INDEX_USER, json.dumps(index), INDEX_PARTS)
        keyringparts.write(self._call, STORE_SERVICE, server, item)
        if not listed:
            self._save_index(index)
        return ""

    def erase(self, server: str) -> str:
        if server:
            keyringparts.delete(self._call, STORE_SERVICE, server)
            index = self._index()
            if index.pop(server, None) is not None:
                self._save_index(index)
        return ""
