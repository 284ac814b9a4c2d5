"""podman, buildah and skopeo (containers/image): ask docker-credential-aqora first.

These tools look for credentials in their `credential-helpers` (registries.conf) in
order; the default, `containers-auth.json`, reads `containers/auth.json` first (where
`podman login` and `skopeo login` write a static token) and only then
`~/.docker/config.json` and its `credHelpers`. So a login to a served host leaves a token
that outranks our helper and fails once it expires.

`setup docker` writes one drop-in, `~/.config/containers/registries.conf.d/
zz-aqora-helper.conf`, with `credential-helpers = ["aqora", <the list in effect before>]`:
the tools ask our helper first for every registry (it answers served hosts and says
"not found" for the others, so they go on), and `podman login` to a served host stores
through our helper (nothing is stored) instead of into auth.json. `--remove` deletes the
drop-in (and the folders setup created for it). Static entries that an earlier login
left for served hosts are reported with the command that clears them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import tomlkit

from ..fast import platform_shell
from ..fast.errors import AqoraHelperError
from ..fast.hostnames import served_key
from .common import REMOVED, UNCHANGED, WROTE, new_folders, outcome, preview, removed_because
from .dockerrecord import ConfigRecord
from .dockerrecord import load as load_record
from .dockerrecord import save as save_record
from .files import make_dirs, read_file, remove_file, write_file

HELPER = "aqora"
DEFAULT_HELPERS = ["containers-auth.json"]
DROPIN_NAME = "zz-aqora-helper.conf"  # drop-ins apply in name order: last word wins
MARKER = "# Written by 'aqora-helper setup docker'"
TOOLS = ("podman", "buildah", "skopeo")
MAX_BYTES = 1024 * 1024

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def config_dir() -> Path:
    """`~/.config/containers`, where containers/image reads a user's files."""
    return Path.home() / ".config" / "containers"


def dropin_path() -> Path:
    return config_dir() / "registries.conf.d" / DROPIN_NAME


def _toml(path: Path) -> dict[str, Any]:
    try:
        found = read_file(path, MAX_BYTES)
        return tomllib.loads(found[0].decode("utf-8")) if found else {}
    except (AqoraHelperError, OSError, ValueError):  # the tools refuse a broken file too
        return {}


def _conf_files() -> list[Path]:
    """The registries.conf files containers/image reads, in the order they apply: the
    main file (`CONTAINERS_REGISTRIES_CONF`, else the user's, else the system's), then
    the drop-ins (the system's only when the user has no main file), by name."""
    user_main = config_dir() / "registries.conf"
    env_main = os.environ.get("CONTAINERS_REGISTRIES_CONF")
    dirs = [config_dir() / "registries.conf.d"]
    if env_main:
        files = [Path(env_main)]
    elif user_main.exists():
        files = [user_main]
    else:
        files = [Path("/etc/containers/registries.conf")]
    if env_main or not user_main.exists():
        dirs.insert(0, Path("/etc/containers/registries.conf.d"))
    for folder in dirs:
        with contextlib.suppress(OSError):
            files += sorted(p for p in folder.iterdir() if p.name.endswith(".conf"))
    return files


def helpers_in_effect(skip_ours: bool = False) -> list[str]:
    """The `credential-helpers` list the containers tools use."""
    helpers = list(DEFAULT_HELPERS)
    for path in _conf_files():
        if skip_ours and path.name == DROPIN_NAME:
            continue
        value = _toml(path).get("credential-helpers")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            helpers = list(value)
    return helpers


def asks_aqora_first() -> bool:
    helpers = helpers_in_effect()
    return bool(helpers) and helpers[0] == HELPER


def dropin_text() -> str:
    """The drop-in: aqora, then the helpers in effect before. Written by a TOML writer
    (tomlkit: any helper name, one outside the Basic Multilingual Plane or with control
    characters included) and read back by a TOML parser before it is used."""
    helpers = [HELPER, *(h for h in helpers_in_effect(skip_ours=True) if h != HELPER)]
    document = tomlkit.document()
    document["credential-helpers"] = helpers
    text = (
        f"{MARKER}; '--remove' deletes it.\n"
        "# podman, buildah and skopeo ask docker-credential-aqora first: a static token\n"
        "# left in containers/auth.json by 'podman login' never outranks a fresh one.\n"
        + tomlkit.dumps(document)
    )
    try:
        same = tomllib.loads(text) == {"credential-helpers": helpers}
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise AqoraHelperError(
            f"Internal error while writing {dropin_path()}: the result is not the intended "
            "TOML; nothing was written",
            "Please report this; with podman, buildah or skopeo, log in with them meanwhile.",
        )
    return text


