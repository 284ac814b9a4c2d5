"""The one question every front door asks: a valid access token for this host, now.

Front doors call `fastpath.lookup_cached` first (stdlib only, no network), and only on a
miss call this module. It takes the environment's refresh lock *before* importing the
session engine: of many processes that miss at once, one loads the engine and
refreshes while the others wait, re-read the cache and answer without loading it.
Nothing about client protocols lives here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..fast.hostindex import HostCredential, env_url_for, held_refresh_lock, lookup_cached

if TYPE_CHECKING:
    from .settings import Environment, Settings


class ServedHost(NamedTuple):
    """A host[:port] key (see hostnames.host_key) that an environment's token may go to."""

    key: str
    env_url: str
    username: str
    git_auth: str


def credential_for_host(scheme: str, hostport: str) -> HostCredential | None:
    """A valid credential for `scheme://hostport`, refreshing the session if needed.

    Returns None when the host is not served (or the scheme is not allowed for it).
    Raises an `errors.AqoraHelperError` subclass when the host is served but no token
    can be produced (NotLoggedIn, SessionRejected, ServerUnreachable, ...).
    Never prompts, never opens a browser; every wait is bounded.
    """
    env_url = env_url_for(scheme, hostport)
    if env_url is False:
        return None  # a current index says this host is not served: no engine needed
    lock = held_refresh_lock(env_url) if isinstance(env_url, str) else None
    if lock is None:
        return _engine_credential(scheme, hostport)
    with lock:
        return lookup_cached(scheme, hostport) or _engine_credential(scheme, hostport)


def _engine_credential(scheme: str, hostport: str) -> HostCredential | None:
    from .session import access_token

    found = environment_for_host(scheme, hostport)
    if found is None:
        return None
    settings, env = found
    token = access_token(settings, env)
    return HostCredential(token.access_token, token.expires_at, env.username, env.git_auth, env.url)


def _settings_and_index() -> tuple[Settings, dict[str, Environment]]:
    """Load settings and refresh the fast path's host index."""
    from ..fast.errors import AqoraHelperError
    from ..fast.hostindex import fingerprint, save_index
    from . import log
    from .settings import load_settings

    log.configure()
    stamp = fingerprint()  # taken before reading the config: a concurrent edit => stale index
    settings = load_settings()
    index: dict[str, Environment] = {}
    for env in settings.environments.values():
        for key in env.hosts:
            index.setdefault(key, env)
    entries: dict[str, dict[str, object]] = {
        key: {
            "url": env.url,
            "username": env.username,
            "git_auth": env.git_auth,
            "skew": settings.refresh_skew,
        }
        for key, env in index.items()
    }
    try:
        save_index(
            stamp, entries, settings.default_url, settings.refresh_skew, settings.timeouts.lock
        )
    except AqoraHelperError as exc:
        log.logger.debug("host index not written: %s", exc.message)
    return settings, index


def refresh_index() -> None:
    """Rewrite the fast path's host index now (after login, logout or setup)."""
    _settings_and_index()


def environment_for_host(scheme: str, hostport: str) -> tuple[Settings, Environment] | None:
    """The environment serving `scheme://hostport`, or None."""
    from ..fast.hostnames import host_key

    key = host_key(scheme, hostport)
    if key is None:
        return None
    settings, index = _settings_and_index()
    env = index.get(key)
    return None if env is None else (settings, env)


def forget_token(scheme: str, hostport: str, token: str | None = None) -> bool:
    """Drop the cached access token of the environment serving this host, only if it
    equals `token` when given. Never touches the session (refresh token). True if dropped."""
    from ..fast.tokencache import drop_token

    env_url = env_url_for(scheme, hostport)
    if env_url is False:
        return False
    if not isinstance(env_url, str):
        found = environment_for_host(scheme, hostport)
        if found is None:
            return False
        env_url = found[1].url
    return drop_token(env_url, only_if=token)


def served_hosts() -> list[ServedHost]:
    """Every served host of every known environment."""
    _, index = _settings_and_index()
    return [ServedHost(key, env.url, env.username, env.git_auth) for key, env in index.items()]


def has_usable_session(env_url: str) -> bool:
    """True when a token can be produced for this environment without a new login
    (may refresh). Never raises."""
    try:
        from .session import access_token

        settings, _ = _settings_and_index()
        env = settings.environments.get(env_url) or settings.environment(env_url)
        access_token(settings, env)
    except Exception:
        return False
    return True
