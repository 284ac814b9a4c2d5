"""Pieces shared by the subcommands."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer

from ..engine.settings import Environment, Settings, load_settings
from ..fast.durations import parse_duration
from ..fast.text import clean

URL_HELP = (
    "aqora API URL (default: AQORA_URL, then 'url' in the config file, then "
    "https://aqora.io). Given on a subcommand it wins over the top-level --url."
)

MIN_TTL_HELP = (
    "Refresh first when the token has less than this left: seconds, or e.g. 90m, 2h, 1d "
    "(at most 7d)."
)


def duration(text: str | int) -> int:
    """A --min-ttl value in seconds (typer's parser, also given the default 0: a bad
    value is a usage error)."""
    seconds = text if isinstance(text, int) else parse_duration(text)
    if seconds is None:
        raise typer.BadParameter(
            f"{text!r} is not a duration: seconds, or numbers with s/m/h/d (90m, 2h, 1h30m), "
            "at most 7d"
        )
    return seconds


@dataclass
class GlobalOptions:
    """Options of the top-level command."""

    url: str | None = None
    allow_insecure_host: bool = False


def resolve(ctx: typer.Context, url: str | None) -> tuple[Settings, Environment]:
    """Settings and the selected environment; the subcommand's --url wins."""
    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    chosen = url or options.url
    settings = load_settings(url_override=chosen, allow_insecure_flag=options.allow_insecure_host)
    return settings, settings.environment(chosen)


def say(text: str) -> None:
    """A status line for people, on stderr (stdout is for data)."""
    sys.stderr.write(clean(text) + "\n")
