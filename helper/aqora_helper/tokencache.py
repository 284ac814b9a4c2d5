"""The access-token cache: one private JSON file per environment. Stdlib only.

Only short-lived access tokens live here, never a refresh token.
"""

from __future__ import annotations

import json
import os
import time

from .cachedir import cache_root
from .errors import UnsafeStorage
from .privatefiles import read_private, remove_private, write_private

MAX_TOKEN_FILE = 64 * 1024


def env_file_stem(env_url: str) -> str:
    """A file-name-safe id for an environment's base URL."""
    scheme, _, rest = env_url.partition("://")
    host = rest.split("/", 1)[0]
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
    return f"{scheme}_{safe}"


def token_path(env_url: str) -> str:
    """Cache file of an environment's access token."""
    return os.path.join(cache_root(), "tokens", f"{env_file_stem(env_url)}.json")


CLOCK_TOLERANCE = 300  # seconds the clock may seem to go back before the cache is distrusted


class CachedToken:
    """An access token, its expiry and when it was cached (Unix seconds)."""

    __slots__ = ("access_token", "expires_at", "issued_at")

    def __init__(self, access_token: str, expires_at: int, issued_at: int) -> None:
        self.access_token = access_token
        self.expires_at = expires_at
        self.issued_at = issued_at

    def usable(self, skew: int, now: float) -> bool:
        """Valid beyond the refresh skew, and the clock has not gone back since it was
        cached (after a jump back the expiry can no longer be trusted)."""
        return self.issued_at - CLOCK_TOLERANCE <= now < self.expires_at - skew


def read_token(env_url: str) -> CachedToken | None:
    """The cached token, or None when absent or unreadable as a token (corrupt, truncated).

    Raises UnsafeStorage when the file or its directory is unsafe.
    """
    raw = read_private(token_path(env_url), MAX_TOKEN_FILE, cache_root())
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        token, expires_at, issued_at = data["access_token"], data["expires_at"], data["issued_at"]
    except (ValueError, KeyError, TypeError):
        return None
    if data.get("url") != env_url or not isinstance(token, str) or not token:
        return None
    if not all(type(v) is int for v in (expires_at, issued_at)):
        return None
    return CachedToken(token, expires_at, issued_at)


def write_token(env_url: str, access_token: str, expires_at: int) -> None:
    """Atomically replace the cached token of an environment."""
    body = {
        "url": env_url,
        "access_token": access_token,
        "expires_at": int(expires_at),
        "issued_at": int(time.time()),
    }
    write_private(token_path(env_url), json.dumps(body).encode(), cache_root())


def drop_token(env_url: str, only_if: str | None = None) -> bool:
    """Remove the cached token (only when it equals `only_if`, if given). True if removed."""
    if only_if is not None:
        try:
            cached = read_token(env_url)
        except UnsafeStorage:
            return False
        if cached is None or cached.access_token != only_if:
            return False
    return remove_private(token_path(env_url))
