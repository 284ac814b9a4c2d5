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

from .errors import LockTimeout, StorageFailure, UnsafeStorage
from .paths import cache_dir
from .privatefiles import ensure_private_dir
from .tokencache import env_file_stem

_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
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

    Raises LockTimeout when another thread or process holds it for longer than `timeout`,
    UnsafeStorage / StorageFailure (naming the path) when the lock file or its directory
    cannot be used: never a bare OSError, whichever entry point takes the lock.
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
        fd = self._open()
        try:
            pause = 0.005
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise LockTimeout(self.url, self.timeout)
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        except OSError as exc:
            os.close(fd)
            raise StorageFailure(str(self.path), exc.strerror or type(exc).__name__) from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open(self) -> int:
        """The lock file, created 0600 if missing; never through a symlink and never
        blocking (a FIFO there is harmless: it is only locked, never read). Raises
        UnsafeStorage for what sits at the path (a directory, a symlink), StorageFailure
        when it cannot be created."""
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | _FLAGS, 0o600)
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
            if os.path.islink(self.path):
                raise UnsafeStorage(str(self.path), "the lock file is a symbolic link") from None
            if os.path.lexists(self.path):
                raise UnsafeStorage(str(self.path), problem) from None
            raise StorageFailure(str(self.path), problem) from None

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
