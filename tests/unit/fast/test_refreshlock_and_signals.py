"""Issue #11, classes 4 and 7 in-process: the refresh lock excludes other threads and is not
re-entrant; signals deferred during a critical block are delivered after it.

Threads, a full disk and signals against the real programs: tests/e2e/test_sec_storage.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from aqora_helper.fast.errors import LockTimeout
from aqora_helper.fast.refreshlock import RefreshLock
from aqora_helper.fast.signals import deferred_signals


def test_refresh_lock_is_not_reentrant_and_excludes_other_threads(tmp_path, monkeypatch):
    """One holder at a time: another thread waits (here: times out), and so does the
    holder's own thread (nothing takes it twice since the sequence exists once).

    Origin: issue #11, classes 4 and 7 (was tests/unit/test_sec_storage_unit.py).
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url = "https://aqora.example/"
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with RefreshLock(url, 0.3):
                outcome.append("entered")
        except LockTimeout:
            outcome.append("timed out")

    with RefreshLock(url, 5):
        with pytest.raises(LockTimeout), RefreshLock(url, 0.2):  # the same thread
            pass
        waiter = threading.Thread(target=other_thread)
        waiter.start()
        waiter.join()
    assert outcome == ["timed out"]  # another thread of this process never shares it
    waiter = threading.Thread(target=other_thread)
    waiter.start()
    waiter.join()
    assert outcome == ["timed out", "entered"]


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
