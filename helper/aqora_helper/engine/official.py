"""The official aqora CLI's session as the third token source (aqora-api.md).

1. An `aqora` program on PATH that supports `auth token`: `aqora auth token --url URL`,
   bounded by `timeouts.cli`; stdout is the token, its stderr is shown only on failure,
   as an excerpt: one line, no control characters, the tokens of credentials.json (read
   just before the run) and every token-shaped run of 16 characters or more redacted
   (the program may echo a token it just got, which this process never saw).
2. Otherwise the CLI's `credentials.json`, read under a shared lock. A stale entry is
   refreshed exactly as the official CLI does it: exclusive lock on the file itself,
   re-read, re-check, refresh, rewrite in place in the same pretty-JSON format (other
   keys and entries kept), release; so the official CLI keeps working. Room for the
   rewrite is reserved before the refresh (trailing whitespace), so a full disk fails
   the refresh, never the rewrite, and the file is never shorter than its JSON.

These tokens are never copied into the helper's own storage (keyring or token cache).
Locks: `fast.filelock`'s, `flock` on POSIX (as the official CLI).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from ..fast.clientprocess import run_client
from ..fast.errors import AqoraHelperError, LockTimeout, StorageFailure
from ..fast.filelock import try_lock, unlock
from ..fast.official_session import credentials_file, parse_rfc3339
from ..fast.privatefiles import open_regular, read_bounded
from ..fast.redaction import server_text, strip_controls
from ..fast.signals import deferred_signals
from ..fast.text import is_token, rfc3339
from .api import Api, IssuedTokens, RotatedWithoutAccess
from .errors import OfficialSessionError
from .log import logger, register_secret
from .settings import Environment, Settings
from .sources import Source, Token

PROBE_TIMEOUT = 5.0
LOCK_POLL = 0.05
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_EXCERPT = 300
MIN_TOKEN_RUN = 16  # a run of token characters this long in the program's stderr is a secret
SECRETS_LOCK_WAIT = 2.0  # seconds; at most this long for the shared lock before the program runs
TOKEN_RUN = rf"[A-Za-z0-9\-._~+/]{{{MIN_TOKEN_RUN},}}=*"  # compiled on a failure only
MIN_ROOM = 4096  # bytes reserved before a refresh (or half the file, if more) for the rewrite
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX only, where fcntl exists too


class Credential(NamedTuple):
    """One entry of credentials.json (a named tuple: `dataclasses` imports `inspect`,
    milliseconds on every refresh of this session)."""

    client_id: str
    client_secret: str | None
    access_token: str
    refresh_token: str
    expires_at: float


def official_token(settings: Settings, env: Environment) -> Token | None:
    """A valid token from the official CLI's session, or None when it has none."""
    program = auth_token_program(settings)
    if program is not None:
        return _from_program(program, settings, env)
    return _from_file(settings, env)


def location(settings: Settings) -> str:
    """Where the official session is read from (for status and doctor)."""
    program = auth_token_program(settings)
    return f"'{program} auth token'" if program else str(credentials_path())


def has_session(settings: Settings, env: Environment) -> bool:
    """True when credentials.json has an entry for `env` (read only, never refreshes)."""
    path = credentials_path()
    try:
        with _open(path, env, writable=False) as fd:
            if fd is None:
                return False
            with _locked(fd, False, settings.timeouts.lock, env):
                return _entry(_read_json(fd, path, env), path, env) is not None
    except AqoraHelperError:
        return False


