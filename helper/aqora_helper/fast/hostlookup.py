"""The host index's file layout: sorted lines, one per host and one per environment,
looked up by binary search, so a get reads a few small slices of the file whatever the
number of environments. Stdlib only.

The file stays one JSON document (`jq` reads it); its first line holds the head: the
fingerprint and defaults, and the byte ranges of the other sections, counted from the end
of that first line.

    {"index": {"version": 3, "fingerprint": ..., "hosts": [start, end], ...},
    "hosts": {
    "127.0.0.1:8080": {"git_auth": "auto", "skew": 60, "url": ..., "username": ...},
    "aqora.io": {...}
    },
    "environments": {
    "https://aqora.io/": {"git_auth": "auto", "hosts": [...], "username": "aqora"}
    },
    "settings": {...}}

Within a section every line is `"key": value` (a comma after all but the last), keys
sorted as Python sorts them, so the line holding a key is found in O(log n) reads. The
file is written whole and renamed into place (one inode per version): a reader that
opened it sees one version throughout; a lookup re-opens it by name only to read past
the first block, and refuses a file that is no longer the one it checked.
"""

import _json

from . import lightos
from .jsonlite import loads
from .privatefiles import open_private, open_regular

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import Any

INDEX_VERSION = 3
FIRST_BLOCK = 16 * 1024  # read at load: a small index is answered from it alone
MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_LINE = 64 * 1024  # a longer line is a broken index
WINDOW = 1024  # bytes read on each side of a probe to find its line
_PREFIX = b'{"index": '
_scanstring = _json.scanstring
HOST_FIELDS: dict[str, type] = {"url": str, "username": str, "git_auth": str, "skew": int}
ENV_FIELDS: dict[str, type] = {"hosts": list, "username": str, "git_auth": str}
HEAD_FIELDS: dict[str, tuple[type, ...]] = {
    "fingerprint": (str,), "default_url": (str,), "skew": (int,), "lock_timeout": (int, float),
}  # fmt: skip


class BrokenIndex(ValueError):
    """The index is not what the engine writes: the engine must decide (and rewrite it)."""


def render(head: "dict[str, Any]", sections: "dict[str, dict[str, Any]]", settings: "Any") -> bytes:
    """The file's bytes: `head` (to which the section ranges are added), each section
    sorted by key, then `settings`. Called by the engine (writes may import `json`)."""
    import json

    def text(value: object) -> bytes:
        return json.dumps(value, sort_keys=True).encode()

    body = bytearray()
    ranges: dict[str, list[int]] = {}
    for name, entries in sections.items():
        body += text(name) + b": {\n"
        lines = [text(key) + b": " + text(entries[key]) for key in sorted(entries)]
        start = len(body)
        body += b",\n".join(lines) + (b"\n" if lines else b"")
        ranges[name] = [start, len(body)]
        body += b"},\n"
    body += b'"settings": '
    ranges["settings"] = [len(body), len(body) + len(text(settings))]
    body += text(settings) + b"}\n"
    first = _PREFIX + text({**head, **ranges}) + b",\n"
    return first + bytes(body)


class HostIndex:
    """A loaded index: its head, and lookups into its sections. Lookups raise
    BrokenIndex when the file is out of shape or was replaced since it was loaded."""

    __slots__ = ("_base", "_first", "_identity", "_path", "_size", "head")

    def __init__(self, path: str, head: "dict[str, Any]", first: bytes, base: int, st: "Any") -> None:
        self._path = path
        self._first = first
        self._base = base
        self._size = st.st_size
        self._identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        self.head = head

    def host(self, key: str) -> "dict[str, Any] | None":
        """The entry of a served host key, None when it is not served."""
        return _checked(self._lookup("hosts", key), HOST_FIELDS)

    def environment(self, url: str) -> "dict[str, Any] | None":
        """The recorded settings of one environment (`engine.settings.to_index`'s
        entry), None when the index records none for `url`."""
        return _checked(self._lookup("environments", url), ENV_FIELDS)

    def settings(self) -> "dict[str, Any] | None":
        """The settings shared by every environment, None when none were recorded."""
        start, end = self._range("settings")
        with _Reader(self) as reader:
            value = _parsed(reader.read(start, end - start))
        if value is not None and not isinstance(value, dict):
            raise BrokenIndex("settings")
        return value

    def settings_for(self, url: str) -> "dict[str, Any] | None":
        """What `engine.settings.from_index` takes to refresh `url`'s environment: the
        shared settings with that one environment; None when either was not recorded."""
        env = self.environment(url)
        shared = None if env is None else self.settings()
        return None if shared is None else {**shared, "environments": {url: env}}

    def hosts(self) -> "dict[str, dict[str, Any]]":
        """Every served host key and its entry (for `list`: reads the section whole)."""
        start, end = self._range("hosts")
        with _Reader(self) as reader:
            found = _parsed(b"{" + reader.read(start, end - start) + b"}")
        if not isinstance(found, dict):
            raise BrokenIndex("hosts")
        return {key: _checked(entry, HOST_FIELDS) or {} for key, entry in found.items()}

    def _range(self, section: str) -> tuple[int, int]:
        span = self.head.get(section)
        if (
            not isinstance(span, list)
            or len(span) != 2
            or not all(type(v) is int for v in span)
            or not 0 <= span[0] <= span[1] <= self._size - self._base
        ):
            raise BrokenIndex(section)
        return self._base + span[0], self._base + span[1]

    def _lookup(self, section: str, key: str) -> "Any":
        """Binary search of the sorted lines of `section` for `key`: its value or None."""
        lo, hi = self._range(section)
        with _Reader(self) as reader:
            while lo < hi:
                mid = (lo + hi) // 2
                start, end = reader.line_around(mid, lo, hi)
                found, value_at, line = _line_key(reader.read(start, end - start))
                if found == key:
                    return _parsed(line[value_at:].rstrip(","))
                if found < key:
                    lo = end + 1
                else:
                    hi = start
        return None


