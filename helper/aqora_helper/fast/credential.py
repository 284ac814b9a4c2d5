"""The one credential API of the front doors. Stdlib only at import time.

`get_for_host(scheme, hostport)` (git, docker, keyring backend), `get_for_env(url,
min_ttl)` (`aqora-helper token`, the Python API) and `forget(scheme, hostport, token)`
are all a door calls, plus questions about served hosts (`served_username`,
`usable_hosts`, `serving_env`) for git's username check, docker's `store`/`list` and
the Python API's host check, and `docker_store` for the registries we do not serve when
Docker's `credsStore` is `aqora`.

The host is parsed here, once (`hostnames.host_key`). A hit reads the host index once
and the token file once (`singleflight.ensure`) and never imports the engine. A miss
imports the engine and hands it what was resolved here: the host's key (no current
index: `served.resolve_host` answers with the environment, and `ensure` runs here around
its refresh) or the environment the index named (`served.refresh_from_index`, with the
refresh lock held). The engine never calls back into this module.
"""

from . import lightos
from .hostcredential import HostCredential, Serving
from .hostindex import env_url_of, load_index
from .hostlookup import BrokenIndex
from .hostnames import host_key
from .singleflight import at_hand, ensure
from .tokencache import CachedToken, drop_refused, drop_token

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import Any

    from .hostlookup import HostIndex


def _index() -> "HostIndex | None":
    """The current host index, or None when the engine must decide (stale or missing
    index, or AQORA_TOKEN set)."""
    return None if lightos.getenv("AQORA_TOKEN") else load_index()


def _entry(key: str, index: "HostIndex | None") -> "tuple[HostIndex | None, dict[str, Any] | None]":
    """`index` and its entry for host `key`; (None, None) when the index is missing or
    broken (the engine must decide)."""
    try:
        return (None, None) if index is None else (index, index.host(key))
    except BrokenIndex:
        return None, None


def get_for_host(scheme: str, hostport: str) -> HostCredential | None:
    """A valid credential for `scheme://hostport`, refreshing the session if needed.

    None when the host is not served (or the scheme is not allowed for it). Raises an
    `errors.AqoraHelperError` subclass when it is served but no token can be produced.
    Never prompts, never opens a browser; every wait is bounded. The host is parsed
    here, once; a stale or missing index has the engine resolve its key.
    """
    key = host_key(scheme, hostport)
    if key is None:
        return None
    index, entry = _entry(key, _index())
    if index is None:
        found = _engine_resolve_host(key)
        return found if found is None or isinstance(found, HostCredential) else _answer(found)
    if entry is None:
        return None  # a current index says this host is not served: no engine needed
    env_url = str(entry["url"])
    got = ensure(
        env_url,
        int(entry["skew"]),
        float(index.head["lock_timeout"]),
        lambda stale: _engine_refresh_host(index, key, env_url, stale),
    )
    if not isinstance(got, CachedToken):
        return got
    return HostCredential(
        got.access_token, got.expires_at, str(entry["username"]), str(entry["git_auth"]), env_url
    )


def _answer(serving: Serving) -> HostCredential:
    """The cached token of the environment the engine resolved, else a refreshed one."""
    got = ensure(
        serving.env_url, serving.skew, serving.lock_timeout, serving.refresh, serving.min_ttl
    )
    if not isinstance(got, CachedToken):
        return got
    return HostCredential(
        got.access_token, got.expires_at, serving.username, serving.git_auth, serving.env_url
    )


def get_for_env(url: str | None, min_ttl: int = 0) -> HostCredential:
    """A valid credential for the environment at `url` (default: the default one), as
    `aqora-helper token [--url URL] [--min-ttl D]` prints it: refreshed first when less
    than `min_ttl` seconds (or the configured skew, if longer) are left. Raises
    `errors.AqoraHelperError` (`durations.TokenTooShort` when even a fresh token lives
    shorter than `min_ttl`)."""
    from .durations import require_ttl  # `token` and the Python API only

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
        found = _engine_resolve_env(url, min_ttl)
        return found if isinstance(found, HostCredential) else _answer(found)
    got = ensure(
        str(env_url),
        int(index.head["skew"]),
        float(index.head["lock_timeout"]),
        lambda stale: _engine_refresh_env(index, url, str(env_url), stale, min_ttl),
        min_ttl,
    )
    if not isinstance(got, CachedToken):
        return got
    return HostCredential(got.access_token, got.expires_at, "", "", str(env_url))


