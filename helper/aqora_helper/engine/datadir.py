"""Where aqora-helper keeps its data files, per OS (`fast.paths.data_root`), and the
record of the folders it created there (`created-folders`), so that uninstalling
deletes those folders and no other: the data directory may be a shared one
(`AQORA_HELPER_DATA_DIR=~/.local/share`), whose other folders are never ours."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..fast.errors import StorageFailure, UnsafeStorage
from ..fast.paths import data_root
from ..fast.privatefiles import ensure_private_dir

CREATED_RECORD = "created-folders"  # one JSON string (an absolute path) a line, oldest first
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC


def data_dir() -> Path:
    """Per-user data directory: opt-in insecure sessions, recovery files, session list."""
    override = os.environ.get("AQORA_HELPER_DATA_DIR")
    if override:
        return Path(override)
    return Path(data_root())


def sessions_file() -> Path:
    """The list of environments the user logged in to (URLs only, no secrets)."""
    return data_dir() / "sessions.json"


def created_record() -> Path:
    """The record of the folders aqora-helper created for its data (install.sh reads it)."""
    return data_dir() / CREATED_RECORD


def data_file(path: Path) -> Path:
    """`path`, a file of ours in the data directory, once its folder exists: each folder
    created for it (0700; the data directory and those above it included) is added to
    `created_record()` first (a path outside the data directory: nothing recorded).
    Raises StorageFailure or UnsafeStorage."""
    folder = os.path.abspath(path.parent)
    root = os.path.abspath(data_dir())
    if os.path.commonpath([folder, root]) != root:
        ensure_private_dir(folder)
        return path
    missing: list[str] = []
    probe = folder
    while not os.path.lexists(probe) and os.path.dirname(probe) != probe:
        missing.append(probe)
        probe = os.path.dirname(probe)
    ensure_private_dir(folder, root)
    if missing:
        _record_created(reversed(missing))
    return path


def _record_created(folders: Iterable[str]) -> None:
    """Append `folders` (outermost first) to the record, a private regular file."""
    data = "".join(json.dumps(f) + "\n" for f in folders).encode("utf-8", "surrogateescape")
    record = created_record()
    try:
        fd = os.open(record, _APPEND, 0o600)
    except OSError as exc:
        raise StorageFailure(str(record), exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != getattr(os, "getuid", lambda: 0)():
            raise UnsafeStorage(str(record), "it is not a regular file of yours")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise StorageFailure(str(record), exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
