"""The fast path: answer a front door from the access-token cache. Stdlib only.

The slow path (session engine) writes a host index, `hosts.json`, stamped with a
fingerprint of everything that decides which hosts are served (config file identity
and the relevant environment variables). The fast path answers only when the stamp
still matches and the cached token is valid past the refresh skew; anything else is a
miss, and the caller falls back to the engine. It never raises.
"""

from __future__ import annotations

import json
import os
import sys
import time

from .hostnames import host_key
from .paths import cache_root
from .privatefiles import read_private, write_private
from .tokencache import read_token

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

INDEX_VERSION = 1
FINGERPRINT_ENV = ("AQORA_URL", "AQORA_ALLOW_INSECURE_HOST", "AQORA_HELPER_CONFIG")


class HostCredential:
    """What a front door hands to its client for one served host."""

    __slots__ = ("env_url", "expires_at", "git_auth", "token", "username")

    def __init__(
        self, token: str, expires_at: int | None, username: str, git_auth: str, env_url: str
    ) -> None:
        self.token = token
        self.expires_at = expires_at
        self.username = username
        self.git_auth = git_auth
        self.env_url = env_url


def index_path() -> str:
    """Location of the served-host index."""
    return os.path.join(cache_root(), "hosts.json")


def config_file() -> str:
    """The config file path as a string (same rule as settings.config_file, without
    platformdirs or pathlib)."""
    override = os.environ.get("AQORA_HELPER_CONFIG")
    if override:
        return override
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "aqora-helper", "config.toml")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "aqora-helper", "config.toml")
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(home, ".config")
    return os.path.join(base, "aqora-helper", "config.toml")


def config_path() -> Path:
    """The config file path."""
    from pathlib import Path

    return Path(config_file())


def fingerprint() -> str:
    """Identity of the inputs that decide which hosts are served."""
    path = config_file()
    try:
        st = os.stat(path)
        stamp = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"
    except OSError:
        stamp = "absent"
    env = "|".join(f"{name}={os.environ.get(name, '')}" for name in FINGERPRINT_ENV)
    return f"{path}|{stamp}|{env}"


def save_index(
    stamp: str,
    hosts: dict[str, dict[str, object]],
    default_url: str,
    skew: int,
    lock_timeout: float,
) -> None:
    """Write the host index (called by the engine with a fingerprint taken *before* it
    read the configuration, so a concurrent edit makes the index stale, not wrong)."""
    body = {
        "version": INDEX_VERSION,
        "fingerprint": stamp,
        "hosts": hosts,
        "default_url": default_url,
        "skew": skew,
        "lock_timeout": lock_timeout,
    }
    write_private(index_path(), json.dumps(body, sort_keys=True).encode(), cache_root())


def load_index() -> dict[str, Any] | None:
    """The index when it is current, else None."""
    try:
        raw = read_private(index_path(), root=cache_root())
        if raw is None:
            return None
        data = json.loads(raw)
        if data.get("version") != INDEX_VERSION or data.get("fingerprint") != fingerprint():
            return None
        return data if isinstance(data.get("hosts"), dict) else None
    except Exception:
        return None


def lookup_cached(scheme: str, hostport: str) -> HostCredential | None:
    """A valid cached credential for `scheme://hostport`, or None (a miss: ask the engine)."""
    try:
        if os.environ.get("AQORA_TOKEN"):
            return None
        key = host_key(scheme, hostport)
        if key is None:
            return None
        index = load_index()
        entry = index["hosts"].get(key) if index else None
        if not isinstance(entry, dict):
            return None
        env_url, skew = str(entry["url"]), int(entry["skew"])
        cached = read_token(env_url, warn=False)
        if cached is None or not cached.usable(skew, time.time()):
            return None
        username, git_auth = str(entry["username"]), str(entry["git_auth"])
        return HostCredential(cached.access_token, cached.expires_at, username, git_auth, env_url)
    except Exception:
        return None


def cached_env_token(url: str | None) -> tuple[str, int, str] | None:
    """(token, expires_at, env_url) from the cache for `url` (default: the default
    environment) when valid past the skew; None is a miss. For `aqora-helper token`."""
    try:
        if os.environ.get("AQORA_TOKEN"):
            return None
        index = load_index()
        if index is None:
            return None
        env_url = str(index["default_url"]) if url is None else env_url_of(url)
        if env_url is None:
            return None
        cached = read_token(env_url, warn=False)
        if cached is None or not cached.usable(int(index["skew"]), time.time()):
            return None
        return cached.access_token, cached.expires_at, env_url
    except Exception:
        return None


def env_url_of(url: str) -> str | None:
    """The normalised base URL `scheme://host[:port]/` of a `--url` value, or None when
    the fast path must not touch it (the CLI then reports why): not http(s), userinfo,
    query, fragment, whitespace or control characters, or plain http to a non-loopback
    host. Nothing is built from the raw text: file names come from this result only."""
    text = url.strip()
    if not text or not text.isascii() or not text.isprintable() or any(c in text for c in " @?#\\"):
        return None
    scheme, sep, rest = text.partition("://")
    authority, _, path = rest.partition("/")
    if not sep or path.strip("/"):
        return None
    key = host_key(scheme, authority)
    return None if key is None else f"{scheme.lower()}://{key}/"


class GuardedLock:
    """A refresh lock whose failure to open (a directory, a dangling symlink or a
    FIFO at its path, an unsafe lock directory) is an UnsafeStorage error, not an
    OSError traceback."""

    __slots__ = ("lock",)

    def __init__(self, lock: Any) -> None:
        self.lock = lock

    def __enter__(self) -> GuardedLock:
        try:
            self.lock.__enter__()
        except OSError as exc:
            from .errors import UnsafeStorage

            raise UnsafeStorage(str(self.lock.path), exc.strerror or str(exc)) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.__exit__(*exc)


def held_refresh_lock(env_url: str | None) -> GuardedLock | None:
    """The refresh lock of `env_url` (default: the default environment) per a current
    index, for a caller that missed the cache: holding it while it retries the cache
    (and, if still stale, while the engine refreshes) makes concurrent callers wait
    for one refresh instead of each loading the engine. None when the index is not
    current, the URL is not a valid environment URL, or AQORA_TOKEN is set (the engine
    decides alone then)."""
    try:
        index = load_index()
        if index is None or os.environ.get("AQORA_TOKEN"):
            return None
        url = str(index["default_url"]) if env_url is None else env_url_of(env_url)
        if url is None:
            return None
        from .refreshlock import RefreshLock

        return GuardedLock(RefreshLock(url, float(index["lock_timeout"])))
    except Exception:
        return None


def env_url_for(scheme: str, hostport: str) -> str | bool | None:
    """Per a current index: the URL of the environment serving `scheme://hostport`,
    False when it is not served, None when the index cannot tell (stale or missing)."""
    try:
        index = load_index()
        if index is None:
            return None
        key = host_key(scheme, hostport)
        entry = index["hosts"].get(key) if key else None
        return str(entry["url"]) if isinstance(entry, dict) else False
    except Exception:
        return None
