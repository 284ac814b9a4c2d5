"""Replace a file atomically: a temp file in the same directory, created exclusively and
never through a symlink, with its final mode (and the old file's owner when run as root)
from the start, fsync'd, renamed over the target, and the directory fsync'd. Stdlib only.

`Reservation` splits that in two, so that disk space is taken *before* the contents
exist: `Reservation(path, size, mode)` allocates `size` bytes to the temp file, and
`commit(data)` later writes into that space (a full disk fails the reservation, never
the commit), or `discard()` gives it back.
"""

import os

_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class Reservation:
    """Disk space for the next contents of `path`, in a temp file beside it."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        size: int,
        mode: int | None,
        like: os.stat_result | None = None,
    ) -> None:
        """Create the temp file and allocate `size` bytes to it. `mode`: the exact mode of
        the new file (None: 0o666 less the umask, as any new file). `like`: the file being
        replaced, whose owner is kept when we are root. Raises OSError (nothing left)."""
        self.path = os.fspath(path)
        folder, name = os.path.split(self.path)
        self.folder = folder or os.curdir
        self.tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        self.fd: int | None = os.open(self.tmp, _FLAGS, 0o600 if mode is not None else 0o666)
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(self.fd, mode)
            if like is not None and _root_keeping_owner(like):
                os.fchown(self.fd, like.st_uid, like.st_gid)
            _allocate(self.fd, size)
        except BaseException:
            self.discard()
            raise

    def commit(self, data: bytes) -> None:
        """Write `data` into the reserved space, fsync, rename over the target, fsync
        the directory. Raises OSError; the temp file never outlives a failure."""
        fd = self.fd
        if fd is None:
            raise ValueError("this reservation was already used")
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            _write_all(fd, data)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
            self.fd = None
            os.close(fd)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise
        _fsync_dir(self.folder)

    def discard(self) -> None:
        """Give the space back (a no-op once committed or discarded)."""
        import contextlib  # here only: the fast path imports this module but never writes

        fd, self.fd = self.fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def replace_file(
    path: str | os.PathLike[str],
    data: bytes,
    mode: int | None,
    like: os.stat_result | None = None,
) -> None:
    """Atomically make `path` hold `data` (see Reservation for `mode` and `like`).
    Raises OSError; the temp file never outlives a failure."""
    Reservation(path, len(data), mode, like).commit(data)


def _allocate(fd: int, size: int) -> None:
    """Give the file `size` bytes of disk space (its contents are written later)."""
    if size <= 0:
        return
    if hasattr(os, "posix_fallocate"):
        import errno

        try:
            os.posix_fallocate(fd, 0, size)
            return
        except OSError as exc:  # a file system without fallocate: write instead
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
    _write_all(fd, bytes(size))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _root_keeping_owner(like: os.stat_result) -> bool:
    if not hasattr(os, "fchown") or os.geteuid() != 0:
        return False
    return (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid())


def _fsync_dir(folder: str) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory: nothing to sync there
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
