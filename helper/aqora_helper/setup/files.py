"""Config-file I/O shared by the setup editors (docker, pip, uv).

A symlinked config file is edited at its target; reads are bounded; a file is replaced
atomically (temp file in the same directory, fsync, rename), keeping the old file's mode
(and owner, when run as root).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..fast.atomicfile import replace_file
from ..fast.errors import EXIT_USAGE, AqoraHelperError, StorageFailure
from ..fast.privatefiles import NotRegularFile, open_regular, read_bounded


class SetupError(AqoraHelperError):
    """A config file cannot be edited safely."""


class InvalidIndexUrl(SetupError):
    """An --index-url / --publish-url that is not `http(s)://host[:port]/path` without
    credentials: a usage error, as an invalid --url."""

    exit_code = EXIT_USAGE


def real_path(path: Path) -> Path:
    """The file to edit: a symlinked config file is edited at its target."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def read_file(path: Path, max_bytes: int) -> tuple[bytes, os.stat_result] | None:
    """The file's bytes and status, or None when it does not exist. Raises SetupError
    when it cannot be read, is not a regular file (a FIFO is never waited on, a device
    never read) or is larger than `max_bytes`."""
    cannot = f"Make {path} a file you can read (check its owner and mode), then run this again."
    try:
        found = open_regular(path)
    except NotRegularFile:
        raise SetupError(
            f"{path} is not a regular file; not reading it",
            f"Replace {path} with a regular file (or remove it), then run this again.",
        ) from None
    except OSError as exc:
        raise SetupError(f"Cannot read {path}: {exc.strerror or exc}", cannot) from None
    if found is None:
        return None
    fd, status = found
    try:
        data = read_bounded(fd, max_bytes, status.st_size)
    except OSError as exc:
        raise SetupError(f"Cannot read {path}: {exc.strerror or exc}", cannot) from None
    finally:
        os.close(fd)
    if data is None:
        raise SetupError(
            f"{path} is larger than {max_bytes} bytes; not editing it",
            f"Check that {path} is the config file you meant; if it is, edit it by hand.",
        )
    return data, status


def write_file(path: Path, data: bytes, old: os.stat_result | None, new_mode: int | None) -> None:
    """Atomically replace `path` by `data` with the mode (and owner) of `old`, the file
    it replaces; `new_mode` when there was none (None: 0666 less the umask)."""
    mode = stat.S_IMODE(old.st_mode) if old is not None else new_mode
    try:
        replace_file(path, data, mode, old)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None


def remove_file(path: Path) -> None:
    """Delete `path` (nothing to do when it is already gone)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SetupError(
            f"Cannot remove {path}: {exc.strerror or exc}",
            f"Remove {path} by hand (check the owner and mode of its folder).",
        ) from None


def missing_dirs(directory: Path) -> int:
    """How many folders, `directory` and those above it, do not exist yet."""
    count = 0
    while not directory.exists() and directory.parent != directory:
        count += 1
        directory = directory.parent
    return count


def make_dirs(directory: Path) -> list[str]:
    """Create `directory` (0700) and missing parents; the ones created, outermost first."""
    missing: list[Path] = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    created: list[str] = []
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageFailure(str(d), exc.strerror or str(exc)) from None
        created.append(str(d))
    return created


def remove_created_dirs(path: Path, count: int) -> list[str]:
    """Delete the `count` folders setup created for `path` (its folder first, then up),
    each only while it is empty; the ones deleted."""
    removed: list[str] = []
    directory = path.parent
    for _ in range(count):
        try:
            os.rmdir(directory)
        except OSError:  # not empty (or gone): it and those above stay
            break
        removed.append(str(directory))
        directory = directory.parent
    return removed
