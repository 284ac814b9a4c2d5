"""The access-token cache: one private JSON file per environment. Stdlib only.

Only short-lived access tokens live here, never a refresh token: the current one and
the few issued before it (so that `logout` can ask git's other credential helpers to
drop copies they stored).

The refresh policy lives here too, so that no token churns:
- a token is used until `skew` seconds before it expires or half-way through the
  lifetime it was issued with, whichever comes later (`CachedToken.refresh_at`): a token
  issued for less than the skew is not refreshed on every use;
- a token a server refused (a client's 401) is dropped, so the next use refreshes, at
  most once per `REFUSAL_INTERVAL` seconds (`drop_refused`): a host that refuses even
  fresh tokens would otherwise make every request refresh. Meanwhile the token stays,
  and stderr says so once.
"""

import sys
import time

from . import lightos
from .errors import AqoraHelperError, UnsafeStorage
from .jsonlite import dumps, loads
from .paths import cache_root
from .privatefiles import ExposedFile, read_private, remove_private, write_private
from .text import is_token

MAX_TOKEN_FILE = 64 * 1024
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last second gmtime/RFC 3339 can show
KEEP_RECENT = 4  # earlier access tokens remembered for logout
CLOCK_TOLERANCE = 300  # seconds the clock may seem to go back before the cache is distrusted
REFUSAL_INTERVAL = 60  # seconds: at most one drop of a refused token (and so one refresh)
MAX_REFUSAL_FILE = 4096
_PLAIN_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_warned: list[str] = []  # exposed cache files already reported by this process


