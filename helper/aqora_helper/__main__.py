"""Entry point of `aqora-helper` and `python -m aqora_helper`.

`aqora-helper token` with a valid cached token is answered here, before the CLI
framework is imported (the fast path). On a miss it takes the environment's refresh lock
first, so that of many concurrent callers one refreshes and the others answer from the
cache once it is done; everything else goes to `cli.run`.
"""

from __future__ import annotations

import sys


def parse_token_args(argv: list[str]) -> tuple[str | None, str] | None:
    """(url, format) of `aqora-helper [--url U] token [--url U] [--format F]`, or None
    for any other command line (the subcommand's --url wins, as in the CLI)."""
    from .tokenformat import FORMATS

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
    """The `token` output from the cache, or None."""
    from .fastpath import cached_env_token
    from .tokenformat import render

    hit = cached_env_token(url)
    return None if hit is None else render(hit[0], hit[1], hit[2], fmt)


def main() -> None:
    """Run the command line and exit with its status."""
    argv = sys.argv[1:]
    parsed = parse_token_args(argv)
    if parsed is None:
        sys.exit(_run_cli(argv))
    answer = cached_answer(*parsed)
    if answer is None:
        from .fastpath import held_refresh_lock

        lock = held_refresh_lock(parsed[0])
        if lock is None:
            sys.exit(_run_cli(argv))
        from .errors import LockTimeout

        try:
            with lock:
                answer = cached_answer(*parsed)
                if answer is None:
                    sys.exit(_run_cli(argv))
        except LockTimeout as busy:
            sys.stderr.write(f"error: {busy.message}\nhint: {busy.hint}\n")
            sys.exit(busy.exit_code)
    sys.stdout.write(answer)
    sys.exit(0)


def _run_cli(argv: list[str]) -> int:
    from .cli import run

    return run(argv)


if __name__ == "__main__":
    main()
