"""Docker's credsStore mode without the engine: a request for a registry aqora does not
serve goes to the store that `setup docker --creds-store` replaced, decided from the
Docker config, the record of that store and the host index alone. Stdlib only.

`delegated(action, data)` answers when a previous store is recorded for the Docker
config in use and the host index is current (it holds `timeouts.keyring`, the bound on
the store's answer); otherwise it leaves the request to `engine.dockerstore` (the OS
keyring store, or no current index). `run_delegate` runs `docker-credential-<name>`
with `posix_spawnp` and a `poll` loop (`subprocess` imports `locale` and `re`: more
than the whole budget of this path); where that is missing, through `subprocess`.
"""

import _signal  # type: ignore[import-not-found]  # `signal` would import enum: 10 ms
import select
import sys
import time

from . import lightos
from .clientenv import client_env
from .errors import AqoraHelperError
from .jsonlite import loads
from .paths import data_root
from .privatefiles import read_private

if sys.platform != "win32":
    import posix  # `os`'s built-in half: spawning without importing `os` (see lightos)

HELPER = "aqora"
MAX_ANSWER = 1024 * 1024
_OUTSIDE = "/"  # the delegate's working directory: no repository or project file there
_NAME_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_NAME_CHARS = _NAME_FIRST | frozenset("._-")


class DelegateFailed(AqoraHelperError):
    """The previous store failed, hung or is missing (the message goes to Docker)."""


def delegates_file() -> str:
    """`<data dir>/docker-store.json`: Docker config path -> the store it delegates to."""
    folder = lightos.getenv("AQORA_HELPER_DATA_DIR") or data_root()
    return lightos.join(folder, "docker-store.json")


def valid_store_name(name: object) -> bool:
    """A `credsStore` value we may run as `docker-credential-<name>` (never ourselves)."""
    return (
        isinstance(name, str)
        and 0 < len(name) <= 64
        and name[0] in _NAME_FIRST
        and set(name) <= _NAME_CHARS
        and name != HELPER
    )


def delegate_for(config: str) -> str | None:
    """The store recorded for the Docker config file `config`, None for the keyring."""
    try:
        raw = read_private(delegates_file())
        data = loads(raw) if raw is not None else None
    except (AqoraHelperError, ValueError):
        return None
    found = data.get("delegates") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return None
    name = found.get(config)  # as setup recorded it, then its real path (as the engine)
    if name is None:
        import os

        name = found.get(os.path.realpath(config))
    return name if valid_store_name(name) else None


def index_timeout() -> float | None:
    """`timeouts.keyring` as the current host index recorded it, None without one."""
    from .hostindex import load_index
    from .hostlookup import BrokenIndex

    index = load_index()
    try:
        shared = None if index is None else index.settings()
    except BrokenIndex:
        return None
    timeouts = shared.get("timeouts") if shared is not None else None
    value = timeouts.get("keyring") if isinstance(timeouts, dict) else None
    number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
    return float(number) if number > 0 else None


def delegated(action: str, data: str, config: str) -> str | None:
    """The previous store's answer to `action` with stdin `data`, None when this path
    cannot decide (no store recorded for `config`, or no current host index)."""
    name = delegate_for(config)
    timeout = None if name is None else index_timeout()
    if name is None or timeout is None:
        return None
    return run_delegate(name, action, data, timeout)


def run_delegate(name: str, action: str, data: str, timeout: float) -> str:
    """Pass the request to `docker-credential-<name>` and its answer back. Raises
    DelegateFailed when it is missing, fails or does not answer within `timeout`."""
    program = f"docker-credential-{name}"
    run = _spawn if lightos.POSIX and hasattr(select, "poll") else _subprocess
    try:
        code, out = run(program, action, data.encode(), timeout)
    except FileNotFoundError:
        raise DelegateFailed(
            f"{program} (the previous credsStore) is not installed",
            f"Install it, or run 'aqora-helper setup docker --remove' to go back to '{name}'.",
        ) from None
    except TimeoutError:
        raise DelegateFailed(
            f"{program} (the previous credsStore) did not answer within {timeout:g} s",
            "Check that store (is its keyring unlocked?); timeouts.keyring sets the bound.",
        ) from None
    except OSError as exc:
        raise DelegateFailed(f"cannot run {program}: {exc.strerror}") from None
    text = out[:MAX_ANSWER].decode("utf-8", "replace")
    if code != 0:
        first = text.strip().splitlines()[0] if text.strip() else f"{program} failed"
        raise DelegateFailed(first, f"{program} {action} exited with {code}.")
    return text