def env_file_stem(env_url: str) -> str:
    """A file-name-safe id for an environment's base URL, distinct for distinct URLs.

    A normalised `http(s)://host[:port]/` whose host holds only `[a-z0-9.-]` keeps the
    readable name `scheme_host[_port]` (injective: such a host has no `_`); any other
    string (`_` or IPv6 in the host, anything unnormalised) is named `x-` and a hash of
    the whole URL, which holds no `_` after the scheme's and never a path separator.
    """
    scheme, sep, rest = env_url.partition("://")
    authority, slash, tail = rest.partition("/")
    host, colon, port = authority.partition(":")
    if (
        sep
        and scheme in ("http", "https")
        and slash
        and not tail
        and host
        and set(host) <= _PLAIN_HOST
        and (not colon or (port.isascii() and port.isdigit() and 0 < len(port) <= 5))
    ):
        return f"{scheme}_{host}_{port}" if colon else f"{scheme}_{host}"
    import hashlib  # only for unusual URLs: the common case stays cheap

    return "x-" + hashlib.sha256(env_url.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def token_path(env_url: str) -> str:
    """Cache file of an environment's access token."""
    return lightos.join(cache_root(), "tokens", f"{env_file_stem(env_url)}.json")


def refusal_path(env_url: str) -> str:
    """When a refused token of the environment was last dropped (no secret)."""
    return lightos.join(cache_root(), "tokens", f"{env_file_stem(env_url)}.refused")


class CachedToken:
    """An access token, its expiry and when it was cached (Unix seconds)."""

    __slots__ = ("access_token", "expires_at", "issued_at", "recent")

    def __init__(
        self, access_token: str, expires_at: int, issued_at: int, recent: tuple[str, ...] = ()
    ) -> None:
        self.access_token = access_token
        self.expires_at = expires_at
        self.issued_at = issued_at
        self.recent = recent

    def refresh_at(self, skew: int) -> int:
        """When this token is due for a refresh: `skew` seconds before it expires, or
        half-way through its lifetime as issued (cached), whichever comes later."""
        halfway = self.issued_at + (self.expires_at - self.issued_at) // 2
        return max(self.expires_at - skew, halfway)

    def usable(self, skew: int, now: float, min_ttl: int = 0) -> bool:
        """Not yet due for a refresh (`refresh_at`), more than `min_ttl` seconds left, and
        the clock has not gone back since it was cached (after a jump back the expiry
        can no longer be trusted)."""
        due = min(self.refresh_at(skew), self.expires_at - min_ttl)
        return self.issued_at - CLOCK_TOLERANCE <= now < due


def read_token(env_url: str, warn: bool = True) -> CachedToken | None:
    """The cached token of `env_url`, or None when absent, written for another URL, or
    unreadable as a token (corrupt, truncated, absurd times, a value outside the bearer
    token syntax).

    A file other users can read is a miss: with `warn` (the engine, not the fast path)
    it is deleted and reported once on stderr; the next token is written 0600.
    Raises UnsafeStorage when the file or its directory is otherwise unsafe.
    """
    path = token_path(env_url)
    try:
        raw = read_private(path, MAX_TOKEN_FILE, cache_root(), secret=True)
    except ExposedFile as exposed:
        if warn:
            _drop_exposed(path, exposed.message)
        return None
    return None if raw is None else _parse(raw, env_url)


def _parse(raw: bytes, env_url: str) -> CachedToken | None:
    try:
        data = loads(raw)
        token, expires_at, issued_at = data["access_token"], data["expires_at"], data["issued_at"]
        recent = data.get("recent", [])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if data.get("url") != env_url or not is_token(token):
        return None  # not ours, or not a token (never printed nor sent: see tokenformat)
    if not all(type(v) is int and 0 <= v <= MAX_EPOCH for v in (expires_at, issued_at)):
        return None
    earlier = tuple(t for t in recent if is_token(t)) if isinstance(recent, list) else ()
    return CachedToken(token, expires_at, issued_at, earlier[:KEEP_RECENT])


def _drop_exposed(path: str, problem: str) -> None:
    if path not in _warned:
        _warned.append(path)
        sys.stderr.write(
            f"aqora-helper: warning: {problem}; it was not used and is replaced by a "
            "private (0600) file\n"
        )
    import contextlib  # slow path only

    with contextlib.suppress(AqoraHelperError):  # the next write reports a bad directory
        remove_private(path)


class Unread:
    """The type of UNREAD: the cache was not read before a write."""


UNREAD = Unread()


def write_token(
    env_url: str, access_token: str, expires_at: int, previous: CachedToken | Unread | None = UNREAD
) -> None:
    """Atomically replace the cached token of an environment (the one it replaces,
    `previous` when the caller already read it, is remembered among the recent ones)."""
    if isinstance(previous, Unread):
        try:
            previous = read_token(env_url, warn=False)
        except UnsafeStorage:
            previous = None
    recent = [] if previous is None else [previous.access_token, *previous.recent]
    body = {
        "url": env_url,
        "access_token": access_token,
        "expires_at": int(expires_at),
        "issued_at": int(time.time()),
        "recent": [t for t in recent if t != access_token][:KEEP_RECENT],
    }
    write_private(token_path(env_url), dumps(body).encode(), cache_root())


def issued_tokens(env_url: str) -> list[str]:
    """The cached access token and the recent ones before it (newest first); [] when the
    cache is absent or unusable."""
    try:
        cached = read_token(env_url, warn=False)
    except UnsafeStorage:
        return []
    return [] if cached is None else [cached.access_token, *cached.recent]


def drop_token(env_url: str, only_if: str | None = None) -> bool:
    """Remove the cached token (only when it equals `only_if`, if given; without it, as
    at login and logout, the record of refused tokens goes too). True if removed."""
    if only_if is not None:
        if not _is_cached(env_url, only_if):
            return False
    else:
        remove_private(refusal_path(env_url))
    return remove_private(token_path(env_url))


def drop_refused(env_url: str, token: str, where: str) -> bool:
    """After the server at `where` refused `token`: drop it when it is the cached one, so
    the next use refreshes; but not again within REFUSAL_INTERVAL seconds of the last
    such drop (a host refusing fresh tokens would make every request refresh): the token
    then stays, and stderr says so once. True when dropped."""
    if not _is_cached(env_url, token):
        return False
    now = int(time.time())
    last = _last_refusal(env_url)
    if last is not None and 0 <= now - last[0] < REFUSAL_INTERVAL:
        if not last[1]:
            _note_refusal(env_url, last[0], warned=True)
            wait = REFUSAL_INTERVAL - (now - last[0])
            sys.stderr.write(
                f"aqora-helper: warning: {where} refused a fresh aqora token again; no new "
                f"refresh for {wait} s (one a minute at most: check that this host takes "
                "aqora tokens)\n"
            )
        return False
    _note_refusal(env_url, now, warned=False)
    return remove_private(token_path(env_url))


def _is_cached(env_url: str, token: str) -> bool:
    """True when `token` is the cached token of `env_url`."""
    try:
        cached = read_token(env_url, warn=False)
    except UnsafeStorage:
        return False
    return cached is not None and cached.access_token == token


def _last_refusal(env_url: str) -> tuple[int, bool] | None:
    """(when a refused token was last dropped, whether the wait was said), or None."""
    try:
        raw = read_private(refusal_path(env_url), MAX_REFUSAL_FILE, cache_root())
        data = None if raw is None else loads(raw)
    except (UnsafeStorage, ValueError):
        return None
    if not isinstance(data, dict) or data.get("url") != env_url:
        return None
    at, warned = data.get("dropped_at"), data.get("warned")
    if type(at) is not int or type(warned) is not bool:
        return None
    return at, warned


def _note_refusal(env_url: str, at: int, warned: bool) -> None:
    body = {"url": env_url, "dropped_at": at, "warned": warned}
    try:
        write_private(refusal_path(env_url), dumps(body).encode(), cache_root())
    except AqoraHelperError:
        return  # without the record, the next refusal drops the token: a refresh more
