"""Which environment serves which host, and the engine's entry points for
`fast.credential` (it imports this module only when the cache cannot answer).

Every call loads the settings and rewrites the fast path's host index
(`fast.hostindex`), so the next cached get is answered without the engine. Nothing
about client protocols lives here.
"""

from __future__ import annotations

from typing import NamedTuple

from ..fast.credential import HostCredential
from ..fast.errors import AqoraHelperError
from ..fast.hostindex import fingerprint, save_index
from ..fast.hostnames import host_key
from ..fast.tokencache import CachedToken
from . import log
from .session import access_token, refresh_locked
from .settings import Environment, Settings, load_settings
from .sources import Token


class ServedHost(NamedTuple):
    """A host[:port] key (see hostnames.host_key) that an environment's token may go to."""

    key: str
    env_url: str
    username: str
    git_auth: str


def credential_for_host(
    scheme: str, hostport: str, held: str | None = None, stale: CachedToken | None = None
) -> HostCredential | None:
    """A valid credential for `scheme://hostport`, or None when it is not served.
    `held`: the environment whose refresh lock the caller holds, having found `stale`
    in its cache (see fast.credential.ensure)."""
    found = environment_for_host(scheme, hostport)
    if found is None:
        return None
    settings, env = found
    return _credential(settings, env, held, stale)


def credential_for_env(
    url: str | None, held: str | None = None, stale: CachedToken | None = None, min_ttl: int = 0
) -> HostCredential:
    """A valid credential for the environment at `url` (default: the default one), with
    the same settings as `aqora-helper [--url URL] token` (see credential_for_host), with
    at least `min_ttl` seconds left."""
    settings, _ = _settings_and_index()
    if url:
        settings = load_settings(url_override=url)
    return _credential(settings, settings.environment(url), held, stale, min_ttl)


def _credential(
    settings: Settings,
    env: Environment,
    held: str | None,
    stale: CachedToken | None,
    min_ttl: int = 0,
) -> HostCredential:
    """The token of `env`: refreshed at once when the caller holds its lock (and so
    checked its cache twice), else through the whole sequence."""
    token: Token = (
        refresh_locked(settings, env, stale, min_ttl)
        if env.url == held
        else access_token(settings, env, min_ttl)
    )
    return HostCredential(token.access_token, token.expires_at, env.username, env.git_auth, env.url)


def _settings_and_index() -> tuple[Settings, dict[str, Environment]]:
    """Load settings and refresh the fast path's host index."""
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
    key = host_key(scheme, hostport)
    if key is None:
        return None
    settings, index = _settings_and_index()
    env = index.get(key)
    return None if env is None else (settings, env)


def env_url_for_host(scheme: str, hostport: str) -> str | None:
    """The base URL of the environment serving this host, or None."""
    found = environment_for_host(scheme, hostport)
    return None if found is None else found[1].url


def served_username(scheme: str, hostport: str) -> str | None:
    """The username configured for the environment serving this host, or None."""
    found = environment_for_host(scheme, hostport)
    return None if found is None else found[1].username


def served_hosts() -> list[ServedHost]:
    """Every served host of every known environment."""
    _, index = _settings_and_index()
    return [ServedHost(key, env.url, env.username, env.git_auth) for key, env in index.items()]


def usable_hosts() -> dict[str, str]:
    """host key -> username of every served host whose environment can produce a token
    without a new login (may refresh)."""
    settings, index = _settings_and_index()
    usable: dict[str, bool] = {}
    result: dict[str, str] = {}
    for key, env in index.items():
        if env.url not in usable:
            usable[env.url] = _has_usable_session(settings, env)
        if usable[env.url]:
            result[key] = env.username
    return result


def _has_usable_session(settings: Settings, env: Environment) -> bool:
    """True when a token can be produced for this environment. Never raises."""
    try:
        access_token(settings, env)
    except Exception:
        return False
    return True
