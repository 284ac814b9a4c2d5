"""The per-user cache and data directories and the config file, computed without
platformdirs (too slow to import on the fast path and on a refresh).
`tests/unit/test_paths.py` checks they equal platformdirs' answers.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing/pathlib are not imported at run time (fast path)
if TYPE_CHECKING:
    from pathlib import Path

APP_NAME = "aqora-helper"


def cache_root() -> str:
    """Where the access-token cache and host index live, as a string (the fast path uses
    this: importing pathlib costs more than the rest of a cached get)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP_NAME, "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", APP_NAME)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(home, ".cache")
    return os.path.join(base, APP_NAME)


def data_root() -> str:
    """The per-user data directory (sessions list, opt-in session files, recovery files)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, APP_NAME)
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", APP_NAME)
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(home, ".local", "share")
    return os.path.join(base, APP_NAME)


def cache_dir() -> Path:
    """Where the access-token cache and host index live."""
    from pathlib import Path

    return Path(cache_root())


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
