"""`aqora-helper setup docker`: route aqora's registries to `docker-credential-aqora`.

For each served host it adds `"credHelpers": {"<host>": "aqora"}` to the Docker client
config (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`). `credHelpers` is
per registry, so every other registry keeps the user's `credsStore` or `auths`.
`--creds-store` also sets `"credsStore": "aqora"` (`credsstore`): aqora-helper then keeps
every other registry's credentials too, in the store it replaced or the OS keyring.
Both modes also cover podman, buildah and skopeo (`containers`).

The file is edited as text (`credhelpers`, over `jsontext`), not re-serialised: new entries are appended in
the style of the file, everything else keeps its bytes, and the result is checked to
parse to exactly the intended document before it replaces the file atomically (`files`),
with the original mode (and owner, when run as root). A symlinked config is edited at
its target.

What setup changed is recorded, without any of the file's content, in a small private
record (`dockerrecord`, `<data dir>/docker-setup.json`): which entries it added or
replaced (with the replaced helper name), whether it created the file, its directory or
the `credHelpers` key. `--remove` undoes exactly that, so setup followed by `--remove`
restores the original bytes. Without a record (state lost), `--remove` removes every
entry whose value is `aqora` (in the selected environment when --url is given).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..engine.errors import ConfigError
from ..fast.dockerconfig import docker_config_file
from ..fast.hostnames import served_key
from .common import (
    REMOVED,
    UNCHANGED,
    WROTE,
    add_served_hosts,
    new_folders,
    outcome,
    preview,
    removed_because,
    warn_missing_program,
)
from .containers import add_dropin, check_dropin, remove_dropin
from .credhelpers import (
    HELPER,
    KEY,
    append_helpers,
    check_helpers,
    drop_helpers_key,
    replace_helper,
    top_object,
    undo_helper,
    verify,
)
from .credsstore import KEY as STORE_KEY
from .credsstore import check_store, set_store, undo_store
from .dockerrecord import ConfigRecord
from .dockerrecord import load as load_record
from .dockerrecord import save as save_record
from .files import make_dirs, read_file, real_path, remove_file, write_file

MAX_CONFIG_BYTES = 16 * 1024 * 1024


def configure(
    hosts_given: list[str] | None, url: str | None, remove: bool, creds_store: bool, dry_run: bool
) -> list[str]:
    """`setup docker`: route `hosts_given` (default: the served hosts of `url`, else of
    every environment) to aqora in the Docker config and the containers drop-in (with
    `creds_store`, make aqora the credsStore too), or undo that (`remove`), showing the
    changes first (only them, with `dry_run`); the warnings to show."""
    path = Path(docker_config_file())
    if remove:
        # without --url no configuration is needed: a broken config must not block undoing
        scope = hosts_given or (None if url is None else selected_hosts(url))
        _, warnings = remove_entries(path, scope, dry_run)
        if scope is None:  # the drop-in serves every environment
            remove_dropin(state_path(), dry_run)
        return warnings
    found = _read(path)  # refused before config.toml gets a host: bad input changes nothing
    if creds_store and found is not None:
        check_store(path, found[0])
    check_dropin()  # and before config.json is written: a FIFO there is refused first
    hosts = add_served_hosts(url, hosts_given, dry_run) if hosts_given else selected_hosts(url)
    if hosts and not hosts_given and set(hosts) <= api_hosts():
        raise ConfigError(
            f"No registry host is configured: {', '.join(hosts)} is aqora's API, not a "
            "container registry",
            "Name the registry aqora gave you: aqora-helper setup docker "
            "'<registry host from aqora>' (it is added to the environment's hosts).",
        )
    if not hosts:
        raise ConfigError(
            "No served hosts to configure",
            "Name the registries: 'aqora-helper setup docker registry.example', or log "
            "in first.",
        )
    _, warnings = add_entries(path, hosts, creds_store, dry_run)
    warnings += add_dropin(state_path(), hosts, dry_run)
    warn_missing_program("docker-credential-aqora", "Docker, skopeo and docker-py")
    return warnings


# ------------------------------------------------------------------ what and where


def selected_hosts(url: str | None) -> list[str]:
    """Served host keys of the environment `url` (or of every environment), in order."""
    from ..engine.served import served_hosts

    served = served_hosts()
    if url is not None:
        served = [h for h in served if _same_url(h.env_url, url)]
        if not served:
            raise ConfigError(
                f"No environment {url} serves any host",
                "Check --url against 'aqora-helper status' and the config file.",
            )
    return list(dict.fromkeys(host.key for host in served))


def api_hosts() -> set[str]:
    """The host keys of the environments' API URLs (served, but not registries)."""
    from ..engine.served import served_hosts

    keys = {served_key(urlsplit(host.env_url).netloc) for host in served_hosts()}
    return {key for key in keys if key is not None}


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def state_path() -> Path:
    """The private record of what setup changed."""
    from ..engine.datadir import data_dir

    return data_dir() / "docker-setup.json"


