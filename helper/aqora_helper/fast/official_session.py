"""The official aqora CLI's session on the fast path. Stdlib only.

A user logged in with the official CLI alone (no `aqora-helper login`) is served by the
engine from that CLI's `credentials.json` (engine/official.py). Once it has done so, it
leaves a pointer in the environment's token-cache file (`remember`): which file served,
never a token. A later get then reads that file itself while its access token is fresh
(`fresh_token`): a regular file of this user that others cannot write, at most 4 MiB,
read under the official CLI's shared `flock`, its entry for the environment checked
(bearer token syntax, RFC 3339 expiry). Anything else (a stale token, a busy lock, any
doubt about the file) is a miss: the engine decides, refreshes the file in place under
the exclusive lock as the official CLI does, and reports problems.

Tokens of credentials.json are never written anywhere by this module; its refresh token
is not even looked at. A login of our own replaces the pointer with a cached token of
our own session, which then comes first again (as the engine's order says).
"""

import sys
import time

from . import lightos
from .jsonlite import dumps, loads
from .paths import cache_root
from .privatefiles import ExposedFile, open_regular, read_bounded, read_private, write_private
from .text import is_token
from .tokencache import MAX_TOKEN_FILE, CachedToken, token_path

TYPE_CHECKING = False  # `os` is not imported at run time (fast path: see lightos)
if TYPE_CHECKING:
    import os

SOURCE = "official CLI"
MAX_CREDENTIALS_BYTES = 4 * 1024 * 1024  # as engine/official.py reads it


class OfficialToken(CachedToken):
    """An access token read from the official CLI's credentials.json (not cached by us)."""

    __slots__ = ()


def credentials_file() -> str:
    """`$AQORA_CONFIG_HOME/credentials.json`, else `<data dir>/aqora/credentials.json`
    (platformdirs' rules, as engine.official.credentials_path, without importing it)."""
    override = lightos.getenv("AQORA_CONFIG_HOME")
    if override:
        return lightos.join(override, "credentials.json")
    home = lightos.home()
    if sys.platform == "win32":
        base = lightos.getenv("APPDATA") or lightos.join(home, "AppData", "Roaming")
    elif sys.platform == "darwin":
        base = lightos.join(home, "Library", "Application Support")
    else:
        xdg = lightos.getenv("XDG_DATA_HOME") or ""
        base = xdg if xdg.strip() else lightos.join(home, ".local", "share")
    return lightos.join(base, "aqora", "credentials.json")


def remember(env_url: str, credentials: str) -> None:
    """Record that `credentials` (the official CLI's file) serves `env_url`: its
    token-cache file then holds this pointer (and no token)."""
    body = {"url": env_url, "source": SOURCE, "credentials": credentials}
    write_private(token_path(env_url), dumps(body).encode(), cache_root())


def fresh_token(env_url: str, skew: int, min_ttl: int = 0) -> OfficialToken | None:
    """The access token credentials.json holds for `env_url` when the engine left a
    pointer to that file and the token is valid past `skew` with more than `min_ttl`
    seconds left; None otherwise."""
    path = credentials_file()
    if not _points_to(env_url, path):
        return None
    data = _read_locked(path)
    entries = data.get("credentials") if isinstance(data, dict) else None
    entry = entries.get(env_url) if isinstance(entries, dict) else None
    if not isinstance(entry, dict):
        return None
    token, expiry = entry.get("access_token"), entry.get("expires_at")
    expires_at = parse_rfc3339(expiry) if isinstance(expiry, str) else None
    now = time.time()
    if not is_token(token) or expires_at is None or not now < expires_at - max(skew, min_ttl):
        return None
    return OfficialToken(token, int(expires_at), int(now))


def _points_to(env_url: str, path: str) -> bool:
    """True when the token-cache file of `env_url` is the engine's pointer to `path`."""
    try:
        raw = read_private(token_path(env_url), MAX_TOKEN_FILE, cache_root(), secret=True)
        data = None if raw is None else loads(raw)
    except (ExposedFile, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("source") == SOURCE
        and data.get("url") == env_url
        and data.get("credentials") == path
    )


def _read_locked(path: str) -> object:
    """The JSON value of the file, read under a shared flock taken without waiting;
    None when it is absent, busy, unsafe or not JSON."""
    try:
        found = open_regular(path)
    except OSError:
        return None
    if found is None:
        return None
    fd, st = found
    try:
        if not _safe(st, path):
            return None
        import fcntl  # not on Windows: the engine reads the file there

        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released when fd closes
        raw = read_bounded(fd, MAX_CREDENTIALS_BYTES, st.st_size)
        return None if raw is None else loads(raw)
    except (OSError, ValueError, ImportError):
        return None
    finally:
        lightos.close(fd)


def _safe(st: "os.stat_result", path: str) -> bool:
    """A regular file of this user, bounded, that others cannot write, in a directory
    of this user (or root's) that others cannot write. Readable by others is the official
    CLI's own choice (it writes with the umask) and is accepted."""
    if not lightos.S_ISREG(st.st_mode) or st.st_size > MAX_CREDENTIALS_BYTES:
        return False
    uid = lightos.getuid()
    try:
        folder = lightos.stat(lightos.dirname(path) or ".")
    except OSError:
        return False
    return uid is None or (
        st.st_uid == uid
        and not st.st_mode & 0o022
        and folder.st_uid in (uid, 0)
        and not folder.st_mode & 0o022
    )


def parse_rfc3339(text: str) -> float | None:
    """`YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` (ASCII digits; `t` or a space for `T`,
    `z` for `Z`) to Unix seconds, None when it is not one or names no real date (seconds
    above 59 count as 59). Without `re` or `datetime`; engine.official uses it too."""
    if len(text) < 20 or not text.isascii():
        return None
    date, sep, clock = text[:10], text[10], text[11:]
    if sep not in "Tt " or date[4] != "-" or date[7] != "-":
        return None
    numbers = (date[:4], date[5:7], date[8:10], clock[:2], clock[3:5], clock[6:8])
    if clock[2:3] != ":" or clock[5:6] != ":" or not _digits(*numbers):
        return None
    year, month, day, hour, minute, second = (int(n) for n in numbers)
    rest = clock[8:]
    fraction = 0.0
    if rest.startswith("."):
        end = len(rest) - len(rest[1:].lstrip("0123456789"))  # after the last digit
        if not 2 <= end <= 10:  # 1 to 9 digits
            return None
        fraction, rest = int(rest[1:end].ljust(9, "0")) / 1e9, rest[end:]
    if rest in ("Z", "z"):
        offset = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":" and _digits(rest[1:3], rest[4:]):
        offset = (int(rest[1:3]) * 3600 + int(rest[4:]) * 60) * (1 if rest[0] == "+" else -1)
    else:
        return None
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= _month_days(year, month)):
        return None
    if hour > 23 or minute > 59:
        return None
    days = _days_from_civil(year, month, day)
    return days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset + fraction


def _digits(*parts: str) -> bool:
    return all(p.isdigit() for p in parts)


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
