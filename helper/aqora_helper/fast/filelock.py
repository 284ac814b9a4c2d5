"""The one lock shim: an advisory lock on an open file, taken without waiting. Stdlib
only (the refresh lock uses it; the official CLI's credentials file too).

POSIX: `fcntl.flock`, shared or exclusive (as the official aqora CLI locks its file).
Windows has no `flock`: an exclusive `msvcrt.locking` of the file's first byte stands in
for both kinds. Both are released by the OS when the holder dies.
"""

import sys

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import errno
    import msvcrt
    import os

    _BUSY = (errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK))

    def try_lock(fd: int, exclusive: bool = True) -> bool:
        """Lock `fd` now; False when another holder has it. Raises OSError otherwise."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in _BUSY:
                return False
            raise
        return True

    def unlock(fd: int) -> None:
        """Release the lock `try_lock` took."""
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int, exclusive: bool = True) -> bool:
        """Lock `fd` now; False when another holder has it. Raises OSError otherwise."""
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(fd: int) -> None:
        """Release the lock `try_lock` took."""
        fcntl.flock(fd, fcntl.LOCK_UN)
