"""Shared fixtures.

- `aqora`: a started aqora API stand-in (tests/servers/aqora/), user alice / pw.
- `user_env`: an isolated environment for subprocesses (fresh HOME, XDG dirs, no AQORA_*).
- `run` / `run_cmd(args, env, input=None, timeout=60)`: run a command, capture text output.
- `login`: `aqora-helper login --interactive` as alice against `aqora`.
- `write_config(user_env, text)`: write the helper's config.toml in that environment.

Run through `bash tests/run`, which also provides a private Secret Service on D-Bus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from support import clear_keyring_session

BIN_DIR = os.path.dirname(sys.executable)  # the test venv's bin: console scripts live here

# Variables that would leak the developer's or the machine's setup into the tests.
_DROP_EXACT = {"PYTHON_KEYRING_BACKEND", "PIP_FIND_LINKS"}


def pytest_report_header(config: pytest.Config) -> list[str]:
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return [f"Secret Service bus: {os.environ['DBUS_SESSION_BUS_ADDRESS']}"]
    return [
        "WARNING: DBUS_SESSION_BUS_ADDRESS is not set: there is no Secret Service, so every",
        "test that stores a refresh token in the OS keyring will fail. Run the tests with",
        "`bash tests/run [pytest args]`, which starts a private dbus + gnome-keyring.",
    ]


def pytest_sessionstart(session: pytest.Session) -> None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        sys.stderr.write(
            "\n*** DBUS_SESSION_BUS_ADDRESS is not set: keyring tests need `bash tests/run` "
            "(it starts a private D-Bus session with an unlocked gnome-keyring). ***\n\n"
        )


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


def make_user_env(home: Path) -> dict[str, str]:
    """The environment of a user whose HOME is `home` (created), for subprocesses."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AQORA_") and k not in _DROP_EXACT
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        DOCKER_CONFIG=str(home / ".docker"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PIP_CONFIG_FILE="/dev/null",
        UV_NO_CONFIG="1",
        PATH=os.pathsep.join([BIN_DIR, *[p for p in env.get("PATH", "").split(os.pathsep) if p]]),
    )
    return env


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    return make_user_env(tmp_path / "home")


def run_cmd(
    args: list[str],
    env: dict[str, str],
    input: str | None = None,
    timeout: float = 60,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command with captured text output; never raises on a non-zero exit."""
    return subprocess.run(
        [str(a) for a in args],
        env=env,
        input=input,
        timeout=timeout,
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def run() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cmd


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """A failure message showing what a command did."""
    return (
        f"command: {proc.args}\nexit: {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )


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


def config_path(user_env: dict[str, str]) -> Path:
    return Path(user_env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"


def write_config(user_env: dict[str, str], text: str) -> Path:
    """Write `<XDG_CONFIG_HOME>/aqora-helper/config.toml`; return its path."""
    path = config_path(user_env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
