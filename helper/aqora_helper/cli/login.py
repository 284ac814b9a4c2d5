"""`aqora-helper login`."""

from __future__ import annotations

import getpass
import sys
import time

import typer

from ..engine.api import Api
from ..engine.errors import LoginFailed
from ..engine.login import interactive_login
from ..engine.served import refresh_index
from ..engine.settings import Environment, Settings
from ..fast.errors import AqoraHelperError
from ..fast.tokencache import read_token
from .common import URL_HELP, examples, insecure_option, resolve, say
from .status import stored_session


def _read_password_stdin() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if password.endswith("\r"):
        password = password[:-1]
    if not password:
        raise LoginFailed(
            "No password on standard input",
            "Pipe the password and a newline into the command, or leave out --password-stdin "
            "to be asked for it.",
        )
    return password


def login(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    interactive: bool = typer.Option(
        False, "--interactive", help="Log in with username and password instead of the browser."
    ),
    username: str | None = typer.Option(
        None, "--username", help="Username or e-mail (--interactive).", metavar="NAME"
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
    """Log in to aqora and store the session (refresh token) in the OS keyring.

    --username and --password-stdin imply --interactive. Names the account logged in,
    and warns first when it replaces the session of an account already logged in.
    """
    settings, env = resolve(ctx, url, allow_insecure_host)
    previous = current_account(settings, env)
    if previous is not None:
        who = f" as {previous}" if previous else ""
        say(f"Note: you are logged in to {env.url}{who}; this login replaces that session.")
    if not (interactive or username is not None or password_stdin):
        from ..engine.browser_login import browser_login_command

        where = browser_login_command(settings, env, insecure_storage, not no_browser)
    else:
        if username is None:
            if password_stdin or not sys.stdin.isatty():
                raise LoginFailed(
                    "--username is required when the password comes from stdin or stdin is "
                    "not a terminal",
                    "Add '--username USER' (your aqora username or e-mail).",
                )
            username = input("Username or e-mail: ").strip()
        password = _read_password_stdin() if password_stdin else getpass.getpass("Password: ")
        where = interactive_login(settings, env, username, password, insecure_storage)
    refresh_index()
    account = current_account(settings, env)
    who = f" as {account}" if account else ""
    say(f"Logged in to {env.url}{who}; the session is stored in {where}.")
    if previous and account and previous != account:
        say(f"Warning: the session of {previous} for {env.url} was replaced by {account}'s.")
    if insecure_storage:
        say("Warning: the refresh token is stored unencrypted on disk (--insecure-storage).")


def current_account(settings: Settings, env: Environment) -> str | None:
    """The account of the helper's session for `env` ('' when a session is stored but its
    account cannot be told now), or None when there is none. Asks the server with the
    cached access token only: never refreshes (no rotation just to name the account)."""
    try:
        found = stored_session(settings, env)
    except AqoraHelperError:
        return None
    if found is None or found[0] == "official CLI":
        return None
    cached = read_token(env.url)
    if cached is None or cached.expires_at <= time.time():
        return ""
    try:
        name = Api(env.url, settings.timeouts).viewer(cached.access_token).get("username")
    except AqoraHelperError:
        return ""
    return name if isinstance(name, str) else ""


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        epilog=examples(
            "aqora-helper login",
            "aqora-helper login --url https://staging.aqora.example --no-browser",
            'printf %s "$PASSWORD" | aqora-helper login --username alice --password-stdin',
        )
    )(login)
