"""Keep secrets out of core dumps: a process that may hold a refresh token makes itself
undumpable. Called once when the engine loads its settings (never on the cached fast
path, which holds only an access token and must stay cheap).

RLIMIT_CORE=0 alone is not enough on Linux: a `|program` core_pattern (systemd-coredump,
apport) ignores it, so PR_SET_DUMPABLE=0 is set too (which also keeps other processes of
the same user from ptrace-attaching).
"""

from __future__ import annotations

import sys

PR_SET_DUMPABLE = 4
_done: list[bool] = []


def disable_core_dumps() -> None:
    """Make this process (and what it forks) dump no core; best effort, idempotent."""
    if _done:
        return
    _done.append(True)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, OSError, ValueError):
        pass  # no such limit here (Windows)
    if sys.platform.startswith("linux"):
        _linux_not_dumpable()


def _linux_not_dumpable() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no libc prctl (e.g. a static interpreter): RLIMIT_CORE still applies
