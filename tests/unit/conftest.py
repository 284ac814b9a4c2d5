"""The unit tier's promise, enforced: no socket, no subprocess, no D-Bus.

Unit tests run in this process against fakes and temporary files, so the tier needs no
D-Bus, git or network and runs in seconds. An autouse fixture makes every way out fail:

- sockets: creating any socket raises (so no connect, no listening stand-in, no D-Bus
  connection), and so do host name lookups;
- processes: subprocess (every Popen), os.system, os.fork/forkpty, os.posix_spawn[p] and
  multiprocessing's fork_exec raise. There is no exception for `python -c`: the guard
  cannot see what a child does (it could reach D-Bus or the network), and each spawn
  costs tens of milliseconds. Tests that need a process are end-to-end tests;
- D-Bus: the bus addresses are unset, so nothing even tries to find a bus.

A blocked call raises `TierViolation` (a BaseException, so `except Exception` in the code
under test does not hide it), and the test also fails at teardown if something caught it
anyway (keyring's backend discovery, for one).
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

try:  # POSIX only; Windows starts processes through subprocess.Popen alone
    import _posixsubprocess
    import posix
except ImportError:
    _posixsubprocess = None
    posix = None


class TierViolation(BaseException):
    """A unit test tried to open a socket or start a process."""


class Guard:
    """What the current test tried; `seen` lists each blocked call."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def blocker(self, what: str) -> Callable[..., Any]:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            self.seen.append(what)
            raise TierViolation(
                f"{what} in a unit test: tests/unit/ allows no sockets, subprocesses or "
                "D-Bus (use a fake, or move the test to tests/e2e/)"
            )

        return blocked


BLOCKED: list[tuple[Any, str, str]] = [
    (socket.socket, "__init__", "socket()"),
    (socket, "getaddrinfo", "socket.getaddrinfo"),
    (socket, "gethostbyname", "socket.gethostbyname"),
    (socket, "gethostbyname_ex", "socket.gethostbyname_ex"),
    (subprocess.Popen, "_execute_child", "subprocess.Popen"),
    (os, "system", "os.system"),
    *[
        (module, name, f"{module.__name__}.{name}")  # posix: what fast/ calls, os re-exports
        for module in (os, *([posix] if posix else []))
        for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp")
        if hasattr(module, name)
    ],
    *([(_posixsubprocess, "fork_exec", "_posixsubprocess.fork_exec")] if _posixsubprocess else []),
]


@pytest.fixture(autouse=True)
def unit_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    guard = Guard()
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for owner, attr, label in BLOCKED:
        monkeypatch.setattr(owner, attr, guard.blocker(label))
    yield guard
    if guard.seen:
        pytest.fail(f"unit test tried: {', '.join(sorted(set(guard.seen)))}", pytrace=False)
