"""`aqora-helper exec [--url URL] [--allow-insecure-host] [--min-ttl D] -- CMD [ARGS...]`: run CMD with a fresh
token in its environment (`AQORA_TOKEN`, and `AQORA_URL`), never in its argv.

SIGINT, SIGTERM and SIGHUP sent to aqora-helper are forwarded to CMD, except a SIGINT
while both are the terminal's foreground job: the terminal's Ctrl-C reached CMD itself,
and repeating it would interrupt CMD's own clean-up. The exit status is CMD's, or 128+N
when a signal N ended it (as shells report it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import FrameType

import typer
from typer._click.exceptions import NoSuchOption, UsageError  # typer vendors click

from ..engine.session import access_token
from .common import MIN_TTL_HELP, URL_HELP, duration, examples, insecure_option, resolve

FORWARDED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
EXIT_NOT_FOUND = 127  # CMD not found, as shells report it
EXIT_NOT_EXECUTABLE = 126


def exec_command(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    min_ttl: int = typer.Option(
        0, "--min-ttl", help=MIN_TTL_HELP, metavar="DURATION", parser=duration
    ),
) -> None:
    """Run CMD with a fresh token in AQORA_TOKEN (and AQORA_URL): exec -- CMD [ARGS...]"""
    argv = list(ctx.args)
    if not argv:
        raise UsageError("Missing command: aqora-helper exec [OPTIONS] -- CMD [ARGS...]", ctx)
    if argv[0].startswith("-"):  # an unknown option of ours, never a command
        raise NoSuchOption(argv[0], ctx=ctx)
    settings, env = resolve(ctx, url, allow_insecure_host)
    token = access_token(settings, env, min_ttl)
    child_env = dict(os.environ, AQORA_TOKEN=token.access_token, AQORA_URL=env.url)
    raise typer.Exit(run_forwarding(argv, child_env))


def run_forwarding(argv: list[str], env: dict[str, str]) -> int:
    """Run `argv` with `env`, forwarding FORWARDED signals; its exit status (128+N for a
    death by signal N; 127/126 when it cannot be run, with a two-line error). Signals
    received before the child started are delivered to it once it has."""
    children: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGINT and _terminal_sent_it_too():
            return
        if children:
            children[0].send_signal(signum)  # a no-op once it has ended
        else:
            pending.append(signum)

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    try:
        try:
            children.append(subprocess.Popen(argv, env=env))
        except FileNotFoundError:
            return _cannot_run(argv[0], "command not found", EXIT_NOT_FOUND)
        except OSError as exc:
            return _cannot_run(argv[0], exc.strerror or type(exc).__name__, EXIT_NOT_EXECUTABLE)
        for signum in pending:
            children[0].send_signal(signum)
        status = children[0].wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    return 128 - status if status < 0 else status


def _terminal_sent_it_too() -> bool:
    """True when this process group is the foreground job of our controlling terminal:
    a SIGINT from the terminal (Ctrl-C) then reached the child as well."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def _cannot_run(command: str, detail: str, code: int) -> int:
    sys.stderr.write(
        f"error: cannot run {command!r}: {detail}\n"
        "hint: check the command's name and PATH (aqora-helper exec -- CMD [ARGS...]).\n"
    )
    return code


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command(
        "exec",
        options_metavar="[OPTIONS] -- CMD [ARGS]...",
        epilog=examples(
            "aqora-helper exec -- python train.py",
            "aqora-helper exec --min-ttl 2h -- ./upload.sh",
            'aqora-helper exec -- sh -c \'curl -H "Authorization: Bearer $AQORA_TOKEN" '
            '"$AQORA_URL/graphql"\'',
        ),
        context_settings={
            "allow_extra_args": True,
            "ignore_unknown_options": True,
            "allow_interspersed_args": False,  # options after CMD are CMD's
        },
    )(exec_command)
