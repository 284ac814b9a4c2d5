"""Shared fixtures and the tier rules, for both tiers.

- `aqora`: a started aqora API stand-in (tests/servers/aqora/), user alice / pw.
- `user_env`: an isolated environment for subprocesses (fresh HOME, XDG dirs, no AQORA_*).
- `run`: `support.run_cmd(args, env, input=None, timeout=60)`, as a fixture.
- `login`: `aqora-helper login --interactive` as alice against `aqora`.
Helpers (run_cmd, describe, write_config, ...) live in tests/support.py: import them from
`support`, not from this file (tests/unit/conftest.py is also a module named `conftest`).

Every test lives in tests/unit/ (no D-Bus, git, network or subprocess: enforced by
tests/unit/conftest.py) or tests/e2e/ (real clients, stand-in servers, the real Secret
Service of `bash tests/run`). The unit tier runs first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from support import clear_keyring_session, describe, make_user_env, run_cmd, write_config

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "e2e")  # run in this order


def tier_of(item: pytest.Item) -> str | None:
    """`unit` or `e2e` by the folder the test lives in; None outside both."""
    parts = item.path.resolve().relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    stray = sorted({str(item.path) for item in items if tier_of(item) is None})
    if stray:
        raise pytest.UsageError(
            "tests outside tests/unit/ and tests/e2e/: " + ", ".join(stray) + "\n"
            "move each to tests/unit/ (no D-Bus, git, network or subprocess) or tests/e2e/"
        )
    items.sort(key=lambda item: TIERS.index(tier_of(item) or "e2e"))  # stable: unit first
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and any(
        tier_of(item) == "e2e" for item in items
    ):
        sys.stderr.write(
            "\n*** DBUS_SESSION_BUS_ADDRESS is not set: end-to-end tests that store a session "
            "in the OS keyring will fail. Run them with `bash tests/run` (it starts a private "
            "D-Bus session with an unlocked gnome-keyring). ***\n\n"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    bus = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    return [f"Secret Service bus: {bus or 'none (the unit tier needs none)'}"]


@pytest.fixture
def aqora() -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    # The whole run shares one Secret Service: a port reused by this stand-in must not
    # find an earlier test's session.
    clear_keyring_session(dict(os.environ), server.url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    return make_user_env(tmp_path / "home")


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cmd


@pytest.fixture
def warm(
    aqora: AqoraServer, user_env: dict[str, str], login: Callable[..., object]
) -> str:
    """Logged in, 127.0.0.1:PORT served, index and cache warm; returns host[:port]."""
    port = aqora.url.rsplit(":", 1)[1]
    write_config(
        user_env,
        f'url = "{aqora.url}"\n[environments."{aqora.url}"]\nhosts = ["127.0.0.1:{port}"]\n',
    )
    login()
    warmup = run_cmd(["aqora-helper", "token"], user_env)
    assert warmup.returncode == 0, describe(warmup)
    return f"127.0.0.1:{port}"


@pytest.fixture
def login(
    aqora: AqoraServer, user_env: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Log alice in to `aqora` with the interactive flow; asserts success."""

    def do_login(
        *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = run_cmd(
            [
                "aqora-helper",
                "login",
                "--interactive",
                "--url",
                aqora.url,
                "--username",
                "alice",
                "--password-stdin",
                *extra,
            ],
            env if env is not None else user_env,
            input="pw\n",
        )
        assert proc.returncode == 0, describe(proc)
        return proc

    return do_login
