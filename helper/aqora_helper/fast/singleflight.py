"""Check the cache, take the lock, check again, refresh, persist: `ensure`, the one place
this sequence exists. Stdlib only at import time.

`fast.credential` runs it for every door; the engine's `session.access_token` (the CLI)
runs it too. A hit reads the token file once; a miss reads it once more under the
environment's refresh lock and calls `refresh` with the lock held (of many processes
that miss at once, one refreshes and the others, which check the cache between their
attempts at the lock, answer from it as soon as it is fresh, without queueing for it).
"""

import time

from . import lightos
from .tokencache import CachedToken, read_token, token_path

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


def ensure(
    env_url: str,
    skew: int,
    lock_timeout: float,
    refresh: "Callable[[CachedToken | None], T]",
    min_ttl: int = 0,
) -> "CachedToken | T":
    """The cached token of `env_url` when not yet due for a refresh (`skew`: see
    tokencache, `CachedToken.usable`) with more than `min_ttl` seconds left; otherwise,
    under the environment's refresh lock, the cache read again (another process may have
    just refreshed) and, if still stale, `refresh(stale)`'s result (it runs with the lock
    held, and gets what the cache held so it need not read it again)."""
    hit = at_hand(env_url, skew, min_ttl)
    if hit is not None:
        return hit
    from .refreshlock import RefreshLock  # a miss only

    found: list[CachedToken] = []
    seen: list[tuple[int, int] | None] = [_identity(env_url)]

    def refreshed() -> bool:
        """Did another process refresh while this one waits for the lock? (The cache
        file is read again only once it was replaced: a stat per attempt, not a read.)"""
        now = _identity(env_url)
        if now == seen[-1]:
            return False
        seen.append(now)
        hit = at_hand(env_url, skew, min_ttl)
        if hit is not None:
            found.append(hit)
        return hit is not None

    with RefreshLock(env_url, lock_timeout, refreshed) as lock:
        if not lock.held:
            return found[-1]  # a waiter answers from the cache without queueing
        stale = read_token(env_url)
        if stale is not None and stale.usable(skew, time.time(), min_ttl):
            return stale
        # the official CLI's session, refreshed meanwhile by the process that held the lock?
        fresh = None if stale is not None else _official(env_url, skew, min_ttl)
        return fresh if fresh is not None else refresh(stale)


def at_hand(env_url: str, skew: int, min_ttl: int = 0) -> CachedToken | None:
    """A token of `env_url` usable without a refresh (see `ensure`): the cached one, or
    the official CLI's session the engine pointed to; None otherwise. Never raises."""
    return _usable(env_url, skew, min_ttl) or _official(env_url, skew, min_ttl)


def _identity(env_url: str) -> tuple[int, int] | None:
    """(inode, mtime) of the cache file (replaced atomically on every write), or None."""
    try:
        st = lightos.stat(token_path(env_url))
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _usable(env_url: str, skew: int, min_ttl: int) -> CachedToken | None:
    """The cached token when not yet due for a refresh; any problem reading it is a miss."""
    try:
        cached = read_token(env_url, warn=False)
    except Exception:  # the locked re-read (or the engine) reports it
        return None
    if cached is None or not cached.usable(skew, time.time(), min_ttl):
        return None
    return cached


def _official(env_url: str, skew: int, min_ttl: int) -> CachedToken | None:
    """The official CLI's access token when the engine found that session serves
    `env_url` and its token is valid past `skew` and `min_ttl` (see official_session)."""
    from .official_session import fresh_token  # not on a hit of our own cache

    return fresh_token(env_url, skew, min_ttl)
