"""After a failed write to stdout (closed pipe, full disk): point it at /dev/null, so
that the interpreter's exit flush of what is left cannot fail, and print, again."""

import os
import sys


def silence_stdout() -> None:
    """Point fd 1 and `sys.stdout` at /dev/null (best effort, never raises)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
    except OSError:
        pass