# ------------------------------------------------------------------ reading and checking


def _read(path: Path) -> tuple[str, os.stat_result] | None:
    """The config's text and status (None when absent), refused unless it is a JSON
    object with at most one `credHelpers`, an object of strings without repeated keys."""
    found = read_file(path, MAX_CONFIG_BYTES)
    if found is None:
        return None
    data, status = found
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except ValueError:  # also UnicodeDecodeError
        raise ConfigError(
            f"{path} is not valid JSON",
            f"Fix {path} (Docker cannot read it either), then run this again.",
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} is not a JSON object", f"Fix {path}, then run this again.")
    check_helpers(path, text, doc)
    return text, status


def _creds_store_warning(path: Path, doc: dict[str, Any], record: ConfigRecord | None) -> list[str]:
    if doc.get("credsStore") == HELPER and (record is None or not record.store_changed):
        return [
            f"{path}: 'credsStore' is {HELPER!r} but was not set by 'aqora-helper setup "
            "docker --creds-store': other registries' credentials go to the OS keyring, "
            "and no previous store is recorded to go back to."
        ]
    return []


# ------------------------------------------------------------------ writing


def _write(path: Path, text: str, old: os.stat_result | None) -> None:
    """Replace `path` by `text` atomically, keeping the old file's mode and owner (0600
    for a new file)."""
    write_file(path, text.encode("utf-8"), old, 0o600)


def _remove_created(path: Path, record: ConfigRecord) -> list[str]:
    """Delete the config file and then the (empty) directories that setup created for
    it; the directories deleted."""
    remove_file(path)
    removed: list[str] = []
    for directory in reversed(record.created_dirs):
        with contextlib.suppress(OSError):
            os.rmdir(directory)
            removed.append(directory)
    return removed


# ------------------------------------------------------------------ setup


def add_entries(
    config: Path, hosts: list[str], creds_store: bool = False, dry_run: bool = False
) -> tuple[list[str], list[str]]:
    """Add `credHelpers[host] = "aqora"` for each host (and, with `creds_store`,
    `credsStore = "aqora"`), showing the changes first (only them, with `dry_run`);
    (report lines, warnings)."""
    path = real_path(config)
    state = load_record(state_path())
    found = _read(path)
    if found is None:
        text, old_stat, record = "{}", None, ConfigRecord(created_file=True)
    else:
        text, old_stat = found
        record = state.configs.get(str(path)) or ConfigRecord()
    doc: dict[str, Any] = json.loads(text)
    warnings = [] if creds_store else _creds_store_warning(path, doc, record)
    lines: list[str] = []

    top = top_object(path, text)
    if not top.members and record.top_inner is None and not record.created_file:
        record.top_inner = top.inner(text)
    helpers: dict[str, str] = dict(doc.get(KEY) or {})
    to_add: list[str] = []
    for host in dict.fromkeys(hosts):
        current = helpers.get(host)
        if current == HELPER:
            lines.append(f"unchanged: {KEY}[{host!r}] is already {HELPER!r}")
        elif current is None:
            to_add.append(host)
        else:
            warnings.append(
                f"{KEY}[{host!r}] was {current!r} in {path}; now {HELPER!r} "
                "('--remove' puts it back)"
            )
            text = replace_helper(path, text, host, record)
            helpers[host] = HELPER
            lines.append(f"replace: {KEY}[{host!r}] = {current!r} by {HELPER!r}")
    if to_add:
        text = append_helpers(path, text, to_add, record)
        for host in to_add:
            helpers[host] = HELPER
            record.add(host)
            lines.append(f"add: {KEY}[{host!r}] = {HELPER!r}")

    expected = dict(doc)
    if helpers or KEY in doc:
        expected[KEY] = helpers
    if creds_store and dry_run:
        if doc.get(STORE_KEY) != HELPER:
            lines.append(f"set: {STORE_KEY} = {HELPER!r}")
    elif creds_store:
        text, more = set_store(path, text, record)
        lines += more
        expected[STORE_KEY] = HELPER
    verify(path, text, expected)
    if found is None:
        lines += new_folders(path)
    write = _announce(path, lines, found is None or text != found[0], dry_run, found is None)
    if dry_run:
        return lines, warnings
    if write and found is None:
        record.created_dirs = make_dirs(path.parent)
        _write(path, text, None)
    elif write:
        _write(path, text, old_stat)
    # saved even when nothing changed: entries that were already there are not ours
    state.configs[str(path)] = record
    save_record(state_path(), state)
    if write:
        outcome(WROTE, str(path))
    return lines, warnings


