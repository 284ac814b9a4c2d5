"""`aqora-helper setup docker`: route aqora's registries to `docker-credential-aqora`.

For each served host it adds `"credHelpers": {"<host>": "aqora"}` to the Docker client
config (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`). `credHelpers` is
per registry, so every other registry keeps the user's `credsStore` or `auths`.
`--creds-store` also sets `"credsStore": "aqora"` (`credsstore`): aqora-helper then keeps
every other registry's credentials too, in the store it replaced or the OS keyring.
Both modes also cover podman, buildah and skopeo (`containers`).

The file is edited as text (`jsontext`), not re-serialised: new entries are appended in
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ..fast.errors import AqoraHelperError, ConfigError, StorageFailure
from .common import (
    REMOVED,
    UNCHANGED,
    WROTE,
    DryRun,
    new_folders,
    outcome,
    preview,
    removed_because,
)
from .credsstore import KEY as STORE_KEY
from .credsstore import set_store, undo_store
from .dockerrecord import ConfigRecord
from .dockerrecord import load as load_record
from .dockerrecord import save as save_record
from .files import read_file, real_path, remove_file, write_file
from .jsontext import (
    JsonObject,
    JsonTextError,
    Member,
    Style,
    append_members,
    member_object,
    remove_member,
    render_member,
    replace_value,
    scan_top,
)

HELPER = "aqora"
HELPER_JSON = json.dumps(HELPER)
KEY = "credHelpers"
MAX_CONFIG_BYTES = 16 * 1024 * 1024


def command(
    hosts_given: list[str] | None = typer.Argument(
        None,
        metavar="HOST",
        help="Registry hosts to configure; one not yet served is added to the hosts of "
        "the environment (--url, else the default) in the config file. Default: every "
        "served host.",
        show_default=False,
    ),
    url: str | None = typer.Option(
        None,
        "--url",
        help="Environment whose hosts to configure (default: every environment).",
        metavar="URL",
    ),
    remove: bool = typer.Option(False, "--remove", help="Remove the entries instead."),
    dry_run: DryRun = False,
    creds_store: bool = typer.Option(
        False,
        "--creds-store",
        help="Also make aqora Docker's credsStore: other registries go to the previous "
        "store, or the OS keyring when there was none.",
    ),
) -> None:
    """Point Docker, podman and skopeo at docker-credential-aqora for aqora registries."""
    from .common import add_served_hosts, warn_missing_program
    from .containers import add_dropin, check_dropin, remove_dropin

    path = docker_config_path()
    if remove:
        # without --url no configuration is needed: a broken config must not block undoing
        scope = hosts_given or (None if url is None else selected_hosts(url))
        _, warnings = remove_entries(path, scope, dry_run)
        if scope is None:  # the drop-in serves every environment
            remove_dropin(state_path(), dry_run)
    else:
        _read(path)  # refused before config.toml gets a host: bad input changes nothing
        check_dropin()  # and before config.json is written: a FIFO there is refused first
        hosts = add_served_hosts(url, hosts_given, dry_run) if hosts_given else selected_hosts(url)
        if not hosts:
            raise ConfigError(
                "No served hosts to configure",
                "Name the registries: 'aqora-helper setup docker registry.example', or log "
                "in first.",
            )
        _, warnings = add_entries(path, hosts, creds_store, dry_run)
        warnings += add_dropin(state_path(), hosts, dry_run)
        warn_missing_program("docker-credential-aqora", "Docker, skopeo and docker-py")
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


# ------------------------------------------------------------------ what and where


def selected_hosts(url: str | None) -> list[str]:
    """Served host keys of the environment `url` (or of every environment), in order."""
    from ..engine import served as broker

    served = broker.served_hosts()
    if url is not None:
        served = [h for h in served if _same_url(h.env_url, url)]
        if not served:
            raise ConfigError(
                f"No environment {url} serves any host",
                "Check --url against 'aqora-helper status' and the config file.",
            )
    return list(dict.fromkeys(host.key for host in served))


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def docker_config_path() -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (as the docker CLI)."""
    from ..engine.dockerstore import docker_config_path as config_path

    return config_path()


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
    _check(path, text, doc)
    return text, status


def _check(path: Path, text: str, doc: dict[str, Any]) -> None:
    if len(_top(path, text).find(KEY)) > 1:
        raise ConfigError(f"{path}: the key {KEY!r} appears more than once", _edit_hint(path))
    helpers = doc.get(KEY)
    if helpers is None:
        return
    if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
        raise ConfigError(
            f"{path}: {KEY!r} must be an object of registry -> helper name", _edit_hint(path)
        )
    keys = [m.key for m in _helpers(path, text).obj.members]
    if len(keys) != len(set(keys)):
        raise ConfigError(
            f"{path}: a registry appears more than once in {KEY!r}", _edit_hint(path)
        )


def _edit_hint(path: Path) -> str:
    return (
        f"Edit {path} so that {KEY!r} is one object naming each registry once, then run "
        "this again."
    )


def _creds_store_warning(path: Path, doc: dict[str, Any], record: ConfigRecord | None) -> list[str]:
    if doc.get("credsStore") == HELPER and (record is None or not record.store_changed):
        return [
            f"{path}: 'credsStore' is {HELPER!r} but was not set by 'aqora-helper setup "
            "docker --creds-store': other registries' credentials go to the OS keyring, "
            "and no previous store is recorded to go back to."
        ]
    return []


