"""The one credential API of the front doors. Stdlib only at import time.

`get_for_host(scheme, hostport)` (git, docker, keyring backend), `get_for_env(url,
min_ttl)` (`aqora-helper token`, the Python API) and `forget(scheme, hostport, token)`
are all a door calls, plus questions about served hosts (`served_username`,
`usable_hosts`, `serving_env`) for git's username check, docker's `store`/`list` and
the Python API's host check, and `docker_store` for the registries we do not serve when
Docker's `credsStore` is `aqora`.

"Check the cache, take the lock, check again, refresh, persist" exists here only, in
`ensure`: the engine's `session.access_token` calls it too. A hit reads the host index
once and the token file once and never imports the engine; a miss reads the token file
once more under the environment's refresh lock, then imports the engine and refreshes
with the lock held (of many processes that miss at once, one refreshes and the others,
which check the cache between their attempts at the lock, answer from it as soon as it
is fresh, without queueing for the lock).
"""

from __future__ import annotations

import os
import time

from .hostindex import env_url_of, load_index
from .hostlookup import BrokenIndex, HostIndex
from .hostnames import host_key
from .tokencache import CachedToken, drop_token, read_token, token_path

DOCKER_CONFIG_LIMIT = 16 * 1024 * 1024
TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


class HostCredential:
    """What a front door hands to its client: the token, its expiry, and the serving
    environment's username, git auth mode and base URL."""

    __slots__ = ("env_url", "expires_at", "git_auth", "token", "username")

    def __init__(
        self, token: str, expires_at: int | None, username: str, git_auth: str, env_url: str
    ) -> None:
        self.token = token
        self.expires_at = expires_at
        self.username = username
        self.git_auth = git_auth
        self.env_url = env_url


def ensure(
    env_url: str,
    skew: int,
    lock_timeout: float,
    refresh: Callable[[CachedToken | None], T],
) -> CachedToken | T:
    """The cached token of `env_url` when valid past `skew`; otherwise, under the
    environment's refresh lock, the cache read again (another process may have just
    refreshed) and, if still stale, `refresh(stale)`'s result (it runs with the lock
    held, and gets what the cache held so it need not read it again)."""
    hit = _usable(env_url, skew, warn=False) or _official(env_url, skew)
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
        hit = _usable(env_url, skew, warn=False) or _official(env_url, skew)
        if hit is not None:
            found.append(hit)
        return hit is not None

    with RefreshLock(env_url, lock_timeout, refreshed) as lock:
        if not lock.held:
            return found[-1]  # a waiter answers from the cache without queueing
        stale = read_token(env_url)
        if stale is not None and stale.usable(skew, time.time()):
            return stale
        fresh = None if stale is not None else _official(env_url, skew)  # refreshed meanwhile?
        return fresh if fresh is not None else refresh(stale)


def _identity(env_url: str) -> tuple[int, int] | None:
    """(inode, mtime) of the cache file (replaced atomically on every write), or None."""
    try:
        st = os.stat(token_path(env_url))
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _usable(env_url: str, skew: int, warn: bool) -> CachedToken | None:
    """The cached token when valid past `skew`; any problem reading it is a miss."""
    try:
        cached = read_token(env_url, warn=warn)
    except Exception:  # the locked re-read (or the engine) reports it
        return None
    return cached if cached is not None and cached.usable(skew, time.time()) else None


def _official(env_url: str, skew: int) -> CachedToken | None:
    """The official CLI's access token when the engine found that session serves
    `env_url` and its token is valid past `skew` (see official_session)."""
    from .official_session import fresh_token  # not on a hit of our own cache

    return fresh_token(env_url, skew)


def _index() -> HostIndex | None:
    """The current host index, or None when the engine must decide (stale or missing
    index, or AQORA_TOKEN set)."""
    return None if os.environ.get("AQORA_TOKEN") else load_index()


def get_for_host(scheme: str, hostport: str) -> HostCredential | None:
    """A valid credential for `scheme://hostport`, refreshing the session if needed.

    None when the host is not served (or the scheme is not allowed for it). Raises an
    `errors.AqoraHelperError` subclass when it is served but no token can be produced.
    Never prompts, never opens a browser; every wait is bounded.
    """
    key = host_key(scheme, hostport)
    if key is None:
        return None
    index = _index()
    try:
        entry = None if index is None else index.host(key)
    except BrokenIndex:
        index = None
    if index is None:
        return _engine_host(scheme, hostport)
    if entry is None:
        return None  # a current index says this host is not served: no engine needed
    env_url = str(entry["url"])
    got = ensure(
        env_url,
        int(entry["skew"]),
        float(index.head["lock_timeout"]),
        lambda stale: (
            _engine_refresh(index, env_url, stale) or _engine_host(scheme, hostport, env_url, stale)
        ),
    )
    if not isinstance(got, CachedToken):
        return got
    return HostCredential(
        got.access_token, got.expires_at, str(entry["username"]), str(entry["git_auth"]), env_url
    )


def get_for_env(url: str | None, min_ttl: int = 0) -> HostCredential:
    """A valid credential for the environment at `url` (default: the default one), as
    `aqora-helper token [--url URL] [--min-ttl D]` prints it: refreshed first when less
    than `min_ttl` seconds (or the configured skew, if longer) are left. Raises
    `errors.AqoraHelperError` (`durations.TokenTooShort` when even a fresh token lives
    shorter than `min_ttl`)."""
    from .durations import require_ttl  # `token` only: the other doors have no --min-ttl

    cred = _for_env(url, min_ttl)
    require_ttl(cred.env_url, cred.expires_at, min_ttl)
    return cred


