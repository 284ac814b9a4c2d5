"""Keyring items that may not fit one Windows Credential Manager entry, for the Docker
store (`dockerstore.KeyringStore`).

keyring's Windows backend writes a secret with CredWrite as UTF-16: at most
`BLOB_BYTES` (2,560) bytes, so about 1,280 characters; a user name (here the registry's
server string) at most `MAX_USERNAME` characters. On Windows a longer value is written
in parts: each part an item of its own (user `\\tpart\\t<id>\\t<n>`), and the value's own
item a reference to them (`\\tparts\\t<id>\\t<count>`; no JSON text starts with a tab).
The parts are written first and the reference last, so a failure leaves the previous
value whole. What cannot be stored (a server string too long, a value beyond
`MAX_PARTS` parts) is refused before anything is written. Elsewhere values are stored
whole, as before.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Callable
from typing import Any

from ..fast.errors import AqoraHelperError

BLOB_BYTES = 2560  # CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512)
MAX_USERNAME = 513  # CRED_MAX_USERNAME_LENGTH
MAX_PARTS = 64  # a credential: about 80,000 characters, more than any registry token
MAX_INDEX_PARTS = 999  # a list: about 1.2 million characters, some 15,000 registries
_REFERENCE = re.compile(r"\tparts\t([0-9a-f]{16})\t([0-9]{1,3})")

Call = Callable[..., Any]  # keyring_call(method, *args), bounded


class TooLarge(AqoraHelperError):
    """A value the OS keyring cannot hold; nothing was written."""


def limited() -> bool:
    """True where the OS keyring caps an item (Windows Credential Manager)."""
    return sys.platform == "win32"


def _blob_size(char: str) -> int:
    return 2 if ord(char) < 0x10000 else 4  # UTF-16: a surrogate pair beyond the BMP


def split(value: str) -> list[str]:
    """`value` in pieces of at most BLOB_BYTES bytes of UTF-16 each."""
    pieces: list[str] = []
    start = size = 0
    for index, char in enumerate(value):
        if size + _blob_size(char) > BLOB_BYTES:
            pieces.append(value[start:index])
            start, size = index, 0
        size += _blob_size(char)
    pieces.append(value[start:])
    return pieces


def fits(value: str) -> bool:
    """`value` fits one item."""
    return not limited() or len(value.encode("utf-16-le", "surrogatepass")) <= BLOB_BYTES


def check(user: str, value: str, max_parts: int = MAX_PARTS) -> None:
    """Refuse, before anything is written, what `write` could not store. Raises TooLarge."""
    if not limited():
        return
    if len(user) > MAX_USERNAME:
        raise TooLarge(
            f"the server name is {len(user)} characters; Windows Credential Manager "
            f"holds at most {MAX_USERNAME}",
            "Use a shorter registry address, or a credsStore of Docker's own (wincred).",
        )
    if not fits(value) and len(split(value)) > max_parts:
        raise TooLarge(
            f"the record is {len(value)} characters; at most about "
            f"{max_parts * BLOB_BYTES // 2} fit in Windows Credential Manager",
            "Check the token the registry gave (it is far longer than any usual one).",
        )


def _parts_of(raw: Any) -> tuple[str, int] | None:
    """(id, count) when `raw` is a reference to parts."""
    found = _REFERENCE.fullmatch(raw) if isinstance(raw, str) else None
    if found is None or not 1 <= int(found[2]) <= MAX_INDEX_PARTS:
        return None
    return found[1], int(found[2])


def _part_user(part_id: str, index: int) -> str:
    return f"\tpart\t{part_id}\t{index}"


def read(call: Call, service: str, user: str) -> str | None:
    """The value of `user` (its parts joined), None when absent or a part is missing."""
    raw = call("get_password", service, user)
    parts = _parts_of(raw)
    if parts is None:
        return raw if isinstance(raw, str) else None
    pieces = [call("get_password", service, _part_user(parts[0], i)) for i in range(parts[1])]
    if not all(isinstance(piece, str) for piece in pieces):
        return None
    return "".join(pieces)


def write(call: Call, service: str, user: str, value: str, max_parts: int = MAX_PARTS) -> None:
    """Store `value` for `user`, in parts where one item cannot hold it. Raises TooLarge
    (before anything is written) or what `call` raises."""
    check(user, value, max_parts)
    old = _parts_of(call("get_password", service, user))
    if fits(value):
        call("set_password", service, user, value)
    else:
        pieces = split(value)
        part_id = secrets.token_hex(8)
        for index, piece in enumerate(pieces):
            call("set_password", service, _part_user(part_id, index), piece)
        call("set_password", service, user, f"\tparts\t{part_id}\t{len(pieces)}")
    _drop_parts(call, service, old)


def delete(call: Call, service: str, user: str) -> None:
    """Delete the value of `user` and its parts (none: nothing to do)."""
    old = _parts_of(call("get_password", service, user))
    call("delete_password", service, user)
    _drop_parts(call, service, old)


def _drop_parts(call: Call, service: str, parts: tuple[str, int] | None) -> None:
    if parts is not None:
        for index in range(parts[1]):
            call("delete_password", service, _part_user(parts[0], index))
