"""The `aqora-helper` command (typer)."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer vendors click

from .. import __version__
from ..engine import log
from ..fast.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    INTERRUPTED_HINT,
    AqoraHelperError,
    NotLoggedIn,
)
from ..fast.text import clean
from .common import URL_HELP, GlobalOptions, examples, insecure_option

# Each command's module, in the order --help lists them. A command line that names one
# imports only that module (Click's lazy-subcommand pattern): `setup git` does not load
# doctor's HTTP stack, nor `status` the setup editors.
COMMAND_MODULES = {
    "login": "login",
    "logout": "logout",
    "status": "status",
    "doctor": "doctor",
    "token": "token",
    "exec": "exec",
    "setup": "setup",
}
_OPTIONS_WITH_VALUE = ("--url",)  # top-level options whose value is the next argument
_COMPLETION_VARIABLE = "_AQORA_HELPER_COMPLETE"  # set by the shell's completion script


def _help_without_python_types() -> None:
    """Help shows a boolean flag as a flag, not `<bool>`, and an argument by its name
    only, not `HOST <list[str]>` (this typer lists a type for every parameter)."""
    option = typer.core.TyperOption
    shown = option.display_type_rich

    def display(self: typer.core.TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    def no_type(self: typer.core.TyperArgument, ctx: typer.Context) -> str | None:
        return None

    option.display_type_rich = display  # type: ignore[method-assign,assignment]
    typer.core.TyperArgument.display_type_rich = no_type  # type: ignore[method-assign,assignment]


_help_without_python_types()


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"aqora-helper {__version__}\n")
        raise typer.Exit()


def main_options(
    ctx: typer.Context,
    url: str | None = typer.Option(None, "--url", help=URL_HELP, metavar="URL"),
    allow_insecure_host: bool = insecure_option(),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Fresh aqora.io tokens for git, Docker, pip/uv and scripts."""
    ctx.obj = GlobalOptions(url=url, allow_insecure_host=allow_insecure_host)


def invoked_command(argv: list[str]) -> str | None:
    """The command a command line names (top-level options before it skipped), if any."""
    args = iter(argv)
    for arg in args:
        if arg == "--":
            return next(args, None)
        if arg in _OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def build_app(argv: list[str]) -> typer.Typer:
    """The typer app with the named command only, or every command (help, completion,
    an unknown name: all of them listed, as before)."""
    app = typer.Typer(
        name="aqora-helper",
        help="Fresh aqora.io tokens for git, Docker, pip/uv and scripts.",
        epilog=examples(
            "aqora-helper login",
            "aqora-helper status",
            "aqora-helper setup git",
            "aqora-helper --install-completion   # shell completion (bash, zsh, fish, PowerShell)",
        ),
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # docstring paragraphs flow (rich mode keeps their line breaks)
    )
    app.callback()(main_options)
    name = invoked_command(argv)
    wanted = [name] if name in COMMAND_MODULES and _COMPLETION_VARIABLE not in os.environ else []
    for command in wanted or list(COMMAND_MODULES):
        importlib.import_module(f"{__package__}.{COMMAND_MODULES[command]}").register(app)
    return app


def print_error(error: AqoraHelperError) -> None:
    """The two-line error format: what went wrong, what to do."""
    sys.stderr.write(f"error: {clean(error.message)}\nhint: {clean(error.hint)}\n")


def print_usage_error(usage: UsageError) -> None:
    """A usage error in the two-line format, naming the allowed values (exit 2)."""
    message = usage.format_message().replace("Value error, ", "")
    command = usage.ctx.command_path if usage.ctx is not None else "aqora-helper"
    sys.stderr.write(
        f"error: {clean(message)}\nhint: see '{clean(command)} --help' for the usage.\n"
    )


def _interrupted() -> None:
    sys.stderr.write(f"error: interrupted\nhint: {INTERRUPTED_HINT}\n")


def run(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (documented in the README)."""
    log.configure()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = build_app(args)(args=args, prog_name="aqora-helper", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except NoArgsIsHelpError as no_args:
        no_args.show()  # the help page
        return EXIT_USAGE
    except UsageError as usage:
        print_usage_error(usage)
        return EXIT_USAGE
    except typer.Abort:
        _interrupted()
        return EXIT_INTERRUPTED
    except SystemExit as done:
        code = done.code
        status = code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
        if status == EXIT_INTERRUPTED:  # typer turns Ctrl-C into this status, silently
            _interrupted()
        return status
    except NotLoggedIn as error:
        print_error(error.for_command(args))
        return error.exit_code
    except AqoraHelperError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        _interrupted()
        return EXIT_INTERRUPTED
    except Exception as unexpected:  # never a traceback for users
        sys.stderr.write(
            f"error: internal error ({type(unexpected).__name__})\n"
            "hint: rerun with AQORA_HELPER_LOG=debug and report the output.\n"
        )
        return EXIT_FAILURE
