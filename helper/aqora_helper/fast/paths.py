"""The per-user cache and data directories and the config file, computed without
platformdirs (too slow to import on the fast path and on a refresh).
`tests/unit/fast/test_paths.py` checks they equal platformdirs' answers.
"""

import sys

from . import lightos

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from pathlib import Path

APP_NAME = "aqora-helper"


# Per kind of directory (platformdirs' rules, appauthor=False): the XDG variable and its
# default under the home directory, the folder under ~/Library on macOS, and what follows
# the app's folder under %LOCALAPPDATA% on Windows.
_KINDS = {
    "cache": ("XDG_CACHE_HOME", (".cache",), "Caches", ("Cache",)),
    "data": ("XDG_DATA_HOME", (".local", "share"), "Application Support", ()),
    "config": ("XDG_CONFIG_HOME", (".config",), "Application Support", ()),
}


def _user_dir(kind: str) -> str:
    """aqora-helper's per-user directory of `kind` (a key of _KINDS), as a string."""
    xdg_variable, home_default, library_folder, windows_tail = _KINDS[kind]
    home = lightos.home()
    if sys.platform == "win32":
        base = lightos.getenv("LOCALAPPDATA") or lightos.join(home, "AppData", "Local")
        return lightos.join(base, APP_NAME, *windows_tail)
    if sys.platform == "darwin":
        return lightos.join(home, "Library", library_folder, APP_NAME)
    xdg = (lightos.getenv(xdg_variable) or "").strip()
    base = xdg if xdg and lightos.isabs(xdg) else lightos.join(home, *home_default)
    return lightos.join(base, APP_NAME)


def cache_root() -> str:
    """Where the access-token cache and host index live, as a string (the fast path uses
    this: importing pathlib costs more than the rest of a cached get)."""
    return _user_dir("cache")


def data_root() -> str:
    """The per-user data directory (sessions list, opt-in session files, recovery files)."""
    return _user_dir("data")


def cache_dir() -> "Path":
    """Where the access-token cache and host index live."""
    from pathlib import Path

    return Path(cache_root())


def config_file() -> str:
    """The config file path as a string (same rule as settings.config_file, without
    platformdirs or pathlib)."""
    override = lightos.getenv("AQORA_HELPER_CONFIG")
    if override:
        return override
    return lightos.join(_user_dir("config"), "config.toml")


def config_path() -> "Path":
    """The config file path."""
    from pathlib import Path

    return Path(config_file())
