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
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servers.aqora import AqoraServer
from shared.file_progress import FileProgress
from shared.inprocess import needs_a_process, run_cli
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
    # A shell without job control starts background jobs with SIGINT and SIGQUIT ignored,
    # and an ignored signal stays ignored across exec: the helpers the tests start would
    # never see the Ctrl-C the tests send. Start them as from a terminal, whatever ran us.
    for signum in (signal.SIGINT, signal.SIGQUIT):
        if signal.getsignal(signum) == signal.SIG_IGN:
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT
                          else signal.SIG_DFL)
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
    # Unit first (they fail fast); with workers, the long tests first of all, so that no
    # worker is left running one of them alone at the end.
    heavy_first = part == "parallel"
    items.sort(
        key=lambda item: (
            not (heavy_first and is_heavy(item)),
            TIERS.index(tier_of(item) or "e2e"),
        )
    )


# Files whose tests build venvs (install.sh, uv tool, pipx, the bench): 10-50 s each.
HEAVY = ("e2e/install/", "e2e/pip_uv/test_keyring_program_routes.py", "e2e/perf/test_bench.py")


def is_heavy(item: pytest.Item) -> bool:
    return item.path.resolve().relative_to(TESTS).as_posix().startswith(HEAVY)


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
    warmup = run_cli(["token"], user_env)
    assert warmup.returncode == 0, describe(warmup)
    return f"127.0.0.1:{port}"


@pytest.fixture
def login(
    aqora: AqoraServer, user_env: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Log alice in to `aqora` with the interactive flow; asserts success. A set-up step:
    it runs in this process (shared/inprocess.py) unless its environment needs a process
    of its own; tests of login itself run `aqora-helper login` as a process."""

    def do_login(
        *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        args = [
            "login",
            "--interactive",
            "--url",
            aqora.url,
            "--username",
            "alice",
            "--password-stdin",
            *extra,
        ]
        env = env if env is not None else user_env
        if needs_a_process(env):
            proc = run_cmd(["aqora-helper", *args], env, input="pw\n")
        else:
            proc = run_cli(args, env, input="pw\n")
        assert proc.returncode == 0, describe(proc)
        return proc

    return do_login
