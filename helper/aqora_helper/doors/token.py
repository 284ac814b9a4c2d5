"""Entry point of `aqora-helper` and `python -m aqora_helper`.

`aqora-helper token` with a valid cached token is answered here, before the CLI
framework is imported (the fast path). On a miss it takes the environment's refresh lock
first, so that of many concurrent callers one refreshes and the others answer from the
cache once it is done; everything else goes to `cli.run`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import NoReturn


def parse_token_args(argv: list[str]) -> tuple[str | None, str] | None:
    """(url, format) of `aqora-helper [--url U] token [--url U] [--format F]`, or None
    for any other command line (the subcommand's --url wins, as in the CLI)."""
    from ..fast.text import FORMATS

    url: str | None = None
    fmt = "plain"
    seen_token = False
    args = iter(argv)
    for arg in args:
        name, eq, inline = arg.partition("=")
        if arg == "token" and not seen_token:
            seen_token = True
        elif name in ("--url", "--format") and arg.startswith("--"):
            value = inline if eq else next(args, None)
            if value is None or (name == "--format" and (not seen_token or value not in FORMATS)):
                return None
            if name == "--url":
                url = value
            else:
                fmt = value
        else:
            return None
    return (url, fmt) if seen_token else None


def cached_answer(url: str | None, fmt: str) -> str | None:
    """The `token` output from the cache, or None (a miss, whatever went wrong)."""
    try:
        from ..fast.hostindex import cached_env_token
        from ..fast.text import render

        hit = cached_env_token(url)
        return None if hit is None else render(hit[0], hit[1], hit[2], fmt)
    except Exception:  # an unreadable cache is a miss: the engine decides
        return None


def main() -> None:
    """Run the command line and exit with its status."""
    argv = sys.argv[1:]
    parsed = parse_token_args(argv)
    if parsed is None:
        sys.exit(_run_cli(argv))
    from ..fast.errors import AqoraHelperError

    try:
        answer = _answer_under_lock(argv, *parsed)
    except AqoraHelperError as failed:
        _fail(failed.message, failed.hint)
    except OSError as exc:
        _fail(f"cannot use the cache: {exc.strerror or type(exc).__name__}", _CACHE_HINT)
    _print_answer(answer)


_OUTPUT_HINT = "Check where the output goes (a full disk, a closed pipe), then retry."
_CACHE_HINT = "Remove the aqora-helper cache directory (it only holds cached data) and retry."


def _answer_under_lock(argv: list[str], url: str | None, fmt: str) -> str:
    """The cached answer; on a miss, the environment's refresh lock is taken first and
    the cache retried under it, and the CLI runs (and exits) if it is still a miss."""
    answer = cached_answer(url, fmt)
    if answer is not None:
        return answer
    from ..fast.hostindex import held_refresh_lock

    lock = held_refresh_lock(url)
    if lock is None:
        sys.exit(_run_cli(argv))
    with lock:
        answer = cached_answer(url, fmt)
        if answer is None:
            sys.exit(_run_cli(argv))
    return answer


def _print_answer(answer: str) -> None:
    """Write the answer to stdout; a closed or full stdout is a two-line error."""
    out = sys.stdout
    try:
        if out is None:
            raise OSError(0, "standard output is closed")
        out.write(answer)
        out.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        _fail(f"cannot write the token to standard output: {detail}", _OUTPUT_HINT)
    sys.exit(0)


def _silence_stdout() -> None:
    """Point fd 1 and sys.stdout at /dev/null so the interpreter's exit flush of the
    unwritten answer cannot fail (and print) again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
    except OSError:
        pass


def _fail(message: str, hint: str) -> NoReturn:
    """The standard two-line error, exit status 1."""
    try:
        sys.stderr.write(f"error: {_printable(message)}\nhint: {_printable(hint)}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
    sys.exit(1)


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def _run_cli(argv: list[str]) -> int:
    from ..cli.app import run

    code = run(argv)
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        _silence_stdout()
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        _fail(f"cannot write to standard output: {detail}", _OUTPUT_HINT)
    return code


if __name__ == "__main__":
    main()