def _announce(
    path: Path, lines: list[str], changed: bool, dry_run: bool, new: bool = False
) -> bool:
    """Show what will change in `path` (or that nothing does); True when it is to be
    written now."""
    if not changed:
        outcome(UNCHANGED, str(path), "; ".join(line.removeprefix("unchanged: ") for line in lines))
        return False
    preview(str(path), lines, dry_run, new)
    if dry_run:
        outcome(WROTE, str(path), dry_run=True)
    return not dry_run


# ------------------------------------------------------------------ remove


def remove_entries(
    config: Path, hosts: list[str] | None, dry_run: bool = False
) -> tuple[list[str], list[str]]:
    """Undo `add_entries` (for `hosts` only when given), showing the changes first (only
    them, with `dry_run`); (report lines, warnings)."""
    path = real_path(config)
    state = load_record(state_path())
    record = state.configs.get(str(path))
    found = _read(path)
    if found is None:
        if record is not None and not dry_run:
            del state.configs[str(path)]
            save_record(state_path(), state)
        outcome(UNCHANGED, str(path), "does not exist")
        return [f"unchanged: {path} does not exist"], []
    text, old_stat = found
    doc: dict[str, Any] = json.loads(text)
    warnings = _creds_store_warning(path, doc, record)
    lines: list[str] = []
    if record is not None and hosts is None and dry_run:
        if record.store_changed and doc.get(STORE_KEY) == HELPER:
            lines.append(f"undo: {STORE_KEY} = {HELPER!r} (set by --creds-store)")
    elif record is not None and hosts is None:
        text, lines = undo_store(path, text, record)
        doc = json.loads(text)
    helpers: dict[str, str] = dict(doc.get(KEY) or {})
    ours, more = _entries_to_undo(path, helpers, record, hosts)
    lines += more

    for host in ours:
        text, old = undo_helper(path, text, host, record)
        if old is not None:
            helpers[host] = old
            lines.append(f"restore: {KEY}[{host!r}] = {old!r}")
        else:
            del helpers[host]
            lines.append(f"remove: {KEY}[{host!r}]")

    expected = dict(doc)
    if KEY in expected:
        expected[KEY] = helpers
    if record is not None and record.created_key and not helpers and KEY in doc:
        text = drop_helpers_key(path, text, record)
        del expected[KEY]
    verify(path, text, expected)

    delete_file = record is not None and record.created_file and not expected
    if delete_file:
        lines.append("delete the file (setup created it)")
    if not lines:
        lines.append(f"unchanged: no {KEY} entries of aqora-helper")
    if _announce(path, lines, delete_file or text != found[0], dry_run):
        if record is not None and delete_file:
            gone = _remove_created(path, record)
            outcome(REMOVED, str(path), removed_because("setup had created it", gone))
        else:
            _write(path, text, old_stat)
            outcome(WROTE, str(path))
    if record is not None and not dry_run:
        if delete_file or not (record.hosts or record.store_changed):
            del state.configs[str(path)]
        save_record(state_path(), state)
    return lines, warnings


def _entries_to_undo(
    path: Path, helpers: dict[str, str], record: ConfigRecord | None, hosts: list[str] | None
) -> tuple[list[str], list[str]]:
    """(hosts whose entry to undo, report lines). With a record, only entries setup
    wrote and still `aqora`; the record forgets entries changed since."""

    def in_scope(host: str) -> bool:
        return hosts is None or host in hosts

    ours = [h for h, v in helpers.items() if v == HELPER and in_scope(h)]
    if record is None:
        return ours, []
    lines: list[str] = []
    recorded = record.hosts
    for host in ours:
        if host not in recorded:
            lines.append(
                f"left alone: {KEY}[{host!r}] in {path} (not added by "
                "'aqora-helper setup docker'; remove it by hand if you wish)"
            )
    for host in sorted(recorded):
        if in_scope(host) and helpers.get(host) not in (HELPER, None):
            lines.append(f"left alone: {KEY}[{host!r}] in {path} was changed since setup")
        if in_scope(host) and helpers.get(host) != HELPER:
            record.forget(host)
    return [h for h in ours if h in recorded], lines