def _spawn(program: str, action: str, request: bytes, timeout: float) -> tuple[int, bytes]:
    """(exit code, stdout) of `program action` fed `request`, its stderr discarded.
    Raises FileNotFoundError, OSError, or TimeoutError (the child killed)."""
    deadline = time.monotonic() + timeout
    in_r, in_w = posix.pipe()
    out_r, out_w = posix.pipe()
    null = posix.open("/dev/null", posix.O_WRONLY)
    moves = [(posix.POSIX_SPAWN_DUP2, in_r, 0), (posix.POSIX_SPAWN_DUP2, out_w, 1),
             (posix.POSIX_SPAWN_DUP2, null, 2)]  # fmt: skip
    # as subprocess does: the child gets default SIGPIPE/SIGXFSZ (Python ignores them)
    defaults = [s for s in (_signal.SIGPIPE, getattr(_signal, "SIGXFSZ", None)) if s]
    try:
        pid = _spawn_outside(program, action, moves, defaults)
    except BaseException:
        posix.close(in_w)
        posix.close(out_r)
        raise
    finally:
        for fd in (in_r, out_w, null):
            posix.close(fd)
    chunks: list[bytes] = []
    try:
        _exchange(in_w, out_r, request, chunks, deadline)
        return _wait(pid, deadline), b"".join(chunks)
    except BaseException:
        posix.kill(pid, _signal.SIGKILL)
        posix.waitpid(pid, 0)
        raise


def _spawn_outside(program: str, action: str, moves: list[tuple[int, int, int]],
                   defaults: list[int]) -> int:
    """posix_spawnp from `/` with `client_env` (fast/clientprocess's rules: no repository
    or project file reaches the store; posix_spawn cannot set the child's cwd, so this
    process steps there for the spawn only)."""
    env = client_env(_OUTSIDE)
    back = posix.open(".", posix.O_RDONLY | posix.O_DIRECTORY)
    try:
        posix.chdir(_OUTSIDE)
        try:
            return posix.posix_spawnp(
                program, [program, action], env, file_actions=moves, setsigdef=defaults
            )
        finally:
            posix.fchdir(back)
    finally:
        posix.close(back)


def _exchange(in_w: int, out_r: int, request: bytes, chunks: list[bytes], deadline: float) -> None:
    """Write `request` to the child and read its stdout to the end (at most MAX_ANSWER
    kept); closes both pipes. Raises TimeoutError at `deadline`."""
    poll = select.poll()
    pending = memoryview(request)
    open_fds = {out_r}
    posix.set_blocking(out_r, False)
    poll.register(out_r, select.POLLIN)
    if pending:
        posix.set_blocking(in_w, False)
        poll.register(in_w, select.POLLOUT)
        open_fds.add(in_w)
    else:
        posix.close(in_w)
    kept = 0
    try:
        while out_r in open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            for fd, _ in poll.poll(left * 1000):
                if fd == in_w:
                    try:
                        pending = pending[posix.write(in_w, pending[:65536]) :]
                    except BrokenPipeError:
                        pending = pending[:0]  # it stopped reading: its answer says why
                    if not pending:
                        poll.unregister(in_w)
                        open_fds.discard(in_w)
                        posix.close(in_w)
                    continue
                chunk = posix.read(out_r, 65536)
                if not chunk:
                    poll.unregister(out_r)
                    open_fds.discard(out_r)
                    posix.close(out_r)
                elif kept <= MAX_ANSWER:
                    chunks.append(chunk)
                    kept += len(chunk)
    finally:
        for fd in open_fds:
            posix.close(fd)


def _wait(pid: int, deadline: float) -> int:
    """The child's exit code (its stdout is closed: it is exiting); TimeoutError at
    `deadline`. Waits on a pidfd where there is one (no polling delay), else polls."""
    done, status = posix.waitpid(pid, posix.WNOHANG)
    if done:
        return posix.waitstatus_to_exitcode(status)
    try:
        pidfd = posix.pidfd_open(pid)  # Linux 5.3+
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            poll = select.poll()
            poll.register(pidfd, select.POLLIN)
            if not poll.poll(max(0.0, deadline - time.monotonic()) * 1000):
                raise TimeoutError
        finally:
            posix.close(pidfd)
        return posix.waitstatus_to_exitcode(posix.waitpid(pid, 0)[1])
    pause = 0.0002
    while True:
        done, status = posix.waitpid(pid, posix.WNOHANG)
        if done:
            return posix.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            raise TimeoutError
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _subprocess(program: str, action: str, request: bytes, timeout: float) -> tuple[int, bytes]:
    import subprocess  # platforms without posix_spawnp

    from .clientprocess import run_client

    try:
        proc = run_client([program, action], input=request, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError from None
    return proc.returncode, proc.stdout
