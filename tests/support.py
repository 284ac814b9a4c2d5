"""Test utilities shared by both tiers (tests/unit/ and tests/e2e/).

- `make_user_env(home)`: an isolated environment for subprocesses (fresh HOME, XDG dirs
  and runtime dir, no AQORA_*); the `user_env` fixture (tests/conftest.py) is one under
  tmp_path.
- `run_cmd(args, env, input=None, timeout=60)`: run a command, capture text output;
  `describe(proc)`: a failure message showing what it did.
- `write_config(user_env, text)` / `config_path(user_env)`: the helper's config.toml.
- keyring, token-cache and fast-path probes used by the end-to-end tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

TESTS = Path(__file__).resolve().parent  # tests/: support, servers, fake_backends
REPO = TESTS.parent
BIN_DIR = os.path.dirname(sys.executable)  # the test venv's bin: console scripts live here

# Variables that would leak the developer's or the machine's setup into the tests.
_DROP_EXACT = {"PYTHON_KEYRING_BACKEND", "PIP_FIND_LINKS"}


CLIENTS = REPO / ".venv-clients"  # the pinned Python clients tests/run builds


def client(venv: str, name: str) -> Path:
    """The program `name` of `.venv-clients/<venv>` (`keyring`: hatch, poetry and twine
    with aqora-helper installed next to them; `plain`: clients without keyring)."""
    path = CLIENTS / venv / "bin" / name
    if not path.exists():  # tests/run builds it; a missing one is a real absence
        import pytest

        pytest.skip(f"{path} missing (built by tests/run)")
    return path


def make_user_env(home: Path) -> dict[str, str]:
    """The environment of a user whose HOME is `home` (created), for subprocesses; its
    own XDG_RUNTIME_DIR (`<home>.run`, 0700): nothing outside the test (another
    install.sh's lock, the machine's containers/auth.json) is shared."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AQORA_") and k not in _DROP_EXACT
    }
    home.mkdir(parents=True, exist_ok=True)
    runtime = home.with_name(home.name + ".run")  # beside HOME: a tree of HOME stays HOME's
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),  # install.sh's lock, containers' auth.json, docker.pid
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


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Make `env` this process's whole environment for the test."""
    for name in list(os.environ):
        if name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


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


