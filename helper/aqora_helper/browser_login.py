"""The browser login flow (being built: issue 3)."""

from __future__ import annotations

from .errors import LoginFailed
from .settings import Environment, Settings


def browser_login_command(settings: Settings, env: Environment, insecure_storage: bool) -> str:
    """Run the browser flow; returns where the session is stored."""
    raise LoginFailed(
        "Browser login is not available in this version",
        f"Use 'aqora-helper login --interactive --url {env.url}'.",
    )
