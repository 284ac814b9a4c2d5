"""fast/refreshlock in-process: the refresh lock excludes other threads and is not
re-entrant (issue #11, class 4).

Threads and bursts of processes against the real programs: tests/e2e/concurrency/.
"""

from __future__ import annotations

import threading

import pytest

from aqora_helper.fast.errors import LockTimeout
from aqora_helper.fast.refreshlock import RefreshLock


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