def repetitions(rounds: int) -> int:
    """How many rounds a repeated test (bursts, signals) runs: `rounds`, times
    TESTS_REPEAT (default 1; a flake hunt sets more)."""
    return rounds * max(1, int(os.environ.get("TESTS_REPEAT", "1")))


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """A failure message showing what a command did."""
    return (
        f"command: {proc.args}\nexit: {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )


def doc_pages() -> list[Path]:
    """The project's Markdown docs: README.md, CONTRIBUTING.md and every page of docs/."""
    return [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]


def config_path(user_env: dict[str, str]) -> Path:
    return Path(user_env["XDG_CONFIG_HOME"]) / "aqora-helper" / "config.toml"


def write_config(user_env: dict[str, str], text: str) -> Path:
    """Write `<XDG_CONFIG_HOME>/aqora-helper/config.toml`; return its path."""
    path = config_path(user_env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# What a cached get must never import (the fast-path budget; see docs/performance.md).
HEAVY_MODULES = (
    "typer",
    "click",
    "rich",
    "pydantic",
    "requests",
    "keyring",
    "platformdirs",
    "filelock",
    "cryptography",
    "aqora_helper.engine",  # the package: any engine module (a hit never leaves fast/)
    "aqora_helper.engine.served",
    "aqora_helper.engine.session",
    "aqora_helper.engine.settings",
    "typing",
    "pathlib",
    "re",
    "dataclasses",
    "inspect",
)

# What a get started as a launcher starts it (python -I -S) never imports, a hit or a
# process waiting for another's refresh: each is a module load more on every get, and
# `contextlib` (collections, functools) 3 ms more per waiter in a burst (docs/performance.md).
LAUNCHER_HEAVY = ("os", "stat", "__future__", "contextlib")

_IMPORT_PROBE = """
import atexit, sys
HEAVY = {heavy!r}
def report():
    loaded = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY or m in HEAVY)
    sys.stderr.write('LOADED=' + ','.join(loaded) + '\\n')
atexit.register(report)
sys.argv = {argv!r}
from {module} import main
sys.exit(main())
"""


def entry_point_command(module: str, argv: list[str], launcher: bool = False) -> list[str]:
    """The command `run_entry_point` runs (for a test that needs the process itself)."""
    heavy = (*HEAVY_MODULES, *LAUNCHER_HEAVY) if launcher else HEAVY_MODULES
    code = _IMPORT_PROBE.format(heavy=heavy, argv=argv, module=module)
    if not launcher:
        return [sys.executable, "-c", code]
    code = f"import sys\nsys.path += {[p for p in sys.path if p]!r}\n{code}"
    return [sys.executable, "-I", "-S", "-c", code]


def run_entry_point(
    module: str, argv: list[str], env: dict[str, str], stdin: str = "", launcher: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `module.main()` as the console script `argv[0]` would, in a subprocess that
    reports on stderr which HEAVY_MODULES (or their submodules) it imported. `launcher`:
    started as install.sh's launchers start it (python -I -S, the package paths written
    in), where LAUNCHER_HEAVY counts as heavy too: nothing else loads them there
    (fast/lightos.py; no `from __future__ import annotations` in fast/ or doors/)."""
    return subprocess.run(
        entry_point_command(module, argv, launcher),
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def heavy_modules_loaded(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """What `run_entry_point` saw imported of HEAVY_MODULES."""
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")][-1]
    return [m for m in line[len("LOADED=") :].split(",") if m]


TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')


SESSION_SERVICE = "aqora-helper\tsession"  # aqora_helper.fast.keyring_names
LEGACY_SERVICE = "aqora-helper"  # where earlier versions stored the session


def keyring_secret(
    user_env: dict[str, str], url: str, service: str = SESSION_SERVICE
) -> str | None:
    """What the real Secret Service holds for `url` (via libsecret's secret-tool)."""
    proc = subprocess.run(
        ["secret-tool", "lookup", "service", service, "username", base_url(url)],
        env=user_env,
        capture_output=True,
        text=True,
        timeout=20,
        stdin=subprocess.DEVNULL,
    )
    return proc.stdout if proc.returncode == 0 and proc.stdout else None


def clear_keyring_session(user_env: dict[str, str], url: str) -> None:
    """Remove any session for `url` from the Secret Service, which the whole test run
    shares: a port reused by a later stand-in would otherwise find an old session."""
    for service in (SESSION_SERVICE, LEGACY_SERVICE):
        subprocess.run(
            ["secret-tool", "clear", "service", service, "username", base_url(url)],
            env=user_env,
            capture_output=True,
            timeout=20,
            stdin=subprocess.DEVNULL,
        )


def stored_refresh_token(user_env: dict[str, str], url: str) -> str | None:
    """The refresh token of the helper's own session in the Secret Service."""
    secret = keyring_secret(user_env, url)
    return None if secret is None else json.loads(secret)["refresh_token"]


def base_url(url: str) -> str:
    """`http://127.0.0.1:PORT` -> `http://127.0.0.1:PORT/` (the key the helper uses)."""
    return url.rstrip("/") + "/"


def token_cache_file(user_env: dict[str, str], url: str) -> Path:
    """The helper's access-token cache file for `url`."""
    scheme, rest = base_url(url).split("://", 1)
    host = rest.split("/", 1)[0]
    safe = "".join(c if c.isalnum() or c in ".-" else "_" for c in host)
    return Path(user_env["XDG_CACHE_HOME"]) / "aqora-helper" / "tokens" / f"{scheme}_{safe}.json"


def make_cached_token_stale(user_env: dict[str, str], url: str) -> str:
    """Move the cached token's expiry into the past (as time passing would); returns it."""
    path = token_cache_file(user_env, url)
    data = json.loads(path.read_text())
    data["expires_at"] = 1_000_000
    tmp = path.with_suffix(".edit")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(data))
    os.replace(tmp, path)
    return str(data["access_token"])


def files_containing(root: Path, secrets: set[str], skip: tuple[Path, ...] = ()) -> list[str]:
    """Files under `root` (except `skip`) whose bytes contain any of `secrets`."""
    hits = []
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink() or any(path.is_relative_to(s) for s in skip):
            continue
        data = path.read_bytes()
        hits.extend(f"{path}: {s[:8]}…" for s in secrets if s.encode() in data)
    return hits


def misbehaving_keyring_env(user_env: dict[str, str], backend: str, **extra: str) -> dict[str, str]:
    """`user_env` with the OS keyring replaced by `fake_backends.misbehaving.<backend>`."""
    return dict(
        user_env,
        PYTHONPATH=str(TESTS),
        PYTHON_KEYRING_BACKEND=f"fake_backends.misbehaving.{backend}",
        **extra,
    )


def login_args(url: str, *extra: str) -> list[str]:
    """`aqora-helper login --interactive` as alice (password on stdin) against `url`."""
    return [
        "aqora-helper",
        "login",
        "--interactive",
        "--url",
        url,
        "--username",
        "alice",
        "--password-stdin",
        *extra,
    ]


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    """Neither stdout nor stderr holds a traceback."""
    text = proc.stdout + proc.stderr
    assert not any(marker in text for marker in TRACEBACK_MARKERS), describe(proc)


def assert_two_line_error(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """`assert_clean_failure`, and the error and hint are all of stderr."""
    assert_clean_failure(proc, *expected)
    assert len(proc.stderr.splitlines()) == 2, describe(proc)


def session_file(env: dict[str, str], url: str, kind: str = "insecure") -> Path:
    """The insecure or recovery session file of `url` (named as its token cache file)."""
    root = Path(env["XDG_DATA_HOME"]) / "aqora-helper"
    return root / kind / (token_cache_file(env, url).stem + ".json")


def own_refresh_token(env: dict[str, str], url: str, storage: str) -> str | None:
    """The refresh token of the helper's own session, in the keyring or the insecure file."""
    if storage == "keyring":
        return stored_refresh_token(env, url)
    return str(json.loads(session_file(env, url).read_text())["refresh_token"])


def assert_clean_failure(proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1, nothing on stdout, an error and a hint line on stderr, no traceback."""
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout!r}\nstderr: {proc.stderr!r}"
    assert proc.returncode == 1, detail
    assert proc.stdout == "", detail
    assert not any(marker in proc.stderr for marker in TRACEBACK_MARKERS), detail
    lines = proc.stderr.strip().splitlines()
    assert any(line.startswith("error: ") for line in lines), detail
    assert any(line.startswith("hint: ") for line in lines), detail
    for text in expected:
        assert text in proc.stderr, detail
