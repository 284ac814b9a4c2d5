"""The session engine: a valid access token for an environment, refreshing at most once
at a time across every process and front door.

Order of sources: `AQORA_TOKEN` (default environment only, used as is), the helper's own
session (refresh token in the OS keyring or the opt-in file), then the official aqora
CLI's session.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from .api import Api, IssuedTokens
from .deferral import deferred_signals
from .errors import AqoraHelperError, ConfigError, KeyringUnavailable, NotLoggedIn
from .locking import RefreshLock
from .log import logger, register_secret
from .settings import Environment, Settings
from .tokencache import read_token, write_token
from .tokenformat import MAX_TOKEN, MIN_TOKEN, is_token
from .vault import PendingSave, StoredSession, vault_for


@dataclass(frozen=True)
class Token:
    """An access token ready to hand out."""

    access_token: str
    expires_at: int | None
    source: str


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
        return Token(value, None, "env")
    return None


def access_token(settings: Settings, env: Environment) -> Token:
    """A valid access token for `env`. Raises a typed AqoraHelperError."""
    from_env = env_token(settings, env)
    if from_env is not None:
        return from_env
    cached = _fresh_cached(settings, env)
    if cached is not None:
        return cached
    with RefreshLock(env.url, settings.timeouts.lock):
        cached = _fresh_cached(settings, env)
        if cached is not None:
            logger.debug("another process refreshed %s", env.url)
            return cached
        return _refresh(settings, env)


def _fresh_cached(settings: Settings, env: Environment) -> Token | None:
    cached = read_token(env.url)
    if cached is not None and cached.usable(settings.refresh_skew, time.time()):
        register_secret(cached.access_token)
        return Token(cached.access_token, cached.expires_at, "cache")
    return None


def _refresh(settings: Settings, env: Environment) -> Token:
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
    with PendingSave(vault, env.url, stored) as pending, deferred_signals():
        logger.debug("refreshing %s", env.url)
        issued = api.refresh(stored.client_id, stored.client_secret, stored.refresh_token)
        warning = pending.save(
            StoredSession(issued.refresh_token, stored.client_id, stored.client_secret)
        )
        cache_issued(env, issued)
    if warning is not None:
        _warn(warning)
    return Token(issued.access_token, issued.expires_at, vault.description)


def cache_issued(env: Environment, issued: IssuedTokens) -> None:
    """Cache a new access token; a cache that cannot be written only costs speed."""
    try:
        write_token(env.url, issued.access_token, issued.expires_at)
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
        raise missing or NotLoggedIn(env.url)
    return token


def _warn(message: str) -> None:
    sys.stderr.write(f"aqora-helper: warning: {message}\n")
