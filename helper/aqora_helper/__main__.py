"""`aqora-helper` and `python -m aqora_helper`: `token` command lines go to the token
front door (doors/token.py: no CLI framework on a cached hit), everything else to the
CLI (cli/app.py)."""

import sys

from aqora_helper.doors.token import answer, fail, parse_token_args

_OUTPUT_HINT = "Check where the output goes (a full disk, a closed pipe), then retry."


def main() -> None:
    """Run the command line and exit with its status."""
    argv = sys.argv[1:]
    parsed = parse_token_args(argv)
    if parsed is not None:
        answer(*parsed)
    sys.exit(run_cli(argv))


def run_cli(argv: list[str]) -> int:
    """The full CLI; a closed or full stdout at the end is a two-line error."""
    from aqora_helper.cli.app import run

    code = run(argv)
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        from aqora_helper.fast.stdout import silence_stdout  # failures only

        silence_stdout()
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        fail(f"cannot write to standard output: {detail}", _OUTPUT_HINT)
    return code


if __name__ == "__main__":
    main()
