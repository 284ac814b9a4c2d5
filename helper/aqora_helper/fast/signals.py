"""Critical sections that a signal cannot cut short: `with deferred_signals():` holds
every asynchronous signal whose default action ends the process and that a terminal, a
user or a tool sends (Ctrl-C, Ctrl-\\, a hang-up, `kill`, SIGUSR1/2, SIGALRM), and Ctrl-Z
(SIGTSTP), until the block ends, then delivers each one received to the handler that was
in place before. So a session rotated by the server is stored before the process acts on
any of them. Every wait inside such a block must be bounded.

Not deferred: SIGKILL and SIGSTOP (they cannot be caught: nothing can keep a session a
`kill -9` cuts short), the synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL), and
SIGPIPE and SIGXFSZ, which Python ignores (a closed pipe or a file-size limit is an
OSError the block handles). SIGTSTP is held although a stopped process loses nothing
itself: stopped past the API call's total deadline, the call would be cut off on
resumption and the rotated answer thrown away.

Only the main thread can install signal handlers. In another thread the block runs
without deferring: the signal is handled by the main thread, as the host program
(pip, a test runner) decides, and a non-daemon thread finishes its block before the
interpreter exits on KeyboardInterrupt.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

DEFERRED_NAMES = (
    "SIGINT",
    "SIGTERM",
    "SIGHUP",
    "SIGQUIT",
    "SIGTSTP",
    "SIGUSR1",
    "SIGUSR2",
    "SIGALRM",
)
DEFERRED = tuple(getattr(signal, name) for name in DEFERRED_NAMES if hasattr(signal, name))


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold the DEFERRED signals for the duration of the block, then re-deliver."""
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
