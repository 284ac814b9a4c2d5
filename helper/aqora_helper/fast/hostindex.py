"""The host index, `hosts.json`: which environment serves which host. Stdlib only.

The engine writes it, stamped with a fingerprint of everything that decides which
hosts are served (config file identity and the relevant environment variables);
`fast.credential` trusts it only while the stamp still matches. Loading never raises.
Its layout (`hostlookup`) lets a get read the one host line it needs, however many
environments the configuration holds.
"""

from . import lightos
from .hostlookup import INDEX_VERSION, HostIndex, load, render
from .hostnames import host_key
from .paths import cache_root, config_file
from .privatefiles import write_private

TYPE_CHECKING = False  # typing is not imported at run time (fast path)
if TYPE_CHECKING:
    from typing import Any, TypedDict

    class HostEntry(TypedDict):
        """A served host: its environment's URL, the username and git auth mode it is
        answered with, and the refresh skew."""

        url: str
        username: str
        git_auth: str
        skew: int

# INDEX_VERSION 2: the resolved settings, for a refresh without the config parser;
# 3: sorted host and environment lines, looked up by binary search (hostlookup).
# AQORA_HELPER_DATA_DIR (else XDG_DATA_HOME's folder) holds sessions.json (logged-in
# environments are served, and the only one is the default when nothing else names it);
# engine.known drops the index whenever it changes that list.
FINGERPRINT_ENV = (
    "AQORA_URL",
    "AQORA_ALLOW_INSECURE_HOST",
    "AQORA_HELPER_CONFIG",
    "AQORA_HELPER_DATA_DIR",
    "XDG_DATA_HOME",
)


def index_path() -> str:
    """Location of the served-host index."""
    return lightos.join(cache_root(), "hosts.json")


def fingerprint() -> str:
    """Identity of the inputs that decide which hosts are served."""
    path = config_file()
    try:
        st = lightos.stat(path)
        stamp = f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"
    except OSError:
        stamp = "absent"
    env = "|".join(f"{name}={lightos.getenv(name) or ''}" for name in FINGERPRINT_ENV)
    # Whether AQORA_TOKEN is set (never its value) decides the default environment too.
    token = "set" if (lightos.getenv("AQORA_TOKEN") or "").strip() else ""
    return f"{path}|{stamp}|{env}|AQORA_TOKEN:{token}"


def save_index(
    stamp: str,
    hosts: "dict[str, HostEntry]",
    default_url: str,
    skew: int,
    lock_timeout: float,
    settings: "dict[str, Any] | None" = None,
) -> None:
    """Write the host index (called by the engine with a fingerprint taken *before* it
    read the configuration, so a concurrent edit makes the index stale, not wrong).
    `settings`: the resolved settings (engine.settings.to_index) a refresh starts from;
    its environments are kept one line each, apart from the rest."""
    head = {
        "version": INDEX_VERSION,
        "fingerprint": stamp,
        "default_url": default_url,
        "skew": skew,
        "lock_timeout": lock_timeout,
    }
    shared = None if settings is None else dict(settings)
    recorded = None if shared is None else shared.pop("environments", None)
    environments = recorded if isinstance(recorded, dict) else {}
    sections = {"hosts": hosts, "environments": environments}
    write_private(index_path(), render(head, sections, shared), cache_root())


def drop_index() -> None:
    """Remove the index (the next miss rewrites it)."""
    import os  # not on the fast path

    try:
        os.remove(index_path())
    except FileNotFoundError:
        return


def load_index() -> HostIndex | None:
    """The index when it is current, else None. Its lookups raise
    `hostlookup.BrokenIndex` when the file turns out to be out of shape."""
    try:
        index = load(index_path(), cache_root())
    except Exception:
        return None
    if index is None or index.head.get("fingerprint") != fingerprint():
        return None
    return index


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