def _line_key(raw: bytes) -> tuple[str, int, str]:
    """(key, where its value starts, the line) of a `"key": value` line."""
    try:
        line = raw.decode("utf-8")
        key, end = _scanstring(line, 1) if line.startswith('"') else ("", -1)
    except ValueError:  # a bad escape or encoding
        raise BrokenIndex("line") from None
    if end < 0 or line[end : end + 2] != ": ":
        raise BrokenIndex("line")
    return key, end + 2, line


def _parsed(text: bytes | str) -> "Any":
    """One JSON value of the index; BrokenIndex when it is not one."""
    try:
        return loads(text)
    except ValueError:
        raise BrokenIndex("value") from None


def _checked(entry: "Any", fields: dict[str, type]) -> "dict[str, Any] | None":
    if entry is None:
        return None
    if not isinstance(entry, dict) or not all(
        type(entry.get(name)) is kind for name, kind in fields.items()
    ):
        raise BrokenIndex("entry")
    return entry


class _Reader:
    """Reads slices of a loaded index: from its first block, else from the file opened
    again by name (refused unless it is the very file that was loaded)."""

    def __init__(self, index: HostIndex) -> None:
        self.index = index
        self.fd: int | None = None

    def __enter__(self) -> "_Reader":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            lightos.close(self.fd)

    def read(self, offset: int, length: int) -> bytes:
        first = self.index._first
        if offset + length <= len(first):
            return first[offset : offset + length]
        if self.fd is None:
            self.fd = self._reopen()
        try:
            data = lightos.pread(self.fd, length, offset)
        except OSError as exc:
            raise BrokenIndex(exc.strerror or "read") from None
        if len(data) != length:
            raise BrokenIndex("short read")
        return data

    def _reopen(self) -> int:
        try:
            found = open_regular(self.index._path, follow=False)
        except OSError as exc:
            raise BrokenIndex(exc.strerror or "open") from None
        if found is None:
            raise BrokenIndex("replaced")
        fd, st = found
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != self.index._identity:
            lightos.close(fd)
            raise BrokenIndex("replaced")
        return fd

    def line_around(self, pos: int, lo: int, hi: int) -> tuple[int, int]:
        """(start, end) of the line holding byte `pos` (lo <= pos < hi; lines end with a
        newline at `end`; `lo` starts a line and `hi` follows a newline)."""
        width = WINDOW
        while True:
            left, right = max(lo, pos - width), min(hi, pos + width)
            chunk = self.read(left, right - left)
            cut = chunk.rfind(b"\n", 0, pos - left)
            stop = chunk.find(b"\n", pos - left)
            if (cut >= 0 or left == lo) and stop >= 0:
                return left + cut + 1, left + stop
            if width >= MAX_LINE:
                raise BrokenIndex("line too long")
            width *= 4


def load(path: str, root: str) -> HostIndex | None:
    """The index at `path` (a private file below `root`), None when absent. Raises
    BrokenIndex when it is not an index of this version; `errors.UnsafeStorage` as
    `privatefiles.read_private` does."""
    fd = open_private(path, root)
    if fd is None:
        return None
    try:
        st = lightos.fstat(fd)
        if st.st_size > MAX_INDEX_BYTES:
            raise BrokenIndex("too large")
        first = lightos.read(fd, FIRST_BLOCK)
    finally:
        lightos.close(fd)
    newline = first.find(b"\n")
    if not first.startswith(_PREFIX) or newline < 0 or first[newline - 1 : newline] != b",":
        raise BrokenIndex("head")
    head = _parsed(first[len(_PREFIX) : newline - 1])
    if not isinstance(head, dict) or head.get("version") != INDEX_VERSION:
        raise BrokenIndex("version")
    if not all(type(head.get(name)) in kinds for name, kinds in HEAD_FIELDS.items()):
        raise BrokenIndex("head")
    return HostIndex(path, head, first, newline + 1, st)
