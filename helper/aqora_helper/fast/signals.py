"""Critical sections that a signal cannot cut short: `with deferred_signals():` holds
SIGINT, SIGTERM and SIGHUP until the block ends (a session rotated by the server is
stored before the process acts on Ctrl-C), then delivers each one received to the handler
that was in place before. Every wait inside such a block must be bounded.

Only the main thread can install signal handlers. In another thread the block runs
without deferring: the signal is handled by the main thread, as the host program
(pip, a test runner) decides, and a non-daemon thread finishes its block before the
interpreter exits on KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

DEFERRED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP for the duration of the block, then re-deliver."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def remember(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, remember) for signum in DEFERRED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(received):
            signal.raise_signal(signum)
