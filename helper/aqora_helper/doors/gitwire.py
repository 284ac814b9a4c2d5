"""git's credential-helper wire format, parsed and written defensively. Stdlib only.

Input is bytes from another program: it is bounded, split on `\\n` only (one trailing
`\\r` stripped), and refused whole when any key or value holds a control character,
when a line has no `=`, when it is not UTF-8, or when it carries `url=` (git never sends
it to helpers; honouring it is how CVE-2020-11008 happened). Output never holds a value
with a control character and never a `url=` line.
"""

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import BinaryIO

MAX_INPUT = 64 * 1024
_FORBIDDEN_KEYS = frozenset({"url"})


def has_control(text: str) -> bool:
    """True when `text` holds a C0/C1 control character, DEL or a Unicode line separator."""
    return any(ch < " " or "\x7f" <= ch <= "\x9f" or ch in "\u2028\u2029" for ch in text)


class CredentialRequest:
    """The attributes git sent: scalars (last one wins) and `key[]` lists."""

    __slots__ = ("lists", "values")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.lists: dict[str, list[str]] = {}

    def get(self, key: str) -> str:
        """A scalar attribute, '' when absent."""
        return self.values.get(key, "")

    def has(self, key: str, value: str) -> bool:
        """True when the list attribute `key[]` contains `value`."""
        return value in self.lists.get(key, ())


def read_input(stream: "BinaryIO", limit: int = MAX_INPUT) -> bytes | None:
    """Read up to a blank line or EOF; None when the input exceeds `limit` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(limit - total + 1)
        if not line:
            break
        total += len(line)
        if total > limit:
            return None
        chunks.append(line)
        if line in (b"\n", b"\r\n"):
            break
    return b"".join(chunks)


def parse(data: bytes) -> CredentialRequest | None:
    """Parse the attribute lines, or None when the input must be refused."""
    if len(data) > MAX_INPUT:
        return None
    request = CredentialRequest()
    for raw in data.split(b"\n"):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw:
            break  # a blank line (or the end after the final newline) ends the input
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        key, sep, value = line.partition("=")
        if not sep or not key or has_control(line):
            return None
        if key.endswith("[]"):
            name = key[:-2]
            if not name or name in _FORBIDDEN_KEYS:
                return None
            if value:
                request.lists.setdefault(name, []).append(value)
            else:
                request.lists[name] = []
        else:
            if key in _FORBIDDEN_KEYS:
                return None
            request.values[key] = value
    return request


def format_answer(pairs: "Iterable[tuple[str, str]]") -> bytes | None:
    """The answer lines, or None when any key or value is unsafe to emit."""
    out: list[str] = []
    for key, value in pairs:
        bare = key[:-2] if key.endswith("[]") else key
        if not bare or bare in _FORBIDDEN_KEYS or "=" in key:
            return None
        if has_control(key) or has_control(value):
            return None
        out.append(f"{key}={value}\n")
    return "".join(out).encode("utf-8")
