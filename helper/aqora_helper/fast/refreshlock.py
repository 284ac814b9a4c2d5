"""The per-environment refresh lock: an exclusive, cross-process lock on a lock file,
with a bounded wait. Stdlib only, so that a process that only has to *wait* for another
one's refresh never imports the session engine.

The file lock is `filelock`'s (POSIX `fcntl.flock`, Windows `msvcrt.locking`), released
by the OS when the holder dies. Threads of one process first queue on a per-path
`threading.Lock`, so exactly one thread of a process holds (or waits for) the file lock
at a time; the same deadline bounds both waits. Not re-entrant: the one place that takes it for a refresh
is `fast.singleflight.ensure`, and what runs under it never takes it again.
"""

import _thread  # not threading, os nor pathlib: a waiter in a burst imports only this
import time

from . import lightos
from .errors import LockTimeout, StorageFailure, UnsafeStorage
from .filelock import try_lock, unlock
from .paths import cache_root
from .privatefiles import ensure_private_dir
from .tokencache import env_file_stem

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable

_FLAGS = lightos.O_RDWR | lightos.O_CREAT | lightos.O_NOFOLLOW | lightos.O_CLOEXEC | lightos.O_NONBLOCK
_process_locks: dict[str, _thread.LockType] = {}  # lock path -> the process-level lock
_process_locks_guard = _thread.allocate_lock()
FIRST_PAUSE = 0.005  # seconds between attempts while another process holds the lock,
MAX_PAUSE = 0.05  # doubling up to this


def lock_path(env_url: str) -> str:
    """The refresh lock file of one environment."""
    return lightos.join(cache_root(), "locks", f"{env_file_stem(env_url)}.lock")


def _process_lock(key: str) -> _thread.LockType:
    with _process_locks_guard:
        return _process_locks.setdefault(key, _thread.allocate_lock())


class RefreshLock:
    """`with RefreshLock(url, timeout):` holds the environment's refresh lock.

    Raises LockTimeout when another thread or process holds it for longer than `timeout`,
    UnsafeStorage / StorageFailure (naming the path) when the lock file or its directory
    cannot be used: never a bare OSError, whichever entry point takes the lock.
    """

    def __init__(self, url: str, timeout: float, done: "Callable[[], bool] | None" = None) -> None:
        self.path = lock_path(url)
        self.url = url
        self.timeout = timeout
        self.done = done
        self.fd: int | None = None

    def __enter__(self) -> "RefreshLock":
        deadline = time.monotonic() + self.timeout
        in_process = _process_lock(self.path)
        if not in_process.acquire(True, max(self.timeout, 0)):
            raise LockTimeout(self.url, self.timeout)
        try:
            self.fd = self._lock_file(deadline)
        except BaseException:
            in_process.release()
            raise
        return self

    @property
    def held(self) -> bool:
        """False when the wait ended because `done()` said so (the lock is not held)."""
        return self.fd is not None

    def _lock_file(self, deadline: float) -> int | None:
        """An open descriptor of the lock file, flock'ed; waits until `deadline`. None
        when `done()` (asked between attempts: another process finished the work the
        lock guards) turned true first: no need to queue for the lock then."""
        ensure_private_dir(lightos.dirname(self.path), cache_root())
        fd = self._open()
        try:
            pause = FIRST_PAUSE
            while not try_lock(fd):
                if self.done is not None and self.done():
                    lightos.close(fd)
                    return None
                if time.monotonic() >= deadline:
                    raise LockTimeout(self.url, self.timeout)
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)
        except OSError as exc:
            lightos.close(fd)
            raise StorageFailure(str(self.path), exc.strerror or type(exc).__name__) from None
        except BaseException:
            lightos.close(fd)
            raise
        return fd

    def _open(self) -> int:
        """The lock file, created 0600 if missing; never through a symlink and never
        blocking (a FIFO there is harmless: it is only locked, never read). Raises
        UnsafeStorage for what sits at the path (a directory, a symlink), StorageFailure
        when it cannot be created."""
        try:
            return lightos.open(self.path, _FLAGS, 0o600)
        except OSError as exc:
            import os  # a failure only

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
                    unlock(fd)
                finally:
                    lightos.close(fd)
        finally:
            _process_lock(self.path).release()
