"""The per-environment refresh lock: an exclusive, cross-process lock on a lock file,
with a bounded wait. Stdlib only, so that a process that only has to *wait* for another
one's refresh never imports the session engine.

POSIX uses `fcntl.flock`, Windows `msvcrt.locking`; both are released by the OS when
the holder dies. Threads of one process first queue on a per-path `threading.Lock`, so
exactly one thread of a process holds (or waits for) the file lock at a time; the same
deadline bounds both waits. Not re-entrant: the one place that takes it for a refresh
is `fast.credential.ensure`, and what runs under it never takes it again.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from .errors import LockTimeout
from .paths import cache_dir
from .privatefiles import ensure_private_dir
from .tokencache import env_file_stem

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_process_locks: dict[str, threading.Lock] = {}  # lock path -> the process-level lock
_process_locks_guard = threading.Lock()


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


def _process_lock(key: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(key, threading.Lock())


class RefreshLock:
    """`with RefreshLock(url, timeout):` holds the environment's refresh lock.

    Raises LockTimeout when another thread or process holds it for longer than `timeout`.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.path = lock_path(url)
        self.url = url
        self.timeout = timeout
        self.fd: int | None = None

    def __enter__(self) -> RefreshLock:
        deadline = time.monotonic() + self.timeout
        in_process = _process_lock(str(self.path))
        if not in_process.acquire(timeout=max(self.timeout, 0)):
            raise LockTimeout(self.url, self.timeout)
        try:
            self.fd = self._lock_file(deadline)
        except BaseException:
            in_process.release()
            raise
        return self

    def _lock_file(self, deadline: float) -> int:
        """An open descriptor of the lock file, flock'ed; waits until `deadline`."""
        ensure_private_dir(self.path.parent, cache_dir())
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, 0o600)
        pause = 0.005
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise LockTimeout(self.url, self.timeout)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return fd

    def __exit__(self, *exc: object) -> None:
        fd, self.fd = self.fd, None
        try:
            if fd is not None:
                try:
                    _unlock(fd)
                finally:
                    os.close(fd)
        finally:
            _process_lock(str(self.path)).release()
