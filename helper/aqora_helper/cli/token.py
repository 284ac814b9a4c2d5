"""`aqora-helper token`: a valid access token on stdout (the `gh auth token` contract)."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from ..doors.token import render
from ..engine.session import access_token
from .common import MIN_TTL_HELP, URL_HELP, duration, examples, insecure_option, resolve


class TokenFormat(str, Enum):
    """Output formats."""

    plain = "plain"
    json = "json"
    env = "env"
    header = "header"


def token(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    output_format: TokenFormat = typer.Option(TokenFormat.plain, "--format", help="Output format."),
    min_ttl: int = typer.Option(
        0, "--min-ttl", help=MIN_TTL_HELP, metavar="DURATION", parser=duration
    ),
) -> None:
    """Print a valid access token, refreshing the session if needed."""
    settings, env = resolve(ctx, url, allow_insecure_host)
    result = access_token(settings, env, min_ttl)
    sys.stdout.write(render(result.access_token, result.expires_at, env.url, output_format.value))


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        epilog=examples(
            "aqora-helper token",
            'curl -H "$(aqora-helper token --format header)" https://aqora.io/graphql',
            'eval "$(aqora-helper token --format env)"',
        )
    )(token)
