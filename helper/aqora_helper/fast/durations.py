"""Durations on the command line (`--min-ttl 90m`) and the minimum-lifetime check.
Stdlib only (the token front door parses them on the fast path)."""

import time

from .errors import AqoraHelperError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_MIN_TTL = 7 * 86400  # the longest token lifetime the engine believes (engine/api.py)
_MAX_TEXT = 32


def parse_duration(text: str, limit: int | None = MAX_MIN_TTL) -> int | None:
    """Seconds in `text`: plain seconds (`300`) or number-unit groups (`90m`, `2h`,
    `1h30m`, `45s`, `1d`); None when malformed or longer than `limit`."""
    text = text.strip().lower()
    if not text or len(text) > _MAX_TEXT or not text.isascii():
        return None
    if text.isdigit():
        total = int(text)
    else:
        total, digits = 0, ""
        for char in text:
            if char.isdigit():
                digits += char
            elif char in UNITS and digits:
                total, digits = total + int(digits) * UNITS[char], ""
            else:
                return None
        if digits:
            return None
    return total if limit is None or total <= limit else None


class TokenTooShort(AqoraHelperError):
    """The server's access tokens live shorter than the minimum lifetime asked for."""

    def __init__(self, url: str, left: int, min_ttl: int) -> None:
        super().__init__(
            f"The access tokens of {url} live shorter than asked: a fresh one is valid "
            f"for {max(left, 0)} s, the minimum asked is {min_ttl} s",
            f"Ask for at most {max(left, 0)} s (--min-ttl / min_ttl), and get a new token "
            "later in long jobs (the Python API refreshes by itself).",
        )


def require_ttl(url: str, expires_at: int | None, min_ttl: int) -> None:
    """Raise TokenTooShort when a token that expires at `expires_at` (None: unknown, as
    for AQORA_TOKEN, which is used as is) has less than `min_ttl` seconds left."""
    if min_ttl > 0 and expires_at is not None:
        left = int(expires_at - time.time())
        if left < min_ttl:
            raise TokenTooShort(url, left, min_ttl)