def check_dropin() -> None:
    """Raise SetupError when the drop-in's place holds what cannot be read (a FIFO, a
    device, a huge file): `setup docker` checks it before writing anything."""
    read_file(dropin_path(), MAX_BYTES)


def add_dropin(state_file: Path, hosts: list[str], dry_run: bool = False) -> list[str]:
    """Write the drop-in, showing it first (only that, with `dry_run`); the warnings
    (a foreign file in its place, static tokens of `hosts`)."""
    path = dropin_path()
    text = dropin_text()
    found = read_file(path, MAX_BYTES)
    warnings = [f"{line} (clear it: {fix})" for line, fix in static_entries(hosts)]
    if found is not None and not found[0].decode("utf-8", "replace").startswith(MARKER):
        return [f"{path} exists and was not written by aqora-helper; left alone", *warnings]
    if found is not None and found[0].decode("utf-8", "replace") == text:
        outcome(UNCHANGED, str(path), "podman, buildah, skopeo already ask aqora first")
        return warnings
    changes = [f"+ {line}" for line in text.splitlines()]
    if found is None:
        changes += new_folders(path)
    preview(str(path), changes, dry_run, new=found is None)
    if dry_run:
        outcome(WROTE, str(path), dry_run=True)
        return warnings
    state = load_record(state_file)
    record = state.configs.get(str(path))
    if record is None:
        record = ConfigRecord(created_file=True, created_dirs=make_dirs(path.parent))
    write_file(path, text.encode(), None if found is None else found[1], 0o644)
    state.configs[str(path)] = record
    save_record(state_file, state)
    outcome(WROTE, str(path), "podman, buildah, skopeo ask aqora first")
    return warnings


def remove_dropin(state_file: Path, dry_run: bool = False) -> None:
    """Delete the drop-in setup wrote, and the folders it created for it (showing that
    first; only that, with `dry_run`)."""
    path = dropin_path()
    state = load_record(state_file)
    record = state.configs.pop(str(path), None)
    found = read_file(path, MAX_BYTES)
    if found is None or not found[0].decode("utf-8", "replace").startswith(MARKER):
        if record is not None and not dry_run:
            save_record(state_file, state)
        return
    preview(str(path), ["delete the file (setup created it)"], dry_run)
    if dry_run:
        outcome(REMOVED, str(path), dry_run=True)
        return
    remove_file(path)
    gone: list[str] = []
    for directory in reversed(record.created_dirs if record else []):
        with contextlib.suppress(OSError):
            os.rmdir(directory)
            gone.append(directory)
    save_record(state_file, state)
    outcome(REMOVED, str(path), removed_because("setup had created it", gone))


def auth_files() -> list[Path]:
    """containers/auth.json files the tools read, in their order."""
    files = []
    if os.environ.get("REGISTRY_AUTH_FILE"):
        files.append(Path(os.environ["REGISTRY_AUTH_FILE"]))
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/containers/{os.getuid()}"
    files.append(Path(runtime) / "containers" / "auth.json")
    files.append(config_dir() / "auth.json")
    return list(dict.fromkeys(files))


def static_entries(hosts: list[str]) -> list[tuple[str, str]]:
    """(what, the shell command that clears it) for each static token of a served host."""
    tool = next((t for t in TOOLS if shutil.which(t)), "podman")
    found = []
    for path in auth_files():
        try:
            raw = read_file(path, MAX_BYTES)
            doc = json.loads(raw[0]) if raw else {}
        except (AqoraHelperError, OSError, ValueError):
            continue
        auths = doc.get("auths") if isinstance(doc, dict) else None
        for key, entry in (auths if isinstance(auths, dict) else {}).items():
            netloc = str(key).split("://", 1)[-1].split("/", 1)[0]
            if isinstance(entry, dict) and entry.get("auth") and served_key(netloc) in hosts:
                found.append(
                    (
                        f"static credentials for {netloc} in {path} (key '{key}', from "
                        "'podman login' or 'skopeo login')",
                        platform_shell.command(tool, "logout", "--authfile", str(path), key),
                    )
                )
    return found
