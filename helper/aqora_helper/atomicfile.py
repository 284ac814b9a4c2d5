"""Replace a file atomically: a temp file in the same directory, created exclusively and
never through a symlink, with its final mode (and the old file's owner when run as root)
from the start, fsync'd, renamed over the target, and the directory fsync'd. Stdlib only.
"""

from __future__ import annotations

import os

_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def replace_file(
    path: str | os.PathLike[str],
    data: bytes,
    mode: int | None,
    like: os.stat_result | None = None,
) -> None:
    """Atomically make `path` hold `data`. `mode`: the exact mode of the new file (None:
    0o666 less the umask, as any new file). `like`: the file being replaced, whose owner
    is kept when we are root. Raises OSError; the temp file never outlives a failure."""
    folder, name = os.path.split(os.fspath(path))
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, _FLAGS, 0o600 if mode is not None else 0o666)
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            if like is not None and _root_keeping_owner(like):
                os.fchown(fd, like.st_uid, like.st_gid)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        import contextlib  # here only: the fast path imports this module but never writes

        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder or os.curdir)


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
