"""Pieces shared by the subcommands."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import typer

from ..engine.settings import Environment, Settings, load_settings
from ..fast.text import clean

URL_HELP = (
    "aqora API URL (default: AQORA_URL, then 'url' in the config file, then the only "
    "environment you are logged in to, then https://aqora.io). Given on a subcommand it "
    "wins over the top-level --url."
)


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
    return "EXAMPLES\n\n" + "\n\n".join(f"  $ {line}" for line in lines)


def say(text: str) -> None:
    """A status line for people, on stderr (stdout is for data)."""
    sys.stderr.write(clean(text) + "\n")
