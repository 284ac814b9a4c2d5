"""The Docker client config (`config.json`): where it is, and whether its `credsStore`
is aqora. Stdlib only: the docker door asks the second question (through
`credential.docker_store`) on the fast path; the engine's credentials store, the setup
editor and doctor take the path from here too, so it is computed in one place.
"""

from . import lightos

DOCKER_CONFIG_LIMIT = 16 * 1024 * 1024


def docker_config_file() -> str:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (as the docker CLI)."""
    base = (lightos.getenv("DOCKER_CONFIG") or "").strip()
    folder = lightos.expanduser(base) if base else lightos.join(lightos.home(), ".docker")
    return lightos.join(folder, "config.json")


def creds_store_is_aqora() -> bool:
    """True when the Docker config's `credsStore` is `aqora` (a config that is missing,
    not a regular file, over 16 MiB or not JSON says no)."""
    from .errors import AqoraHelperError
    from .jsonlite import loads
    from .privatefiles import read_regular_file

    try:
        raw = read_regular_file(docker_config_file(), DOCKER_CONFIG_LIMIT)
        doc = None if raw is None else loads(raw)
    except (AqoraHelperError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("credsStore") == "aqora"
