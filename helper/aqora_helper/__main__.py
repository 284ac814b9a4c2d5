"""Entry point of `aqora-helper` and `python -m aqora_helper`.

`aqora-helper token` with a valid cached token is answered here, before the CLI
framework is imported (the fast path); everything else goes to `cli.run`.
"""

from __future__ import annotations

import sys


def fast_token(argv: list[str]) -> str | None:
    """The output of `aqora-helper [--url U] token [--url U] [--format F]` from the cache,
    or None when the arguments are anything else or the cache cannot answer."""
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
    if not seen_token:
        return None
    from .fastpath import cached_env_token
    from .tokenformat import render

    hit = cached_env_token(url)
    return None if hit is None else render(hit[0], hit[1], hit[2], fmt)


def main() -> None:
    """Run the command line and exit with its status."""
    answer = fast_token(sys.argv[1:])
    if answer is not None:
        sys.stdout.write(answer)
        sys.exit(0)
    from .cli import run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
