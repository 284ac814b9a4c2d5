"""Run a blocking call with a time bound (for OS keyring calls, which can hang on a
prompt or a dead D-Bus peer). The call runs in a daemon thread so a hung call never
keeps the process alive. It is a `KeyringCallThread`, in which the keyring backend
answers nothing (a lookup from there would be a recursion through keyring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..fast.keyring_call import KeyringCallThread

T = TypeVar("T")



class CallTimedOut(Exception):
    """The call did not return within the bound."""


def call_with_timeout(func: Callable[[], T], seconds: float) -> T:
    """Return func()'s result, re-raise its exception, or raise CallTimedOut."""
    outcome: dict[str, object] = {}

    def runner() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = KeyringCallThread(target=runner, name="aqora-bounded-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise CallTimedOut()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]

