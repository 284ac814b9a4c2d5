"""Shared fixtures and the tier rules, for both tiers.

- `aqora`: a started aqora API stand-in (tests/servers/aqora/), user alice / pw.
- `user_env`: an isolated environment for subprocesses (fresh HOME, XDG dirs, runtime dir,
  no AQORA_*).
- `run`: `support.run_cmd(args, env, input=None, timeout=60)`, as a fixture.
- `login`: `aqora-helper login --interactive` as alice against `aqora`.
Helpers (run_cmd, describe, write_config, ...) live in tests/support.py and fixtures
shared by several files in tests/shared/: import them from there, never from a test file.

Every test lives under tests/unit/ (no D-Bus, git, network or subprocess: enforced by
tests/unit/conftest.py) or tests/e2e/ (real clients, stand-in servers, the process's own
Secret Service: tests/e2e/conftest.py), in a folder named after what it covers. The unit
tier runs first.

Tests marked `serial` are timing-sensitive (signals, bursts of processes, deadlines, the
benchmark): `--part=parallel` leaves them out and `--part=serial` runs only them, so that
`bash tests/run` runs them alone after the rest has run in parallel (pytest-xdist).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from shared.file_progress import FileProgress
from support import clear_keyring_session, describe, make_user_env, run_cmd, write_config

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "e2e")  # run in this order


def tier_of(item: pytest.Item) -> str | None:
    """`unit` or `e2e` by the folder the test lives in; None outside both."""
    parts = item.path.resolve().relative_to(TESTS).parts
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


PARTS = ("all", "parallel", "serial")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--part",
        choices=PARTS,
        default="all",
        help="parallel: leave out the tests marked serial; serial: run only those "
        "(bash tests/run runs the first with pytest-xdist, then the second alone)",
    )
    parser.addoption(
        "--per-file",
        action="store_true",
        help="one line per test file as it completes (outcome, time) instead of dots",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--per-file"):
        config.pluginmanager.register(FileProgress(config), "per-file-progress")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    stray = sorted({str(item.path) for item in items if tier_of(item) is None})
    if stray:
        raise pytest.UsageError(
            "tests outside tests/unit/ and tests/e2e/: " + ", ".join(stray) + "\n"
            "move each to tests/unit/ (no D-Bus, git, network or subprocess) or tests/e2e/"
        )
    part = config.getoption("--part")
    if part != "all":
        wanted = part == "serial"
        serial = {item.nodeid for item in items if item.get_closest_marker("serial")}
        kept = [item for item in items if (item.nodeid in serial) == wanted]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[i for i in items if (i.nodeid in serial) != wanted])
            items[:] = kept
    items.sort(key=lambda item: TIERS.index(tier_of(item) or "e2e"))  # stable: unit first


@pytest.fixture
def aqora() -> Iterator[AqoraServer]:
    server = AqoraServer().start()
    # The process's tests share one Secret Service: a port reused by this stand-in must
    # not find an earlier test's session.
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