def _known(index: "HostIndex", env_url: str) -> bool:
    """True when the index's settings name `env_url` (configured, the default, or
    logged in to); an index without settings leaves the question to the engine."""
    try:
        return index.environment(env_url) is not None
    except BrokenIndex:
        return False


def forget(scheme: str, hostport: str, token: str | None = None) -> bool:
    """Drop the cached access token of the environment serving this host. With `token`
    (the server refused it): only when it is the cached one, and at most once a minute
    (`tokencache.drop_refused`). Never touches the session. True if dropped."""
    env_url = serving_env(scheme, hostport)
    if env_url is None:
        return False
    if token is None:
        return drop_token(env_url)
    return drop_refused(env_url, token, f"{scheme}://{hostport}")


def serving_env(scheme: str, hostport: str) -> str | None:
    """The base URL of the environment serving `scheme://hostport` (https, or plain http
    to a loopback host; exact host and port), None when none does."""
    key = host_key(scheme, hostport)
    if key is None:
        return None
    index, entry = _entry(key, load_index())
    if index is None:
        return _engine_env_url(key)
    return None if entry is None else str(entry["url"])


def served_username(scheme: str, hostport: str) -> str | None:
    """The username of the environment serving this host, None when none does (reads
    the configuration)."""
    key = host_key(scheme, hostport)
    if key is None:
        return None
    from ..engine import served

    return served.served_username(key)


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
            fresh[url] = at_hand(url, skew) is not None
        if not fresh[url]:
            return None
    return {key: str(entry["username"]) for key, entry in hosts.items()}


def docker_store(action: str, data: str) -> str | None:
    """Docker's answer for a registry we do not serve, from the full credentials store
    (`credsStore: aqora`: the previous store, or the OS keyring); None when that mode is
    off (learnt without the engine). Raises `errors.AqoraHelperError` (its message is
    the protocol's error text)."""
    from .dockerconfig import creds_store_is_aqora, docker_config_file

    if not creds_store_is_aqora():
        return None
    from .dockerdelegate import delegated  # the previous store, without the engine

    answer = delegated(action, data, docker_config_file())
    if answer is not None:
        return answer
    from ..engine import dockerstore

    return dockerstore.handle(action, data)


# The engine, imported only when the cache cannot answer. It is handed what was
# resolved here (a host key, an environment URL) and never calls back into this module.


def _engine_resolve_host(key: str) -> HostCredential | Serving | None:
    """No current index: the environment serving the host `key` from the settings (the
    index is rewritten meanwhile); a credential at once for AQORA_TOKEN."""
    from ..engine import served

    return served.resolve_host(key)


def _engine_resolve_env(url: str | None, min_ttl: int) -> HostCredential | Serving:
    from ..engine import served

    return served.resolve_env(url, min_ttl)


def _engine_refresh_host(
    index: "HostIndex", key: str, env_url: str, stale: CachedToken | None
) -> HostCredential | None:
    """With the lock held: a refresh from the settings the index recorded (no config
    parsing); when it recorded none, from the config file."""
    from ..engine import served

    return served.refresh_from_index(index, env_url, stale) or served.refresh_host(
        key, env_url, stale
    )


def _engine_refresh_env(
    index: "HostIndex", url: str | None, env_url: str, stale: CachedToken | None, min_ttl: int
) -> HostCredential:
    """`_engine_refresh_host` for an environment named by URL."""
    from ..engine import served

    return served.refresh_from_index(index, env_url, stale, min_ttl) or served.refresh_env(
        url, env_url, stale, min_ttl
    )


def _engine_env_url(key: str) -> str | None:
    from ..engine import served

    return served.env_url_for_key(key)
