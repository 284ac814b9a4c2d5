"""The official aqora CLI's session as a token source (being built: issue 3)."""

from __future__ import annotations

from .session import Token
from .settings import Environment, Settings


def official_token(settings: Settings, env: Environment) -> Token | None:
    """A valid token from the official CLI's session, or None when it has none."""
    return None
