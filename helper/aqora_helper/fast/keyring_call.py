"""The thread the engine calls the OS keyring in (a bounded call, engine.bounded). Stdlib
only. The keyring backend answers nothing inside one, so a lookup never recurses
through keyring's chainer."""

import threading


class KeyringCallThread(threading.Thread):
    """A thread the engine runs an OS keyring call in (see engine.bounded)."""
