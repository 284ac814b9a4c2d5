"""fast/signals in-process: signals deferred during a critical block (a refresh between
the server's rotation and the store) are delivered after it, and a deferral in another
thread never raises.

The real programs under signals: tests/e2e/security/test_signals.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from aqora_helper.fast.signals import deferred_signals


def test_deferred_signals_are_delivered_after_the_block():
    """Origin: issue #11, classes 4 and 7 (was tests/unit/test_sec_storage_unit.py)."""
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: seen.append(signum))
    try:
        with pytest.raises(KeyboardInterrupt):
            with deferred_signals():
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                assert seen == []
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_deferred_signals_in_another_thread_do_not_raise():
    """Origin: issue #11, classes 4 and 7 (was tests/unit/test_sec_storage_unit.py)."""
    ran: list[bool] = []

    def body() -> None:
        with deferred_signals():
            ran.append(True)

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert ran == [True]