def _for_env(url: str | None, min_ttl: int) -> HostCredential:
    index = _index()
    env_url = (
        None if index is None else index.head["default_url"] if url is None else env_url_of(url)
    )
    if index is None or env_url is None or not _known(index, str(env_url)):
        # The engine rewrites the index, or says why (an unknown environment: before
        # any file is created, the refresh lock included).
        return _engine_env(url, min_ttl=min_ttl)
    got = ensure(
        str(env_url),
        max(int(index.head["skew"]), min_ttl),
        float(index.head["lock_timeout"]),
        lambda stale: (
            _engine_refresh(index, str(env_url), stale, min_ttl)
            or _engine_env(url, str(env_url), stale, min_ttl)
        ),
    )
    if not isinstance(got, CachedToken):
        return got
    return HostCredential(got.access_token, got.expires_at, "", "", str(env_url))


def _known(index: HostIndex, env_url: str) -> bool:
    """True when the index's settings name `env_url` (configured, the default, or
    logged in to); an index without settings leaves the question to the engine."""
    try:
        return index.environment(env_url) is not None
    except BrokenIndex:
        return False


def forget(scheme: str, hostport: str, token: str | None = None) -> bool:
    """Drop the cached access token of the environment serving this host (only when it
    equals `token`, if given). Never touches the session. True if dropped."""
    env_url = serving_env(scheme, hostport)
    return env_url is not None and drop_token(env_url, only_if=token)


def serving_env(scheme: str, hostport: str) -> str | None:
    """The base URL of the environment serving `scheme://hostport` (https, or plain http
    to a loopback host; exact host and port), None when none does."""
    key = host_key(scheme, hostport)
    if key is None:
        return None
    index = load_index()
    try:
        entry = None if index is None else index.host(key)
    except BrokenIndex:
        index = None
    if index is None:
        return _engine_env_url(scheme, hostport)
    return None if entry is None else str(entry["url"])


def served_username(scheme: str, hostport: str) -> str | None:
    """The username of the environment serving this host, None when none does (reads
    the configuration)."""
    from ..engine import served

    return served.served_username(scheme, hostport)


def usable_hosts() -> dict[str, str]:
    """host key -> username of every served host whose environment has a session
    usable without a new login (may refresh)."""
    cached = _usable_hosts_at_hand()
    if cached is not None:
        return cached
    from ..engine import served

    return served.usable_hosts()


def _usable_hosts_at_hand() -> dict[str, str] | None:
    """`usable_hosts` from a current index when every served environment has a valid
    token at hand (cached, or the official CLI's); None when the engine must decide."""
    index = _index()
    try:
        hosts = None if index is None else index.hosts()
    except ValueError:  # BrokenIndex, or the JSON scanner's
        return None
    if hosts is None:
        return None
    fresh: dict[str, bool] = {}
    for entry in hosts.values():
        url, skew = str(entry["url"]), int(entry["skew"])
        if url not in fresh:
            fresh[url] = (_usable(url, skew, warn=False) or _official(url, skew)) is not None
        if not fresh[url]:
            return None
    return {key: str(entry["username"]) for key, entry in hosts.items()}


def docker_store(action: str, data: str) -> str | None:
    """Docker's answer for a registry we do not serve, from the full credentials store
    (`credsStore: aqora`: the previous store, or the OS keyring); None when that mode is
    off (learnt without the engine). Raises `errors.AqoraHelperError` (its message is
    the protocol's error text)."""
    if not creds_store_is_aqora():
        return None
    from .dockerdelegate import delegated  # the previous store, without the engine

    answer = delegated(action, data, docker_config_file())
    if answer is not None:
        return answer
    from ..engine import dockerstore

    return dockerstore.handle(action, data)


def docker_config_file() -> str:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (as the docker CLI)."""
    base = os.environ.get("DOCKER_CONFIG", "").strip()
    folder = os.path.expanduser(base) if base else os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(folder, "config.json")


def creds_store_is_aqora() -> bool:
    """True when the Docker config's `credsStore` is `aqora` (a config that is missing,
    not a regular file, over 16 MiB or not JSON says no)."""
    from .errors import AqoraHelperError
    from .jsonlite import loads
    from .privatefiles import read_regular_file

    try:
        raw = read_regular_file(docker_config_file(), DOCKER_CONFIG_LIMIT)
        doc = None if raw is None else loads(raw)
    except (AqoraHelperError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("credsStore") == "aqora"


# The engine, imported only when the cache cannot answer.


def _engine_refresh(
    index: HostIndex, env_url: str, stale: CachedToken | None, min_ttl: int = 0
) -> HostCredential | None:
    """With the lock held: a refresh from the settings the index recorded (no config
    parsing), None when it recorded none."""
    from ..engine import served

    return served.refresh_from_index(index, env_url, stale, min_ttl)


def _engine_host(
    scheme: str, hostport: str, held: str | None = None, stale: CachedToken | None = None
) -> HostCredential | None:
    from ..engine import served

    return served.credential_for_host(scheme, hostport, held, stale)


def _engine_env(
    url: str | None, held: str | None = None, stale: CachedToken | None = None, min_ttl: int = 0
) -> HostCredential:
    from ..engine import served

    return served.credential_for_env(url, held, stale, min_ttl)


def _engine_env_url(scheme: str, hostport: str) -> str | None:
    from ..engine import served

    return served.env_url_for_host(scheme, hostport)
