"""Does a configuration problem concern a request? When the settings cannot be loaded
(a missing `AQORA_HELPER_CONFIG` file, a config file that is not valid, a bad
`AQORA_URL`), a request for a host that cannot be one aqora serves gets the answer of
any host not served (git: nothing; docker: not found; keyring: none), without the
problem on its stderr: a git command against github.com is none of the config's business.

A host may be served, and so gets the error, when it is named by what decides the
served hosts: the config file's text (read as text: it may not parse), `AQORA_URL`, the
built-in URL, an environment logged in to, or the last host index written from a
configuration that loaded.
"""

from __future__ import annotations

import os
import re

from ..fast.errors import AqoraHelperError
from ..fast.hostindex import index_path
from ..fast.hostnames import split_hostport
from ..fast.jsonlite import loads
from ..fast.paths import cache_root, config_file
from ..fast.privatefiles import read_private, read_regular_file
from .settings import DEFAULT_URL

MAX_TEXT = 1 << 20


def may_serve(host_key: str) -> bool:
    """True when the host `host_key` (`host[:port]`) could be served by a configuration
    that loads: it appears in any of the texts that decide the served hosts."""
    parsed = split_hostport(host_key)
    if parsed is None:
        return False
    texts = _deciding_texts()
    if texts is None:
        return True
    name = re.compile(rf"(?<![\w.-]){re.escape(parsed[0])}(?![\w-]|\.[\w-])", re.IGNORECASE)
    return any(name.search(text) for text in texts)


def _deciding_texts() -> list[str] | None:
    """The texts naming served hosts; None when the config file cannot be read (what it
    serves is unknown)."""
    texts = [DEFAULT_URL, os.environ.get("AQORA_URL", "")]
    try:
        raw = read_regular_file(config_file(), MAX_TEXT)
    except AqoraHelperError:
        return None
    texts.append("" if raw is None else raw.decode("utf-8", "replace"))
    from .known import logged_in_urls

    texts += logged_in_urls()
    try:
        index = read_private(index_path(), root=cache_root())
        hosts = loads(index).get("hosts") if index else None
    except (AqoraHelperError, ValueError, AttributeError):
        hosts = None
    texts += list(hosts) if isinstance(hosts, dict) else []
    return texts
