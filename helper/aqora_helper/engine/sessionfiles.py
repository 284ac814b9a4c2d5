"""The session as a file: what a session is (`StoredSession`), the opt-in insecure
file and the recovery file.

Insecure and recovery files hold the environment URL beside the session (`file_body`)
and are used only for that URL (`load_file`); they are read as private files (regular,
ours, bounded, never blocking), and one that others can read is made 0600 and reported.
If storing a rotated refresh token in its vault fails, it is kept in a private recovery
file (`<data dir>/recovery/<env>.json`, 0600) and moved into its vault on the next run
(`adopt_recovery`).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ..fast.errors import AqoraHelperError
from ..fast.privatefiles import (
    ExposedFile,
    open_regular,
    read_private,
    remove_private,
    write_private,
)
from ..fast.tokencache import env_file_stem
from .datadir import data_dir, data_file
from .log import logger, register_secret

MAX_SESSION_FILE = 64 * 1024  # bytes; a session file holds a few hundred
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


def keep_for_recovery(env_url: str, session: StoredSession) -> Path:
    """Save a rotated session its vault refused, privately, for the next run."""
    path = recovery_file(env_url)
    write_private(data_file(path), file_body(env_url, session), data_dir())
    return path


def adopt_recovery(
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
