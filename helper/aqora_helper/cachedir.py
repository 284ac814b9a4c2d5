"""The per-user cache directory, computed without platformdirs (too slow to import on
the fast path). `tests/test_paths.py` checks it equals platformdirs' answer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "aqora-helper"


def cache_dir() -> Path:
    """Where the access-token cache and host index live."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_NAME
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base_path = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base_path / APP_NAME
