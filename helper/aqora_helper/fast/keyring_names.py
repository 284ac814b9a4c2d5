"""The keyring names our own sessions are stored under. Stdlib only (the keyring backend
checks every lookup against them).

A session is stored under service `SESSION_SERVICE`, username = the environment's base
URL; with `credsStore: aqora`, other registries' Docker credentials are stored under
`DOCKER_STORE_SERVICE` (engine/dockerstore.py). Both names hold a tab: every URL parser
(WHATWG, so uv; Python's `urlsplit`, so pip, twine and poetry) removes tabs, so no
service string a client derives from an index URL can equal them. `LEGACY_SERVICE` (a valid host name, so reachable from an index URL)
is where earlier versions stored sessions; the vault moves them on first use.

`names_own_storage` tells whether a lookup aims at any of these names, in any spelling a client
or a case-insensitive OS keyring could map to it (case, whitespace, percent-encoding,
scheme, userinfo, port, path, trailing dots): the keyring backend answers such a lookup
itself, with an empty secret, so that keyring's chainer never goes on to the OS keyring
that holds them.

`KeyringCallThread` (fast/keyring_call.py, apart so that checking a name imports
neither `threading` nor `re`) is the thread the engine calls the OS keyring in.
"""

SESSION_SERVICE = "aqora-helper\tsession"
LEGACY_SERVICE = "aqora-helper"
DOCKER_STORE_SERVICE = "aqora-helper\tdocker"  # other registries, `credsStore: aqora`
_RESERVED_HOSTS = frozenset({"aqora-helper", "aqora-helpersession", "aqora-helperdocker"})


def names_own_storage(service: object) -> bool:
    """True when `service` names (a spelling of) one of our storage services."""
    if not isinstance(service, str):
        return False
    if "%" in service:  # urllib.parse imports `re`: only when there is something to decode
        from urllib.parse import unquote

        service = unquote(service)
    text = "".join(c for c in service if c.isprintable() and not c.isspace())
    text = text.casefold()
    scheme_end = text.find("://")
    text = text[scheme_end + 3 :] if scheme_end >= 0 else text.lstrip("/")
    for stop in "/?#\\":
        text = text.split(stop, 1)[0]
    host = text.rsplit("@", 1)[-1]
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    return host.rstrip(".") in _RESERVED_HOSTS


def keyring_config_file() -> str:
    """keyring's `keyringrc.cfg` (its `platform_.config_root()`: Windows LOCALAPPDATA,
    elsewhere XDG), where a user selects a keyring backend."""
    import sys

    from . import lightos

    if sys.platform == "win32":
        local, shared = lightos.getenv("LOCALAPPDATA"), lightos.getenv("PROGRAMDATA")
        base = local if local is not None else shared if shared is not None else "."
        return lightos.join(base, "Python Keyring", "keyringrc.cfg")
    base = lightos.getenv("XDG_CONFIG_HOME") or lightos.join(lightos.home(), ".config")
    return lightos.join(base, "python_keyring", "keyringrc.cfg")
