"""Where aqora-helper keeps its data files, per OS (`fast.paths.data_root`)."""

from __future__ import annotations

import os
from pathlib import Path

from ..fast.paths import data_root


def data_dir() -> Path:
    """Per-user data directory: opt-in insecure sessions, recovery files, session list."""
    override = os.environ.get("AQORA_HELPER_DATA_DIR")
    if override:
        return Path(override)
    return Path(data_root())


def sessions_file() -> Path:
    """The list of environments the user logged in to (URLs only, no secrets)."""
    return data_dir() / "sessions.json"
