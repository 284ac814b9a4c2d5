"""The unit tier's guard (`unit_guard` in tests/unit/conftest.py) blocks every way out of
the process, even when the code under test catches the error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest


def fork() -> None:
    if os.fork() == 0:  # only if the guard failed: the child must not run the tests
        os._exit(0)


WAYS_OUT: dict[str, Callable[[], Any]] = {
    "socket()": lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
    "socket.getaddrinfo": lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
    "socket.gethostbyname": lambda: socket.gethostbyname("localhost"),
    "subprocess.Popen": lambda: subprocess.run([sys.executable, "-c", "pass"], check=False),
    "os.system": lambda: os.system("true"),
    "os.fork": fork,
    "os.posix_spawn": lambda: os.posix_spawn(sys.executable, [sys.executable], {}),
}


@pytest.mark.parametrize("label", list(WAYS_OUT))
def test_each_way_out_raises_and_is_recorded(unit_guard: Any, label: str) -> None:
    with pytest.raises(BaseException, match="tests/e2e/") as raised:
        WAYS_OUT[label]()
    assert raised.type.__name__ == "TierViolation"  # not an Exception: nothing hides it
    assert not issubclass(raised.type, Exception)
    assert unit_guard.seen == [label]
    unit_guard.seen.clear()  # seen and expected: the teardown check stays quiet


def test_a_swallowed_violation_is_still_recorded(unit_guard: Any) -> None:
    try:
        socket.socket()
    except BaseException:  # what a careless library might do
        pass
    assert unit_guard.seen == ["socket()"]
    unit_guard.seen.clear()


def test_no_bus_is_advertised() -> None:
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ
    assert "DBUS_SYSTEM_BUS_ADDRESS" not in os.environ
