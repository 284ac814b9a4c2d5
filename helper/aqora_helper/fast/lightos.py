"""The `os` calls the credential fast path makes, without importing `os`.

`import os` costs about 1 ms at start (it loads `_collections_abc`, `posixpath`,
`genericpath`): a tenth of a bare interpreter's start, and the launchers install.sh
writes start Python with -I -S, where nothing else imports it. On POSIX these are the
`posix` built-in module's functions, which `os` re-exports, and the few `os.path` rules
the fast path needs, written out below as `posixpath` has them (a unit test holds them
equal); elsewhere they are `os`'s own. The `stat` predicates come from `_stat`, the
built-in C half `stat.py` re-exports (importing `stat` would load a module more). Slow
paths import `os` itself.
"""

import sys
from _stat import S_IMODE as S_IMODE
from _stat import S_ISDIR as S_ISDIR
from _stat import S_ISLNK as S_ISLNK
from _stat import S_ISREG as S_ISREG

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable

if sys.platform == "win32":
    from os import O_BINARY as O_BINARY
    from os import O_CREAT as O_CREAT
    from os import O_RDONLY as O_RDONLY
    from os import O_RDWR as O_RDWR
    from os import SEEK_SET, lseek
    from os import close as close
    from os import environ as _environ
    from os import fspath as fspath
    from os import fstat as fstat
    from os import getppid as getppid
    from os import listdir as listdir
    from os import lstat as lstat
    from os import mkdir as mkdir
    from os import open as open
    from os import read as read
    from os import stat as stat
    from os.path import dirname as dirname
    from os.path import expanduser as expanduser
    from os.path import isabs as isabs
    from os.path import join as join

    O_NOFOLLOW = O_NONBLOCK = O_CLOEXEC = 0
    POSIX = False
    SEP = "\\"

    def pread(fd: int, length: int, offset: int) -> bytes:
        """`os.pread`, which Windows lacks (the descriptor's position moves)."""
        lseek(fd, offset, SEEK_SET)
        return read(fd, length)

    def getenv(name: str) -> str | None:
        """The environment variable `name`, or None."""
        return _environ.get(name)

    def environ() -> dict[str, str]:
        """A copy of the environment."""
        return dict(_environ)

    def home() -> str:
        """The user's home directory, as `os.path.expanduser("~")` gives it."""
        return expanduser("~")

    def getuid() -> int | None:
        """The user id, or None where there is none (Windows)."""
        return None

else:
    # The built-in half of `os` (already loaded at start), re-exported.
    from posix import O_CLOEXEC as O_CLOEXEC
    from posix import O_CREAT as O_CREAT
    from posix import O_NOFOLLOW as O_NOFOLLOW
    from posix import O_NONBLOCK as O_NONBLOCK
    from posix import O_RDONLY as O_RDONLY
    from posix import O_RDWR as O_RDWR
    from posix import close as close
    from posix import environ as _environ
    from posix import fspath as fspath
    from posix import fstat as fstat
    from posix import getppid as getppid
    from posix import getuid as _getuid
    from posix import listdir as listdir
    from posix import lstat as lstat
    from posix import mkdir as mkdir
    from posix import open as open
    from posix import pread as pread
    from posix import read as read
    from posix import stat as stat

    O_BINARY = 0
    POSIX = True
    SEP = "/"
    _FS_ENCODING = sys.getfilesystemencoding()

    def getenv(name: str) -> str | None:
        """The environment variable `name`, or None; decoded as `os.environ` decodes
        (whose mapping is this same dictionary, so a change made there shows here)."""
        value = _environ.get(name.encode(_FS_ENCODING, "surrogateescape"))
        return None if value is None else value.decode(_FS_ENCODING, "surrogateescape")

    def environ() -> dict[str, str]:
        """A copy of the environment, decoded as `os.environ` decodes it."""
        return {
            key.decode(_FS_ENCODING, "surrogateescape"): value.decode(
                _FS_ENCODING, "surrogateescape"
            )
            for key, value in _environ.items()
        }

    def home() -> str:
        """The user's home directory, as `os.path.expanduser("~")` gives it: $HOME, else
        the password database's entry, else "~"."""
        value = getenv("HOME")
        if value is None:
            import pwd

            try:
                value = pwd.getpwuid(_getuid()).pw_dir
            except KeyError:
                return "~"
        return value.rstrip("/") or "/"

    def getuid() -> int | None:
        """The user id, or None where there is none (Windows)."""
        return _getuid()

    def join(first: str, *rest: str) -> str:
        """`posixpath.join` for strings."""
        path = first
        for part in rest:
            if part.startswith("/"):
                path = part
            elif not path or path.endswith("/"):
                path += part
            else:
                path += "/" + part
        return path

    def dirname(path: str) -> str:
        """`posixpath.dirname` for strings."""
        head = path[: path.rfind("/") + 1]
        if head and head != "/" * len(head):
            head = head.rstrip("/")
        return head

    def isabs(path: str) -> bool:
        """`posixpath.isabs` for strings."""
        return path.startswith("/")

    def expanduser(path: str) -> str:
        """`os.path.expanduser` for strings (`~user` forms through `os` itself)."""
        if path != "~" and not path.startswith("~/"):
            if not path.startswith("~"):
                return path
            import os

            return os.path.expanduser(path)
        base = home()
        if base == "~":
            return path
        return (base.rstrip("/") + path[1:]) or "/"


def exists(path: str) -> bool:
    """`os.path.exists`: True when `path` can be stat'ed."""
    return _stats(stat, path)


def lexists(path: str) -> bool:
    """`os.path.lexists`: True when something (a broken symbolic link too) is at `path`."""
    return _stats(lstat, path)


def _stats(call: "Callable[[str], object]", path: str) -> bool:
    try:
        call(path)
    except (OSError, ValueError):
        return False
    return True
