"""The per-environment refresh lock: an exclusive, cross-process lock on a lock file,
with a bounded wait. Stdlib only, so that a process that only has to *wait* for another
one's refresh never imports the session engine.

POSIX uses `fcntl.flock`, Windows `msvcrt.locking`; both are released by the OS when
the holder dies. Re-entrant within a process (a front door takes it, then the engine
takes it again).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from .cachedir import cache_dir
from .errors import LockTimeout
from .privatefiles import ensure_private_dir
from .tokencache import env_file_stem

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_held: dict[str, list[int]] = {}  # lock path -> [fd, depth]


def lock_path(env_url: str) -> Path:
    """The refresh lock file of one environment."""
    return cache_dir() / "locks" / f"{env_file_stem(env_url)}.lock"


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RefreshLock:
    """`with RefreshLock(url, timeout):` holds the environment's refresh lock.

    Raises LockTimeout when another process holds it for longer than `timeout`.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.path = lock_path(url)
        self.url = url
        self.timeout = timeout

    def __enter__(self) -> RefreshLock:
        key = str(self.path)
        if key in _held:
            _held[key][1] += 1
            return self
        ensure_private_dir(self.path.parent, cache_dir())
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(self.url, self.timeout)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        _held[key] = [fd, 1]
        return self

    def __exit__(self, *exc: object) -> None:
        entry = _held[str(self.path)]
        entry[1] -= 1
        if entry[1] == 0:
            del _held[str(self.path)]
            try:
                _unlock(entry[0])
            finally:
                os.close(entry[0])
