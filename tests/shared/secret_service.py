"""A private Secret Service for one pytest process: its own D-Bus session bus and an
unlocked gnome-keyring with an empty keyring, in a temporary folder.

Each process of a run (the single one, or each pytest-xdist worker) starts its own on
its first end-to-end test (tests/e2e/conftest.py), so nothing outside the process (the
desktop's keyring, another run, another worker) can see or change what a test stores:
the credsStore's `\\tindex` item, sessions of `https://aqora.io`, legacy items.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "test-pass"  # the keyring's password (it is created unlocked with it)


class SecretServiceUnavailable(RuntimeError):
    """dbus-daemon or gnome-keyring-daemon is missing or did not come up."""


@dataclass
class SecretService:
    """A running private Secret Service; `address` is its DBUS_SESSION_BUS_ADDRESS."""

    root: Path
    address: str = ""
    bus: subprocess.Popen[str] | None = field(default=None, repr=False)
    keyring: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, attempts: int = 3) -> SecretService:
        """Start both daemons; a keyring that never shows its login collection (seen
        once in a few dozen starts on a loaded machine) is ended and started again."""
        for attempt in range(attempts):
            try:
                return self._start(self.root / f"try{attempt}")
            except SecretServiceUnavailable:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _start(self, root: Path) -> SecretService:
        for program in ("dbus-daemon", "gnome-keyring-daemon"):
            if shutil.which(program) is None:
                raise SecretServiceUnavailable(f"{program} is not installed")
        home = root / "home"
        home.mkdir(mode=0o700, parents=True)
        # --nofork: the bus is our child, ended and reaped with it (a forked one outlives
        # a worker that is killed)
        self.bus = bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1",
             f"--address=unix:path={root / 'bus'}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        assert bus.stdout is not None
        self.address = bus.stdout.readline().strip()  # printed once it listens
        if not self.address:
            self.stop()
            raise SecretServiceUnavailable(f"dbus-daemon exited with {bus.wait()}")
        env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
        # (with XDG_RUNTIME_DIR set, the daemon does not print GNOME_KEYRING_CONTROL)
        env.update(HOME=str(home), DBUS_SESSION_BUS_ADDRESS=self.address)
        log = root / "gnome-keyring.log"
        with log.open("wb") as out:
            self.keyring = keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        assert keyring.stdin is not None
        keyring.stdin.write(PASSWORD.encode())
        keyring.stdin.close()
        deadline = time.monotonic() + 20
        while b"GNOME_KEYRING_CONTROL" not in log.read_bytes():
            if keyring.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SecretServiceUnavailable(
                    "gnome-keyring-daemon did not come up: " + log.read_text(errors="replace")
                )
            time.sleep(0.05)
        login = home / ".local" / "share" / "keyrings" / "login.keyring"
        while not login.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._wait_for_the_login_collection(env, time.monotonic() + 3)
        return self

    def _wait_for_the_login_collection(self, env: dict[str, str], deadline: float) -> None:
        """The default (login) collection appears a moment after the daemon says it is
        up: a store right away fails with "Object does not exist". Wait for one."""
        probe = ["secret-tool", "store", "--label=probe", "service", "probe", "username", "p"]
        while True:
            stored = subprocess.run(
                probe, input="probe", capture_output=True, text=True, env=env, timeout=20
            )
            if stored.returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise SecretServiceUnavailable(f"the login keyring never came: {stored.stderr}")
            time.sleep(0.05)
        subprocess.run(
            ["secret-tool", "clear", "service", "probe", "username", "p"],
            capture_output=True, env=env, timeout=20, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        """End the two daemons this object started (its children) and reap them."""
        for name in ("keyring", "bus"):
            daemon = getattr(self, name)
            if daemon is None:
                continue
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
            if daemon.stdout is not None:
                daemon.stdout.close()
            setattr(self, name, None)
