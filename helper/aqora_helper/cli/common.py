"""Pieces shared by the subcommands."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import typer

from ..engine.settings import Environment, Settings, load_settings
from ..fast.durations import parse_duration
from ..fast.text import clean

URL_HELP = (
    "aqora API URL (default: AQORA_URL, then 'url' in the config file, then the only "
    "environment you are logged in to, then https://aqora.io). Given on a subcommand it "
    "wins over the top-level --url."
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
        if isinstance(text, str) and parse_duration(text, limit=None) is not None:
            raise typer.BadParameter(
                f"{text!r} is longer than 7 days, the longest a token is taken to live "
                "(at most 7d)"
            )
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


INSECURE_HELP = "Allow plain http to a non-loopback host (also AQORA_ALLOW_INSECURE_HOST=1)."


def insecure_option() -> Any:
    """`--allow-insecure-host`, accepted before and after the subcommand."""
    return typer.Option(False, "--allow-insecure-host", help=INSECURE_HELP)


def resolve(
    ctx: typer.Context, url: str | None, allow_insecure_host: bool = False
) -> tuple[Settings, Environment]:
    """Settings and the selected environment; the subcommand's --url wins, and
    --allow-insecure-host counts wherever it is given."""
    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    chosen = url or options.url
    allow = allow_insecure_host or options.allow_insecure_host
    settings = load_settings(url_override=chosen, allow_insecure_flag=allow)
    return settings, settings.environment(chosen)


def examples(*lines: str) -> str:
    """The EXAMPLES section of a help page (typer's epilog)."""
    # "\b" keeps click from rewrapping a paragraph: each example stays one pasteable line
    return "EXAMPLES\n\n" + "\n\n".join(f"\b\n$ {line}" for line in lines)


def say(text: str) -> None:
    """A status line for people, on stderr (stdout is for data)."""
    sys.stderr.write(clean(text) + "\n")
