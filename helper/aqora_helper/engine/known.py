"""The list of environments the user logged in to (URLs only, never a secret), so that
their hosts are served without a config file, and the only one is the default
environment when nothing else names it. Changing the list drops the fast path's host
index (it records both)."""

from __future__ import annotations

import json

from ..fast.errors import UnsafeStorage
from ..fast.hostindex import drop_index
from ..fast.privatefiles import read_private, write_private
from .datadir import data_dir, data_file, sessions_file


def logged_in_urls() -> list[str]:
    """Base URLs with a stored session, oldest first. Unreadable list: empty."""
    try:
        raw = read_private(sessions_file(), root=data_dir())
        data = json.loads(raw) if raw else []
    except (UnsafeStorage, ValueError):
        return []
    return [u for u in data if isinstance(u, str)] if isinstance(data, list) else []


def add_url(url: str) -> None:
    """Remember that `url` has a session."""
    urls = logged_in_urls()
    if url not in urls:
        write_private(data_file(sessions_file()), json.dumps([*urls, url]).encode(), data_dir())
        drop_index()  # served hosts and maybe the default environment changed


def remove_url(url: str) -> None:
    """Forget `url`."""
    urls = logged_in_urls()
    if url in urls:
        write_private(
            sessions_file(), json.dumps([u for u in urls if u != url]).encode(), data_dir()
        )
        drop_index()