# ------------------------------------------------------------------ editing the text


def _internal_error(path: Path) -> AqoraHelperError:
    return AqoraHelperError(
        f"Internal error while editing {path}: the result did not match; nothing was written",
        f"Please report this; edit {KEY!r} by hand meanwhile.",
    )


@dataclass(frozen=True)
class _Helpers:
    """Where `credHelpers` is in the text being edited."""

    top: JsonObject
    index: int  # of the member `credHelpers` in `top`
    obj: JsonObject

    def member(self, path: Path, host: str) -> tuple[int, Member]:
        found = self.obj.find(host)
        if len(found) != 1:
            raise _internal_error(path)
        return found[0], self.obj.members[found[0]]


def _top(path: Path, text: str) -> JsonObject:
    """The top object of a text known to be a JSON object."""
    try:
        return scan_top(text)
    except JsonTextError:
        raise _internal_error(path) from None


def _find_helpers(path: Path, text: str, top: JsonObject) -> _Helpers | None:
    """`credHelpers` in `top`, when present (its value known to be an object)."""
    found = top.find(KEY)
    if not found:
        return None
    try:
        return _Helpers(top, found[0], member_object(text, top, found[0]))
    except JsonTextError:
        raise _internal_error(path) from None


def _helpers(path: Path, text: str) -> _Helpers:
    """`credHelpers` of the text, which must have it."""
    found = _find_helpers(path, text, _top(path, text))
    if found is None:
        raise _internal_error(path)
    return found


def _replace_helper(path: Path, text: str, host: str, record: ConfigRecord) -> str:
    """Point `host` to aqora, recording the value it had."""
    _, member = _helpers(path, text).member(path, host)
    record.replaced.setdefault(host, text[member.value_start : member.value_end])
    return replace_value(text, member, HELPER_JSON)


def _append_helpers(path: Path, text: str, hosts: list[str], record: ConfigRecord) -> str:
    """Add `host: aqora` entries, creating `credHelpers` when it is missing."""
    top = _top(path, text)
    helpers = _find_helpers(path, text, top)
    style = Style.of(text, top)
    if helpers is None:
        record.created_key = True
        nested = [render_member(h, HELPER_JSON, style.colon) for h in hosts]
        member = render_member(KEY, style.render_object(nested, 1), style.colon)
        return append_members(text, top, [member], style, 0)
    if not helpers.obj.members and record.helpers_inner is None:
        record.helpers_inner = helpers.obj.inner(text)
    colon = helpers.obj.colon(text, style.colon)
    rendered = [render_member(h, HELPER_JSON, colon) for h in hosts]
    return append_members(text, helpers.obj, rendered, style, 1)


def _undo_helper(
    path: Path, text: str, host: str, record: ConfigRecord | None
) -> tuple[str, str | None]:
    """Put back the value setup replaced, or remove the entry; (text, old value)."""
    helpers = _helpers(path, text)
    index, member = helpers.member(path, host)
    raw = None if record is None else record.replaced.get(host)
    if record is not None:
        record.forget(host)
    if raw is not None:
        return replace_value(text, member, raw), str(json.loads(raw))
    inner = (record.helpers_inner if record is not None else None) or ""
    return remove_member(text, helpers.obj, index, inner), None


def _drop_helpers_key(path: Path, text: str, record: ConfigRecord) -> str:
    """Remove the (now empty) `credHelpers` that setup created."""
    helpers = _helpers(path, text)
    return remove_member(text, helpers.top, helpers.index, record.top_inner or "")


def _verify(path: Path, text: str, expected: dict[str, Any]) -> None:
    """The edited text must parse to exactly the intended document."""
    try:
        got = json.loads(text)
    except ValueError:
        got = None
    if not isinstance(got, dict) or got != expected or list(got) != list(expected):
        raise _internal_error(path)


# ------------------------------------------------------------------ writing


def _write(path: Path, text: str, old: os.stat_result | None) -> None:
    """Replace `path` by `text` atomically, keeping the old file's mode and owner (0600
    for a new file)."""
    write_file(path, text.encode("utf-8"), old, 0o600)


def _make_dirs(directory: Path) -> list[str]:
    """Create `directory` (0700) and missing parents; the ones created, outermost first."""
    missing: list[Path] = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    created: list[str] = []
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StorageFailure(str(d), exc.strerror or str(exc)) from None
        created.append(str(d))
    return created


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

    top = _top(path, text)
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
            text = _replace_helper(path, text, host, record)
            helpers[host] = HELPER
            lines.append(f"replace: {KEY}[{host!r}] = {current!r} by {HELPER!r}")
    if to_add:
        text = _append_helpers(path, text, to_add, record)
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
    _verify(path, text, expected)
    if found is None:
        lines += new_folders(path)
    write = _announce(path, lines, found is None or text != found[0], dry_run, found is None)
    if dry_run:
        return lines, warnings
    if write and found is None:
        record.created_dirs = _make_dirs(path.parent)
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
        text, old = _undo_helper(path, text, host, record)
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
        text = _drop_helpers_key(path, text, record)
        del expected[KEY]
    _verify(path, text, expected)

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