def auth_token_program(settings: Settings) -> str | None:
    """The `aqora` program on PATH when it supports `auth token`, else None."""
    program = shutil.which("aqora")
    if program is None:
        return None
    try:
        probe = run_client(
            [program, "auth", "token", "--help"], timeout=min(PROBE_TIMEOUT, settings.timeouts.cli)
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return program if probe.returncode == 0 else None


def _from_program(program: str, settings: Settings, env: Environment) -> Token | None:
    _register_file_secrets(settings, env)
    extra_env = {}
    if env.url.startswith("http://"):  # only reachable when our settings allow it
        extra_env["AQORA_ALLOW_INSECURE_HOST"] = "1"
    logger.debug("running %s auth token --url %s", program, env.url)
    try:
        proc = run_client(  # outside any project folder: it reads none of its files
            [program, "auth", "token", "--url", env.url],
            timeout=settings.timeouts.cli,
            extra_env=extra_env,
        )
    except subprocess.TimeoutExpired:
        raise OfficialSessionError(
            f"'aqora auth token' did not answer within {settings.timeouts.cli:g} s", env.url
        ) from None
    except OSError as exc:
        raise OfficialSessionError(f"Cannot run {program}: {exc.strerror}", env.url) from None
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if "not logged in" in stderr.lower():
            return None
        raise OfficialSessionError(
            f"'aqora auth token' failed (exit {proc.returncode}): {_excerpt(stderr)}", env.url
        )
    token = proc.stdout.decode("utf-8", "replace").strip()
    register_secret(token)
    if not is_token(token):
        raise OfficialSessionError("'aqora auth token' printed no valid token", env.url)
    return Token(token, None, Source.OFFICIAL)


def _excerpt(text: str) -> str:
    """The program's stderr on one line, safe to show: no control character (terminal
    escapes), no registered secret, and no run of MIN_TOKEN_RUN token characters or more
    (a secret of the program's own: a rotated token never registered here)."""
    import re

    lines = [line.strip() for line in text[: 4 * MAX_EXCERPT].splitlines() if line.strip()]
    if not lines:
        return "no error output"
    joined = strip_controls(" / ".join(lines))
    return server_text(re.sub(TOKEN_RUN, "<redacted>", joined), MAX_EXCERPT)


def _register_file_secrets(settings: Settings, env: Environment) -> None:
    """Register the tokens of credentials.json (when it is readable) before the program
    runs, so an echo of them in its stderr is redacted whole and in part. Read under the
    shared lock (a bounded, short wait) like every read of the file: the official CLI
    rewrites it in place, and a torn read would register nothing. Best effort: the
    program reports its own problems with the file."""
    path = credentials_path()
    try:
        with _open(path, env, writable=False) as fd:
            if fd is None:
                return
            with _locked(fd, False, min(settings.timeouts.lock, SECRETS_LOCK_WAIT), env):
                data = _read_json(fd, path, env)
    except AqoraHelperError:
        return
    entries = data.get("credentials")
    for entry in entries.values() if isinstance(entries, dict) else ():
        if isinstance(entry, dict):
            secrets = ("access_token", "refresh_token", "client_secret")
            register_secret(*(entry.get(name) for name in secrets))


def credentials_path() -> Path:
    """`AQORA_CONFIG_HOME/credentials.json`, else `<data dir>/aqora/credentials.json`."""
    return Path(credentials_file())  # platformdirs' rules, without importing it


def parse_expires_at(text: str) -> float:
    """RFC 3339 (0 to 9 fractional digits, ASCII digits) to Unix seconds. Raises ValueError."""
    when = parse_rfc3339(text)
    if when is None:
        raise ValueError("not an RFC 3339 date-time")
    return when


def _from_file(settings: Settings, env: Environment) -> Token | None:
    path = credentials_path()
    with _open(path, env, writable=False) as fd:
        if fd is None:
            return None
        with _locked(fd, False, settings.timeouts.lock, env):
            credential = _entry(_read_json(fd, path, env), path, env)
    if credential is None:
        return None
    if _fresh(credential, settings):
        return _token(credential.access_token, credential.expires_at)
    return _refresh_file(path, settings, env)


def _refresh_file(path: Path, settings: Settings, env: Environment) -> Token | None:
    with _open(path, env, writable=True) as fd:
        if fd is None:
            return None
        with _locked(fd, True, settings.timeouts.lock, env):
            data = _read_json(fd, path, env)
            credential = _entry(data, path, env)
            if credential is None:
                return None
            if _fresh(credential, settings):
                logger.debug("the official CLI's session was refreshed meanwhile")
                return _token(credential.access_token, credential.expires_at)
            size = _reserve_room(fd, path)
            with deferred_signals():  # the rotated token is written back before any signal
                logger.debug("refreshing the official CLI's session for %s", env.url)
                api = Api(env.url, settings.timeouts)
                issued = _rotate(fd, data, credential, path, api, size)
            return _token(issued.access_token, issued.expires_at)


def _rotate(
    fd: int, data: dict[str, Any], credential: Credential, path: Path, api: Api, size: int
) -> IssuedTokens:
    """Refresh and write the rotated session back into the open file (`size`: its
    length before room was reserved). When only the access token was refused, the
    server rotated all the same: the new refresh token is written (the stale access
    token kept), then the refusal raised."""
    url = api.base_url
    entry = data["credentials"][url]
    try:
        issued = api.refresh(
            credential.client_id, credential.client_secret, credential.refresh_token
        )
    except RotatedWithoutAccess as refused:
        entry.update(refresh_token=refused.refresh_token)
        _rewrite(fd, data, path, url)
        raise
    except BaseException:
        _give_back_room(fd, size)
        raise
    entry.update(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=rfc3339(issued.expires_at),
    )
    _rewrite(fd, data, path, url)
    return issued


def _fresh(credential: Credential, settings: Settings) -> bool:
    return credential.expires_at - settings.refresh_skew > time.time()


def _token(access_token: str, expires_at: float) -> Token:
    return Token(access_token, int(expires_at), Source.OFFICIAL)


@contextlib.contextmanager
def _open(path: Path, env: Environment, writable: bool) -> Iterator[int | None]:
    """The file's descriptor (None when it does not exist); closing releases its lock.
    Opened non-blocking, so a FIFO or device planted there cannot hang the open; only a
    regular file is used (then in blocking mode again)."""
    try:
        found = open_regular(path, write=writable)
    except OSError as exc:
        raise _unopenable(path, env, exc.strerror or type(exc).__name__) from None
    if found is None:
        yield None
        return
    fd = found[0]
    try:
        _blocking(fd, path, env)
        yield fd
    finally:
        os.close(fd)


def _blocking(fd: int, path: Path, env: Environment) -> None:
    """Clear O_NONBLOCK (it was only there for the open) on the regular file."""
    if not _NONBLOCK:
        return
    import fcntl

    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
    except OSError as exc:
        raise _unopenable(path, env, exc.strerror or type(exc).__name__) from None


def _unopenable(path: Path, env: Environment, problem: str) -> OfficialSessionError:
    return OfficialSessionError(
        f"Cannot open the official aqora CLI's credentials file {path}: {problem}", env.url
    )


@contextlib.contextmanager
def _locked(fd: int, exclusive: bool, timeout: float, env: Environment) -> Iterator[None]:
    """Hold the official CLI's advisory lock on the open file (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if try_lock(fd, exclusive):
                break
        except OSError as exc:
            raise OfficialSessionError(
                f"Cannot lock the official aqora CLI's credentials file: {exc.strerror}",
                env.url,
            ) from None
        if time.monotonic() >= deadline:
            raise LockTimeout(env.url, timeout)
        time.sleep(LOCK_POLL)
    try:
        yield
    finally:
        unlock(fd)


def _read_json(fd: int, path: Path, env: Environment) -> dict[str, Any]:
    """The file's JSON object, read from the start, at most MAX_FILE_BYTES."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = read_bounded(fd, MAX_FILE_BYTES)
    except OSError as exc:
        raise _bad_file(path, env, exc.strerror or type(exc).__name__) from None
    if raw is None:
        raise _bad_file(path, env, f"larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        raise _bad_file(path, env, "not valid JSON") from None
    if not isinstance(data, dict):
        raise _bad_file(path, env, "not a JSON object")
    return data


def _entry(data: dict[str, Any], path: Path, env: Environment) -> Credential | None:
    entries = data.get("credentials")
    if entries is None:
        return None
    if not isinstance(entries, dict):
        raise _bad_file(path, env, "'credentials' is not an object")
    entry = entries.get(env.url)
    if entry is None:
        return None
    try:
        credential = Credential(
            entry["client_id"],
            entry.get("client_secret"),
            entry["access_token"],
            entry["refresh_token"],
            parse_expires_at(entry["expires_at"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _bad_file(path, env, f"the entry for {env.url} is malformed") from None
    register_secret(credential.access_token, credential.refresh_token, credential.client_secret)
    texts = (credential.client_id, credential.access_token, credential.refresh_token)
    if (
        not all(isinstance(t, str) and t for t in texts)
        or not isinstance(credential.client_secret, (str, type(None)))
        or not (is_token(credential.access_token) and is_token(credential.refresh_token))
    ):
        raise _bad_file(path, env, f"the entry for {env.url} is malformed")
    return credential


def _reserve_room(fd: int, path: Path) -> int:
    """Before a refresh: grow the file by trailing whitespace (still the same valid JSON)
    so its rewrite never needs a new block. Returns the original size. Raises
    StorageFailure (the file shrunk back, unchanged) when the disk is full."""
    size = os.fstat(fd).st_size
    try:
        _write_at(fd, b" " * max(MIN_ROOM, size // 2), size)
    except OSError as exc:
        _give_back_room(fd, size)
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
    return size


def _give_back_room(fd: int, size: int) -> None:
    """Shrink the file back to `size` (its JSON ends there: only whitespace follows)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, size)


def _rewrite(fd: int, data: dict[str, Any], path: Path, url: str) -> None:
    """Replace the file's contents in place (its lock lives on this inode), never leaving
    it shorter than its JSON or invalid: the new JSON, padded with whitespace to the
    file's reserved length, overwrites it; it is cut to length only once on disk."""
    body = json.dumps(data, indent=2, ensure_ascii=False).encode()
    try:
        room = os.fstat(fd).st_size
        if len(body) > room:  # more than reserved: grow by whitespace first
            _write_at(fd, b" " * (len(body) - room), room)
            room = len(body)
        _write_at(fd, body + b" " * (room - len(body)), 0)
        os.fsync(fd)
        os.ftruncate(fd, len(body))
        os.fsync(fd)
    except OSError as exc:
        raise OfficialSessionError(
            f"Cannot write the rotated session to {path}: {exc.strerror}", url
        ) from None


def _write_at(fd: int, data: bytes, offset: int) -> None:
    os.lseek(fd, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _bad_file(path: Path, env: Environment, problem: str) -> OfficialSessionError:
    return OfficialSessionError(
        f"The official aqora CLI's credentials file {path} is unusable: {problem}", env.url
    )
