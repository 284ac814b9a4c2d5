"""Which environment serves which host, and the engine's entry points for
`fast.credential` (it imports this module only when the cache cannot answer).

A host comes here already parsed, as its key (`hostnames.host_key`): nothing here parses
a host. On a miss without a current host index, `resolve_host` / `resolve_env` load the
settings, rewrite the fast path's host index (`fast.hostindex`, so the next cached get
is answered without the engine) and hand back the environment (`Serving`): the caller
checks the cache, takes the lock and calls its `refresh`, which uses those settings.
With a current index, `refresh_from_index` refreshes from the settings it recorded.
Nothing about client protocols lives here, and nothing here calls `fast.credential`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from ..fast.errors import AqoraHelperError, NotLoggedIn
from ..fast.hostcredential import HostCredential, Serving
from ..fast.hostindex import fingerprint, save_index
from ..fast.hostlookup import BrokenIndex
from ..fast.tokencache import CachedToken, token_path
from . import log
from .coredumps import disable_core_dumps
from .errors import ConfigError
from .session import access_token, at_least, env_token, refresh_locked
from .settings import Environment, Settings, from_index, load_settings, to_index
from .sources import Token

if TYPE_CHECKING:
    from ..fast.hostindex import HostEntry
    from ..fast.hostlookup import HostIndex


class ServedHost(NamedTuple):
    """A host[:port] key (see hostnames.host_key) that an environment's token may go to."""

    key: str
    env_url: str
    username: str
    git_auth: str


def resolve_host(key: str) -> HostCredential | Serving | None:
    """The environment serving the host `key` (a `hostnames.host_key`, parsed by the
    caller), from the settings; None when none serves it. The host index is rewritten
    (a host not served: the index says so to the next get). An environment without any
    session is refused before any file is written. AQORA_TOKEN, where it applies, is
    the answer at once; otherwise the caller runs `singleflight.ensure` with what this
    returns, and its `refresh` uses these settings (nothing is resolved again)."""
    settings, env = _host_env(key, None)
    return None if settings is None or env is None else _serving(settings, env)


def _host_env(key: str, held: str | None) -> tuple[Settings | None, Environment | None]:
    """The settings and the environment serving `key` (None when none does), with the
    host index rewritten and an environment without any session refused (`held`: the
    environment whose refresh lock the caller holds); (None, None) when a config problem
    that does not concern `key` hides the settings."""
    loaded = _load_for_host(key)
    if loaded is None:
        return None, None
    stamp, settings = loaded
    env = _served(settings).get(key)
    if env is not None:
        _refuse_without_session(settings, env, held)
    _publish(stamp, settings)
    return settings, env


def resolve_env(url: str | None, min_ttl: int = 0) -> HostCredential | Serving:
    """`resolve_host` for the environment at `url` (default: the default one), with the
    same settings as `aqora-helper [--url URL] token`; its refresh skew is at least
    `min_ttl` seconds. An environment without any session (the default one included)
    is refused before any file is written (no index, no lock)."""
    stamp, base = _load()
    settings = load_settings(url_override=url) if url else base  # a rejected URL stops here
    env = settings.environment(url)
    _refuse_without_session(settings, env, None)
    _publish(stamp, base)
    return _serving(settings, env, min_ttl)


def _serving(settings: Settings, env: Environment, min_ttl: int = 0) -> HostCredential | Serving:
    """AQORA_TOKEN's credential when it applies to `env`, else what the caller needs to
    check the cache and, under the lock, refresh `env` (see resolve_host)."""
    from_env = env_token(settings, env)
    if from_env is not None:
        return _answer(env, from_env)
    wide = at_least(settings, min_ttl)
    return Serving(
        env.url,
        wide.refresh_skew,
        wide.timeouts.lock,
        env.username,
        env.git_auth,
        lambda stale: _answer(env, refresh_locked(settings, env, stale, min_ttl)),
        min_ttl,
    )


def refresh_host(key: str, held: str, stale: CachedToken | None) -> HostCredential | None:
    """With `held`'s refresh lock held (the index named it for `key`, but recorded no
    settings): refresh from the config file; None when no environment serves `key`."""
    settings, env = _host_env(key, held)
    return None if settings is None or env is None else _credential(settings, env, held, stale)


def refresh_env(
    url: str | None, held: str, stale: CachedToken | None, min_ttl: int = 0
) -> HostCredential:
    """`refresh_host` for the environment at `url` (default: the default one)."""
    stamp, base = _load()
    settings = load_settings(url_override=url) if url else base
    env = settings.environment(url)
    _refuse_without_session(settings, env, held)
    _publish(stamp, base)
    return _credential(settings, env, held, stale, min_ttl)


