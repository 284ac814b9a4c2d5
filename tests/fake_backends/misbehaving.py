"""OS-keyring stand-ins for fault tests: one that hangs, one that refuses writes.

`FlakyWrites` wraps the real Secret Service but fails `set_password` while the file
named by AQORA_TEST_FAIL_WRITES exists (to fail a write right after a rotation).
"""

from __future__ import annotations

import os
import time

from keyring.backend import KeyringBackend
from keyring.backends import SecretService
from keyring.errors import PasswordSetError


class Hanging(KeyringBackend):
    """Every call blocks (a keyring waiting on a prompt nobody answers)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(3600)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(3600)

    def delete_password(self, service: str, username: str) -> None:
        time.sleep(3600)


class FlakyWrites(SecretService.Keyring):
    """The real Secret Service, but writes fail while a marker file exists."""

    def set_password(self, service: str, username: str, password: str) -> None:
        marker = os.environ.get("AQORA_TEST_FAIL_WRITES", "")
        if marker and os.path.exists(marker):
            raise PasswordSetError("simulated write failure")
        super().set_password(service, username, password)


class SlowWrites(SecretService.Keyring):
    """The real Secret Service, but a write blocks while a marker file exists (a process
    stuck between the server's answer and persisting it)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        marker = os.environ.get("AQORA_TEST_BLOCK_WRITES", "")
        if marker and os.path.exists(marker):
            open(marker + ".reached", "w").close()
            while os.path.exists(marker):
                time.sleep(0.05)
        super().set_password(service, username, password)
