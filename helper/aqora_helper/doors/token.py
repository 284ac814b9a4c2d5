"""The `aqora-helper token` front door: `aqora-helper [--url U] token [--format F]
[--min-ttl D]`, answered through `fast.credential.get_for_env` like every other door (a
valid cached token without importing the CLI framework or the engine), and its output
formats.
`aqora_helper.__main__` hands every other command line to the CLI.
"""

import sys

from ..fast.durations import parse_duration
from ..fast.jsonlite import dumps
from ..fast.text import rfc3339

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import NoReturn


def parse_token_args(argv: list[str]) -> tuple[str | None, str, int] | None:
    """(url, format, min_ttl seconds) of `aqora-helper [--url U] token [--url U]
    [--format F] [--min-ttl D]`, or None for any other command line, a bad value included
    (the CLI then says what is wrong; the subcommand's --url wins, as in the CLI)."""
    url: str | None = None
    fmt = "plain"
    min_ttl: int | None = 0
    seen_token = False
    args = iter(argv)
    for arg in args:
        name, eq, inline = arg.partition("=")
        if arg == "token" and not seen_token:
            seen_token = True
        elif name in ("--url", "--format", "--min-ttl") and arg.startswith("--"):
            value = inline if eq else next(args, None)
            if value is None or (name != "--url" and not seen_token):
                return None
            if name == "--url":
                url = value
            elif name == "--min-ttl":
                min_ttl = parse_duration(value)
            elif value in FORMATS:
                fmt = value
            else:
                return None
            if min_ttl is None:
                return None
        else:
            return None
    return (url, fmt, min_ttl) if seen_token and min_ttl is not None else None


FORMATS = ("plain", "json", "env", "header")
_OUTPUT_HINT = "Check where the output goes (a full disk, a closed pipe), then retry."
_CACHE_HINT = "Remove the aqora-helper cache directory (it only holds cached data) and retry."


def answer(url: str | None, fmt: str, min_ttl: int = 0) -> "NoReturn":
    """Print the token of the environment at `url` in `fmt`, with at least `min_ttl`
    seconds left, and exit; failures are the CLI's two-line errors with its exit codes."""
    from ..fast.credential import get_for_env
    from ..fast.errors import EXIT_INTERRUPTED, INTERRUPTED_HINT, AqoraHelperError, NotLoggedIn

    try:
        cred = get_for_env(url, min_ttl)
    except NotLoggedIn as failed:
        words = ["token", *([] if fmt == "plain" else ["--format", fmt])]
        retargeted = failed.for_command(words)
        fail(retargeted.message, retargeted.hint, retargeted.exit_code)
    except AqoraHelperError as failed:
        fail(failed.message, failed.hint, failed.exit_code)
    except OSError as exc:
        fail(f"cannot use the cache: {exc.strerror or type(exc).__name__}", _CACHE_HINT)
    except KeyboardInterrupt:
        fail("interrupted", INTERRUPTED_HINT, EXIT_INTERRUPTED)
    except Exception as unexpected:  # never a traceback for users
        fail(
            f"internal error ({type(unexpected).__name__})",
            "rerun with AQORA_HELPER_LOG=debug and report the output.",
        )
    _print_answer(render(cred.token, cred.expires_at, cred.env_url, fmt))


def _print_answer(answer: str) -> "NoReturn":
    """Write the answer to stdout; a closed or full stdout is a two-line error."""
    out = sys.stdout
    try:
        if out is None:
            raise OSError(0, "standard output is closed")
        out.write(answer)
        out.flush()
    except (OSError, ValueError) as exc:
        from ..fast.stdout import silence_stdout  # failures only

        silence_stdout()
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        fail(f"cannot write the token to standard output: {detail}", _OUTPUT_HINT)
    sys.exit(0)


def fail(message: str, hint: str, code: int = 1) -> "NoReturn":
    """The standard two-line error, then exit with `code`."""
    from ..fast.text import clean

    try:
        sys.stderr.write(f"error: {clean(message)}\nhint: {clean(hint)}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    sys.exit(code)


def render(token: str, expires_at: int | None, url: str, fmt: str) -> str:
    """The text printed for each format (ends with a newline). `env` is quoted for a
    POSIX shell whatever the token holds (`~`, for one, would expand unquoted)."""
    if fmt == "json":
        body = {"access_token": token, "expires_at": rfc3339(expires_at), "url": url}
        return dumps(body) + "\n"
    if fmt == "env":
        import shlex

        return f"AQORA_TOKEN={shlex.quote(token)}\n"
    if fmt == "header":
        return f"Authorization: Bearer {token}\n"
    return token + "\n"
