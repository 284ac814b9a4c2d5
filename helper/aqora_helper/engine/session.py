"""The session engine: a valid access token for an environment, refreshing at most once
at a time across every process and front door.

Order of sources (`sources.Source`): `AQORA_TOKEN` (default environment only, used as
is), the access-token cache, the helper's own session (refresh token in the OS keyring
or the opt-in file), then the official aqora CLI's session. The cache check, the lock
and the second check are `fast.singleflight.ensure`'s; `refresh_locked` is what runs
under that lock.
"""

from __future__ import annotations

import os
import sys

from ..fast.durations import require_ttl
from ..fast.errors import AqoraHelperError, NotLoggedIn
from ..fast.official_session import OfficialToken, credentials_file, remember
from ..fast.signals import deferred_signals
from ..fast.singleflight import ensure
from ..fast.text import MAX_TOKEN, MIN_TOKEN, is_token
from ..fast.tokencache import UNREAD, CachedToken, Unread, write_token
from .api import Api, IssuedTokens, RotatedWithoutAccess
from .errors import ConfigError, KeyringUnavailable
from .log import logger, register_secret
from .sessionfiles import StoredSession
from .settings import Environment, Settings
from .sources import Source, Token
from .vault import PendingSave, vault_for


def env_token(settings: Settings, env: Environment) -> Token | None:
    """AQORA_TOKEN, which applies to the configured default environment only (AQORA_URL,
    the config's `url` or the built-in one), never to one chosen by `--url` alone. A value
    outside the bearer token syntax is refused, never handed out (it could inject a
    header or a shell command wherever the token is printed)."""
    value = os.environ.get("AQORA_TOKEN", "").strip()
    if value and env.url == settings.token_url:
        register_secret(value)
        if not is_token(value):
            raise ConfigError(
                "AQORA_TOKEN is not an access token (it holds characters outside the "
                f"bearer token syntax, or is not {MIN_TOKEN} to {MAX_TOKEN} characters long)",
                "Set AQORA_TOKEN to the access token alone (no quotes, spaces or line "
                "breaks), or unset it.",
            )
        return Token(value, None, Source.ENV)
    return None


def access_token(settings: Settings, env: Environment, min_ttl: int = 0) -> Token:
    """A valid access token for `env`, refreshed first when less than `min_ttl` seconds
    (or the refresh skew, if longer) are left. Raises a typed AqoraHelperError
    (`TokenTooShort` when even a fresh token lives shorter than `min_ttl`)."""
    from_env = env_token(settings, env)
    if from_env is not None:
        return from_env
    settings = at_least(settings, min_ttl)
    got = ensure(
        env.url,
        settings.refresh_skew,
        settings.timeouts.lock,
        lambda stale: _refresh(settings, env, stale),
        min_ttl,
    )
    if not isinstance(got, Token):
        register_secret(got.access_token)
        source = Source.OFFICIAL if isinstance(got, OfficialToken) else Source.CACHE
        got = Token(got.access_token, got.expires_at, source)
    require_ttl(env.url, got.expires_at, min_ttl)
    return got


def refresh_locked(
    settings: Settings, env: Environment, stale: CachedToken | None, min_ttl: int = 0
) -> Token:
    """A new access token for `env`, for `fast.singleflight.ensure`, which holds the
    environment's refresh lock and found `stale` (or nothing) in the cache."""
    return env_token(settings, env) or _refresh(at_least(settings, min_ttl), env, stale)


def at_least(settings: Settings, min_ttl: int) -> Settings:
    """`settings` whose refresh skew is at least `min_ttl` seconds: every source then
    counts a token with less left as stale (the official CLI's file included)."""
    if min_ttl <= settings.refresh_skew:
        return settings
    return settings._replace(refresh_skew=min_ttl)


def _refresh(settings: Settings, env: Environment, stale: CachedToken | None) -> Token:
    """Refresh with the lock held: our own session first, else the official CLI's."""
    vault = vault_for(env.url, settings.timeouts.keyring)
    try:
        stored = vault.load(env.url)
    except KeyringUnavailable as no_keyring:
        # No OS keyring here (headless, no D-Bus): the official CLI's session may still
        # serve; if it has none, the keyring problem is what the user must fix.
        return _from_official_cli(settings, env, missing=no_keyring)
    if stored is None:
        return _from_official_cli(settings, env)
    api = Api(env.url, settings.timeouts)
    # Room for the rotated session first (a full disk fails here, before the server
    # rotates); then no signal may interrupt until the rotated session is stored.
    warnings: list[str] = []  # shown once signals are delivered again
    try:
        with PendingSave(vault, env.url, stored) as pending, deferred_signals():
            logger.debug("refreshing %s", env.url)
            issued = _rotate(api, pending, stored, warnings)
            cache_issued(env, issued, stale)
    finally:
        for warning in warnings:
            _warn(warning)
    return Token(issued.access_token, issued.expires_at, Source.VAULT)


def _rotate(
    api: Api, pending: PendingSave, stored: StoredSession, warnings: list[str]
) -> IssuedTokens:
    """Refresh and persist the rotated refresh token. When only the access token was
    refused, the server rotated all the same: the new refresh token is stored, then the
    refusal raised. A warning is added when the token went to the recovery file."""
    try:
        issued = api.refresh(stored.client_id, stored.client_secret, stored.refresh_token)
    except RotatedWithoutAccess as refused:
        _store_rotated(pending, stored, refused.refresh_token, warnings)
        raise
    _store_rotated(pending, stored, issued.refresh_token, warnings)
    return issued


def _store_rotated(
    pending: PendingSave, stored: StoredSession, refresh_token: str, warnings: list[str]
) -> None:
    warning = pending.save(StoredSession(refresh_token, stored.client_id, stored.client_secret))
    if warning is not None:
        warnings.append(warning)


def cache_issued(
    env: Environment, issued: IssuedTokens, previous: CachedToken | Unread | None = UNREAD
) -> None:
    """Cache a new access token (`previous`: what the cache held, if already read); a
    cache that cannot be written only costs speed."""
    try:
        write_token(env.url, issued.access_token, issued.expires_at, previous)
    except AqoraHelperError as exc:
        logger.debug("access token not cached: %s", exc.message)


def _from_official_cli(
    settings: Settings, env: Environment, missing: AqoraHelperError | None = None
) -> Token:
    """The third source: the official CLI's session. Without one, raise `missing` (why
    our own session could not be read) or NotLoggedIn."""
    from .official import official_token

    token = official_token(settings, env)
    if token is None:
        if missing is not None:
            raise missing
        from .known import logged_in_urls

        raise NotLoggedIn(env.url, tuple(u for u in logged_in_urls() if u != env.url))
    if missing is None:  # no session of ours: the next gets may read the file themselves
        _point_to_official(env)
    return token


def _point_to_official(env: Environment) -> None:
    """Leave the fast path a pointer to the official CLI's credentials.json (no token);
    a cache that cannot be written only costs speed. Written after every answer from
    that source: its new identity tells processes waiting for the refresh lock to read
    credentials.json again (fast.singleflight.ensure)."""
    path = credentials_file()
    if not os.path.isfile(path):
        return
    try:
        remember(env.url, path)
    except AqoraHelperError as exc:
        logger.debug("official session not pointed to: %s", exc.message)


def _warn(message: str) -> None:
    sys.stderr.write(f"aqora-helper: warning: {message}\n")
