"""Where an access token came from, and the token as the engine hands it out."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple


class Source(Enum):
    """The sources of an access token, in the order the engine tries them (the cache
    holds what the vault's refresh produced)."""

    ENV = "env"  # AQORA_TOKEN
    CACHE = "cache"  # our access-token cache
    VAULT = "vault"  # our own session: a refresh token in the OS keyring or opt-in file
    OFFICIAL = "official CLI"  # the official aqora CLI's session


class Token(NamedTuple):
    """An access token ready to hand out."""

    access_token: str
    expires_at: int | None
    source: Source
