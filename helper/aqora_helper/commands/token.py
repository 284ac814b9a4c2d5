"""`aqora-helper token`: a valid access token on stdout (the `gh auth token` contract)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from enum import Enum

import typer

from ..session import access_token
from .common import URL_HELP, resolve


class TokenFormat(str, Enum):
    """Output formats."""

    plain = "plain"
    json = "json"
    env = "env"
    header = "header"


def rfc3339(epoch: int | None) -> str | None:
    """Unix seconds as RFC 3339 UTC (`2026-11-28T10:00:00Z`)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(token: str, expires_at: int | None, url: str, fmt: str) -> str:
    """The text printed for each format (ends with a newline)."""
    if fmt == "json":
        body = {"access_token": token, "expires_at": rfc3339(expires_at), "url": url}
        return json.dumps(body) + "\n"
    if fmt == "env":
        return f"AQORA_TOKEN={token}\n"
    if fmt == "header":
        return f"Authorization: Bearer {token}\n"
    return token + "\n"


def token(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    output_format: TokenFormat = typer.Option(TokenFormat.plain, "--format", help="Output format."),
) -> None:
    """Print a valid access token, refreshing the session if needed."""
    settings, env = resolve(ctx, url)
    result = access_token(settings, env)
    sys.stdout.write(render(result.access_token, result.expires_at, env.url, output_format.value))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(token)
