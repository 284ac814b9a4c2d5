"""Private files: created 0600 in 0700 directories, replaced atomically, never followed
through symlinks, refused when another user owns them or others can write them.

`open_regular` (open without blocking, refuse anything but a regular file) and
`read_bounded` (read at most so many bytes) are how every module opens and reads a file
it does not control. Stdlib only (the fast path reads through it).
"""


from . import lightos
from .errors import StorageFailure, UnsafeStorage

_NOFOLLOW = lightos.O_NOFOLLOW
_CLOEXEC = lightos.O_CLOEXEC
_BINARY = lightos.O_BINARY
_NONBLOCK = lightos.O_NONBLOCK  # a FIFO planted at the path must not block open()
MAX_FILE_BYTES = 1 << 20
READ_CHUNK = 64 * 1024  # below malloc's mmap threshold: no fresh 1 MiB mapping per read

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    import os

    StrPath = str | os.PathLike[str]


class ExposedFile(UnsafeStorage):
    """A private file that other users can read: what it holds may have leaked."""


def _check_owner_and_mode(path: "StrPath", st: "os.stat_result", kind: str) -> None:
    uid = lightos.getuid()
    if uid is not None and st.st_uid != uid:
        raise UnsafeStorage(str(path), f"the {kind} belongs to another user (uid {st.st_uid})")
    if lightos.POSIX and st.st_mode & 0o022:
        raise UnsafeStorage(
            str(path), f"the {kind} is writable by others (mode {lightos.S_IMODE(st.st_mode):o})"
        )


def _make_dirs_private(path: "StrPath") -> None:
    """mkdir -p where every directory created gets mode 0700 (os.makedirs gives the
    intermediate ones the umask's mode). Nothing heavier than `lightos`: a process
    waiting for another's refresh comes here, and bursts start fifty of them."""
    missing = []
    current = lightos.fspath(path)
    while not lightos.lexists(current):
        missing.append(current)
        parent = lightos.dirname(current) or "."
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:  # noqa: SIM105 - `contextlib` would cost a waiting process 3 ms
            lightos.mkdir(directory, 0o700)
        except FileExistsError:
            pass  # made meanwhile by another process: checked next like any other


def _check_dir(path: "StrPath") -> None:
    st = lightos.lstat(path)
    if lightos.S_ISLNK(st.st_mode):
        raise UnsafeStorage(str(path), "the directory is a symbolic link")
    if not lightos.S_ISDIR(st.st_mode):
        raise UnsafeStorage(str(path), "it is not a directory")
    _check_owner_and_mode(path, st, "directory")


def check_dirs(path: "StrPath", root: "StrPath | None") -> None:
    """Check `path` and each directory above it up to `root` (included) is safe."""
    current = lightos.fspath(path)
    top = None if root is None else lightos.fspath(root)
    while True:
        _check_dir(current)
        parent = lightos.dirname(current) or "."
        if top is None or current == top or parent == current:
            return
        if not current.startswith(top.rstrip(lightos.SEP) + lightos.SEP):
            return  # not below `root` (what Path.is_relative_to tested)
        current = parent


def ensure_private_dir(path: "StrPath", root: "StrPath | None" = None) -> "StrPath":
    """Create `path` (mode 0700) if missing and check it, and its parents up to `root`,
    are safe to use."""
    try:
        _make_dirs_private(path)
        check_dirs(path, root)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
    return path


class NotRegularFile(OSError):
    """What sits at the path is not a regular file (a FIFO, a device, a directory)."""

    def __init__(self) -> None:
        super().__init__(0, "it is not a regular file")