def refresh_from_index(
    index: HostIndex, env_url: str, stale: CachedToken | None, min_ttl: int = 0
) -> HostCredential | None:
    """For `fast.singleflight.ensure` with a current host index (the caller holds
    `env_url`'s refresh lock and found `stale`): refresh with the settings the index
    recorded, without parsing the config; None when it recorded none for `env_url`."""
    try:
        settings = from_index(index.settings_for(env_url))
    except BrokenIndex:
        return None
    env = None if settings is None else settings.environments.get(env_url)
    if settings is None or env is None:
        return None
    log.configure()
    disable_core_dumps()  # as load_settings: this process is about to hold a refresh token
    return _credential(settings, env, env_url, stale, min_ttl)


def _refuse_without_session(settings: Settings, env: Environment, held: str | None) -> None:
    """Raise NotLoggedIn when no source can give `env` a token (see _may_have_session),
    before any file is written: never logged in leaves no index, lock or directory (the
    index is written once a session exists). `held`: the caller holds `env`'s lock."""
    if env.url == held or _may_have_session(settings, env):
        return
    from .known import logged_in_urls

    raise NotLoggedIn(env.url, tuple(u for u in logged_in_urls() if u != env.url))


def _may_have_session(settings: Settings, env: Environment) -> bool:
    """False only when no source can give `env` a token (read only, no lock, no program
    run): no AQORA_TOKEN for it, no cached token, no session file, nothing in the OS
    keyring, no official aqora CLI (neither its program on PATH nor its credentials
    file). The cheap checks come first: once logged in, a cached token answers."""
    import shutil

    from .official import credentials_path
    from .vault import stored_anywhere

    if env_token(settings, env) is not None or os.path.lexists(token_path(env.url)):
        return True
    if shutil.which("aqora") is not None or os.path.lexists(credentials_path()):
        return True  # the full sequence asks the official CLI (under its own lock)
    try:
        return stored_anywhere(env.url, settings.timeouts.keyring)
    except AqoraHelperError:
        return True  # the keyring cannot tell: the full sequence reports it


def _credential(
    settings: Settings,
    env: Environment,
    held: str | None,
    stale: CachedToken | None,
    min_ttl: int = 0,
) -> HostCredential:
    """The token of `env`: refreshed at once when the caller holds its lock (and so
    checked its cache twice), else through the whole sequence (an index whose entry
    disagrees with the config file: another environment, under its own lock)."""
    token: Token = (
        refresh_locked(settings, env, stale, min_ttl)
        if env.url == held
        else access_token(settings, env, min_ttl)
    )
    return _answer(env, token)


def _answer(env: Environment, token: Token) -> HostCredential:
    return HostCredential(token.access_token, token.expires_at, env.username, env.git_auth, env.url)


def _settings_and_index() -> tuple[Settings, dict[str, Environment]]:
    """Load settings and refresh the fast path's host index."""
    stamp, settings = _load()
    return settings, _publish(stamp, settings)


def _load_for_host(key: str) -> tuple[str, Settings] | None:
    """`_load()` for a request to the host `key`; None when the settings do not load and
    the problem does not concern that host (no configuration could serve it: see
    configscope), which then gets the answer of a host not served."""
    try:
        return _load()
    except ConfigError:
        from .configscope import may_serve

        if may_serve(key):
            raise
        log.logger.debug("configuration problem ignored for %s: not a host it could serve", key)
        return None


def _load() -> tuple[str, Settings]:
    """The settings, with the index fingerprint taken before reading the config (a
    concurrent edit then makes the index stale, not wrong)."""
    log.configure()
    stamp = fingerprint()
    return stamp, load_settings()


def _served(settings: Settings) -> dict[str, Environment]:
    """host key -> the environment serving it (the first that names it)."""
    index: dict[str, Environment] = {}
    for env in settings.environments.values():
        for key in env.hosts:
            index.setdefault(key, env)
    return index


def _publish(stamp: str, settings: Settings) -> dict[str, Environment]:
    """Rewrite the fast path's host index from `settings`; returns host key -> env."""
    index = _served(settings)
    entries: dict[str, HostEntry] = {
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
            stamp,
            entries,
            settings.default_url,
            settings.refresh_skew,
            settings.timeouts.lock,
            to_index(settings),
        )
    except AqoraHelperError as exc:
        log.logger.debug("host index not written: %s", exc.message)
    return index


def refresh_index() -> None:
    """Rewrite the fast path's host index now (after login, logout or setup)."""
    _settings_and_index()


def environment_for_key(key: str) -> tuple[Settings, Environment] | None:
    """The environment serving the host `key` (a `hostnames.host_key`), or None (reads
    only: the index is rewritten by the gets, which need it)."""
    loaded = _load_for_host(key)
    if loaded is None:
        return None
    env = _served(loaded[1]).get(key)
    return None if env is None else (loaded[1], env)


def env_url_for_key(key: str) -> str | None:
    """The base URL of the environment serving the host `key`, or None."""
    found = environment_for_key(key)
    return None if found is None else found[1].url


def served_username(key: str) -> str | None:
    """The username configured for the environment serving the host `key`, or None."""
    found = environment_for_key(key)
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
