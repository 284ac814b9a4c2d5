"""Where aqora-helper keeps its files, per OS (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from ..fast.paths import APP_NAME


def data_dir() -> Path:
    """Per-user data directory: opt-in insecure sessions, recovery files, session list."""
    override = os.environ.get("AQORA_HELPER_DATA_DIR")
    if override:
        return Path(override)
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def sessions_file() -> Path:
    """The list of environments the user logged in to (URLs only, no secrets)."""
    return data_dir() / "sessions.json"