def open_regular(
    path: "StrPath", write: bool = False, follow: bool = True
) -> "tuple[int, os.stat_result] | None":
    """The regular file at `path`, opened without blocking (a FIFO or device planted
    there cannot hang the open; the descriptor stays non-blocking): its descriptor and
    status, or None when nothing is there. `follow=False` refuses a symlink (ELOOP).
    Raises OSError as os.open and os.fstat raise it, and NotRegularFile (the descriptor
    closed) for anything but a regular file."""
    flags = (lightos.O_RDWR if write else lightos.O_RDONLY) | _CLOEXEC | _BINARY | _NONBLOCK
    try:
        fd = lightos.open(path, flags if follow else flags | _NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        st = lightos.fstat(fd)
        if not lightos.S_ISREG(st.st_mode):
            raise NotRegularFile()
    except BaseException:
        lightos.close(fd)
        raise
    return fd, st


def read_bounded(fd: int, max_bytes: int, size: int = 0) -> bytes | None:
    """The rest of `fd`, read in chunks; None when it holds more than `max_bytes` (at
    once when `size`, its size as fstat gave it, says so; else as soon as one byte too
    many is read, even if the file grows meanwhile). Raises OSError."""
    if size > max_bytes:
        return None
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = lightos.read(fd, min(max_bytes + 1 - total, READ_CHUNK))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            return None


def read_private(
    path: "StrPath",
    max_bytes: int = MAX_FILE_BYTES,
    root: "StrPath | None" = None,
    secret: bool = False,
) -> bytes | None:
    """Contents of a private file, or None when it does not exist. Never blocks (a FIFO
    or device at the path is refused, not opened for reading).

    Raises UnsafeStorage for a symlink, another owner, a writable-by-others mode, a file
    that is not regular or an oversized one, or when a directory from its parent up to
    `root` is unsafe; ExposedFile (a subclass) when `secret` and others can read it.
    """
    fd = open_private(path, root, secret)
    if fd is None:
        return None
    try:
        return _read_bounded(fd, path, lightos.fstat(fd), max_bytes)
    finally:
        lightos.close(fd)


def open_private(path: "StrPath", root: "StrPath | None" = None, secret: bool = False) -> int | None:
    """A read-only descriptor of a private file (checked as `read_private` says; the
    caller closes it), or None when it does not exist."""
    try:
        found = open_regular(path, follow=False)
    except OSError as exc:
        import os  # a failure only

        if os.path.islink(path):
            raise UnsafeStorage(str(path), "the file is a symbolic link") from None
        raise UnsafeStorage(str(path), exc.strerror or str(exc)) from None
    if found is None:
        return None
    fd, st = found
    try:
        folder = lightos.dirname(lightos.fspath(path))
        try:
            check_dirs(folder, root)
        except OSError as exc:
            raise UnsafeStorage(folder, exc.strerror or str(exc)) from None
        _check_owner_and_mode(path, st, "file")
        if secret and lightos.POSIX and st.st_mode & 0o077:
            mode = lightos.S_IMODE(st.st_mode)
            raise ExposedFile(str(path), f"other users can read it (mode {mode:o})")
    except BaseException:
        lightos.close(fd)
        raise
    return fd


def read_regular_file(path: "StrPath", max_bytes: int) -> bytes | None:
    """Contents of a user-edited file such as the config (symlinks followed, any owner):
    None when absent. Never blocks on a FIFO or device; refuses one larger than
    `max_bytes`. Raises UnsafeStorage."""
    try:
        found = open_regular(path)
    except OSError as exc:
        raise UnsafeStorage(str(path), exc.strerror or str(exc)) from None
    if found is None:
        return None
    fd, st = found
    try:
        return _read_bounded(fd, path, st, max_bytes)
    finally:
        lightos.close(fd)


def _read_bounded(fd: int, path: "StrPath", st: "os.stat_result", max_bytes: int) -> bytes:
    """read_bounded, its failures as UnsafeStorage naming `path`."""
    try:
        data = read_bounded(fd, max_bytes, st.st_size)
    except OSError as exc:
        raise UnsafeStorage(str(path), exc.strerror or str(exc)) from None
    if data is None:
        raise UnsafeStorage(str(path), f"the file is larger than {max_bytes} bytes")
    return data


def write_private(path: "StrPath", data: bytes, root: "StrPath | None" = None) -> None:
    """Atomically replace `path` with `data`: temp file (0600, O_EXCL), fsync, rename.
    Directories from the parent up to `root` must be safe (see check_dirs)."""

    from .atomicfile import replace_file  # writes only: a cached hit only reads

    folder = lightos.dirname(lightos.fspath(path))
    ensure_private_dir(folder, root)
    try:
        replace_file(path, data, 0o600)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None


def remove_private(path: "StrPath") -> bool:
    """Delete a private file (never following a symlink's target). True when removed."""
    import os  # not on the fast path

    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
    return True
