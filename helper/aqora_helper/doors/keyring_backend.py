"""The keyring front door: aqora access tokens for pip, uv, twine and poetry.

Registered under the `keyring.backends` entry point, so every program that uses the
`keyring` library (and the `keyring` command) sees it. With priority 9.5 it sits above
the OS keyrings (about 5) and below the chainer (10), which asks it first and moves on
to the OS keyring for every service it does not serve.

What it serves: a service string that is a URL (`https://pypi.example.org/simple/`)
whose host key (see `hostnames`) is a served host of a configured environment, over
https (or plain http to a loopback host), or a bare `host[:port]` of a served loopback
host. Matching is exact on host and port: no suffix, prefix or path matching. A bare
non-loopback host is never served: its scheme is unknown (pip and uv ask for it after
the URL form of a plain-http index was refused, each time in a new `keyring` process),
and every client asks the URL form first, which is answered for an https index.

- `get_credential(service, username)`: `SimpleCredential(username or the environment's
  configured username, <access token>)`, or None.
- `get_password(service, username)`: the access token, or None.
- `set_password` / `delete_password`: `NotImplementedError`, so the chainer stores a
  user's other secrets in the OS keyring (typed passwords are never saved here); but
  for a service that names our own session store (any spelling) `PasswordSetError` /
  `PasswordDeleteError`, which end the chainer's loop: nothing can plant a session
  there (for the migration to adopt) or delete one through keyring.

Our own stored sessions are never an answer: a lookup that names their keyring service
in any spelling (`keyring_names.names_own_storage`) gets an empty secret from us, which
ends the chainer's search before it reaches the OS keyring that holds them.

A get never raises (pip turns keyring off for the whole run on any exception), never
prompts, and is bounded by the engine's timeouts: on failure it returns None and writes
one line to stderr. `AQORA_HELPER_KEYRING=off` makes the backend not viable.

Import cost matters: keyring imports this module in every process that discovers
backends, so it imports nothing of ours until a get asks for a served host; a valid
cached token is answered by the stdlib-only fast path, and the session engine is
imported only on a miss. Our own secrets are read by the engine from the OS backend
directly, never through `keyring.get_password`; a re-entrant get (which would mean a
recursion through the chainer) answers None at once.
"""

import sys
import threading
from typing import Any

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential

from .keyring_service import DISABLE_ENV, disabled, served_credential

PRIORITY = 9.5
PREFIX = "aqora-helper"
OWN_STORE_REFUSED = (
    "aqora-helper's session store is not written through keyring: "
    "use 'aqora-helper login' or 'aqora-helper logout'"
)

_state = threading.local()
_warned: set[str] = set()
_warn_lock = threading.Lock()


def warn(text: str) -> None:
    """One line on stderr (each distinct line once per process); never raises."""
    from ..fast.text import one_line

    line = f"{PREFIX}: {one_line(text)}"
    try:
        with _warn_lock:
            if line in _warned:
                return
            _warned.add(line)
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except Exception:  # a closed or broken stderr must not turn into an exception
        return


def lookup(service: object) -> Any:
    """The `HostCredential` for a served service, or None. Never raises."""
    from ..fast.keyring_call import KeyringCallThread

    if getattr(_state, "depth", 0) or isinstance(threading.current_thread(), KeyringCallThread):
        return None  # re-entered from our own lookup: never recurse through keyring
    _state.depth = 1
    try:
        return served_credential(service, warn)
    except Exception as exc:
        warn(f"internal error ({type(exc).__name__}); run 'aqora-helper doctor'")
        return None
    except SystemExit:  # a library calling sys.exit must not end pip's run
        warn("internal error (SystemExit); run 'aqora-helper doctor'")
        return None
    finally:
        _state.depth = 0


def names_own_storage(service: object) -> bool:
    """True (with one line on stderr) when `service` names our own session store: the
    caller then answers an empty secret, so the chainer never asks the OS keyring."""
    from ..fast.keyring_names import names_own_storage as reserved

    if not reserved(service):
        return False
    warn("refused a keyring lookup of aqora-helper's own session store (an index named so?)")
    return True


def _own_store(service: object) -> bool:
    from ..fast.keyring_names import names_own_storage as reserved

    return reserved(service)


class AqoraKeyring(KeyringBackend):  # type: ignore[misc]
    """aqora access tokens for the configured index hosts; nothing else."""

    @properties.classproperty  # type: ignore[misc]
    def priority(cls) -> float:
        if disabled():
            raise RuntimeError(f"disabled by {DISABLE_ENV}")
        return PRIORITY

    def get_password(self, service: str, username: str | None = None) -> str | None:
        if names_own_storage(service):
            return ""
        cred = lookup(service)
        return None if cred is None else str(cred.token)

    def get_credential(self, service: str, username: str | None) -> Any:
        if names_own_storage(service):
            return SimpleCredential(username or "", "")
        cred = lookup(service)
        if cred is None:
            return None
        return SimpleCredential(username or cred.username, cred.token)

    def set_password(self, service: str, username: str, password: str) -> None:
        if _own_store(service):
            from keyring.errors import PasswordSetError

            raise PasswordSetError(OWN_STORE_REFUSED)
        raise NotImplementedError("aqora-helper does not store secrets through keyring")

    def delete_password(self, service: str, username: str) -> None:
        if _own_store(service):
            from keyring.errors import PasswordDeleteError

            raise PasswordDeleteError(OWN_STORE_REFUSED)
        raise NotImplementedError("aqora-helper does not store secrets through keyring")
