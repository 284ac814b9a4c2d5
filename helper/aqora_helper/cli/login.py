"""`aqora-helper login`."""

from __future__ import annotations

import getpass
import sys

import typer

from ..engine.login import interactive_login
from ..engine.served import refresh_index
from ..fast.errors import LoginFailed
from .common import URL_HELP, resolve, say


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise LoginFailed(
            "No password on standard input", "Pipe the password followed by a newline."
        )
    return password


def login(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    interactive: bool = typer.Option(
        False, "--interactive", help="Log in with username and password instead of the browser."
    ),
    username: str | None = typer.Option(
        None, "--username", help="Username or e-mail (--interactive)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    insecure_storage: bool = typer.Option(
        False,
        "--insecure-storage",
        help="Keep the refresh token in a 0600 file instead of the OS keyring.",
    ),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Only print the login URL; do not open a browser."
    ),
) -> None:
    """Log in to aqora and store the session (refresh token) in the OS keyring."""
    settings, env = resolve(ctx, url)
    if not interactive:
        from ..engine.browser_login import browser_login_command

        where = browser_login_command(settings, env, insecure_storage, not no_browser)
    else:
        if username is None:
            if password_stdin or not sys.stdin.isatty():
                raise LoginFailed("--username is required when stdin is not a terminal")
            username = input("Username or e-mail: ").strip()
        password = _read_password_stdin() if password_stdin else getpass.getpass("Password: ")
        where = interactive_login(settings, env, username, password, insecure_storage)
    refresh_index()
    say(f"Logged in to {env.url}; the session is stored in {where}.")
    if insecure_storage:
        say("Warning: the refresh token is stored unencrypted on disk (--insecure-storage).")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(login)
