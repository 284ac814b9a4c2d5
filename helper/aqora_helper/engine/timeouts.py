"""`Timeouts`: the bounds on every wait. Its own module, so that the settings (which
resolve it), the config file's schema (whose defaults it gives) and the API client can
all import it without importing one another."""

from __future__ import annotations

from typing import NamedTuple


class Timeouts(NamedTuple):
    """`[timeouts]`: bounds on every wait, in seconds (validated by configfile)."""

    connect: float = 5.0
    read: float = 15.0
    lock: float = 30.0
    keyring: float = 10.0
    login: float = 300.0
    cli: float = 30.0
