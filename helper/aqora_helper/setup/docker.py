"""`aqora-helper setup docker`: route aqora's registries to `docker-credential-aqora`.

For each served host it adds `"credHelpers": {"<host>": "aqora"}` to the Docker client
config (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`). `credHelpers` is
per registry, so every other registry keeps the user's `credsStore` or `auths`;
`credsStore` is never set (aqora-helper serves only aqora hosts).

The file is edited as text, not re-serialised: new entries are appended in the style
of the file (indentation, newline, spacing around `:`), everything else keeps its bytes,
and the result is checked to parse to exactly the intended document before it replaces
the file atomically (temp file in the same directory, fsync, rename), with the original
mode (and owner, when run as root). A symlinked config is edited at its target.

What setup changed is recorded, without any of the file's content, in a small private
state file (`<data dir>/docker-setup.json`): which entries it added or replaced (with
the replaced helper name), whether it created the file, its directory or the
`credHelpers` key. `--remove` undoes exactly that, so setup followed by `--remove`
restores the original bytes. Without a record (state lost), `--remove` removes every
entry whose value is `aqora` (in the selected environment when --url is given).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from ..fast.atomicfile import replace_file
from ..fast.errors import AqoraHelperError, ConfigError, StorageFailure

HELPER = "aqora"
KEY = "credHelpers"
STATE_VERSION = 1
MAX_CONFIG_BYTES = 16 * 1024 * 1024
_WS = " \t\n\r"
# (text, index after the opening quote) -> (string, index after the closing quote)
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def command(
    url: str | None = typer.Option(
        None, "--url", help="Environment whose hosts to configure (default: every environment)."
    ),
    remove: bool = typer.Option(False, "--remove", help="Remove the entries instead."),
) -> None:
    """Make Docker clients get aqora registry credentials from docker-credential-aqora."""
    path = docker_config_path()
    if remove:
        # without --url no configuration is needed: a broken config must not block undoing
        lines, warnings = remove_entries(path, None if url is None else selected_hosts(url))
    else:
        hosts = selected_hosts(url)
        if not hosts:
            raise ConfigError(
                "No served hosts to configure",
                'Add \'hosts = ["registry.example"]\' under [environments."<url>"] in the '
                "config file, or log in first.",
            )
        lines, warnings = add_entries(path, hosts)
    for line in lines:
        typer.echo(line)
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
    keys: list[str] = []
    for host in served:
        if host.key not in keys:
            keys.append(host.key)
    return keys


def _same_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def docker_config_path() -> Path:
    """`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (as the docker CLI)."""
    base = os.environ.get("DOCKER_CONFIG", "").strip()
    directory = Path(base).expanduser() if base else Path.home() / ".docker"
    return directory / "config.json"


def state_path() -> Path:
    """The private record of what setup changed."""
    from ..engine.datadir import data_dir

    return data_dir() / "docker-setup.json"


# ------------------------------------------------------------------ JSON text scanning


@dataclass
class Member:
    """One `"key": value` of an object, as offsets into the text."""

    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int


@dataclass
class Obj:
    """An object: offsets of its braces and its members."""

    open: int
    close: int
    members: list[Member] = field(default_factory=list)

    def find(self, key: str) -> list[int]:
        return [i for i, m in enumerate(self.members) if m.key == key]


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def scan_object(text: str, pos: int) -> Obj:
    """Scan the object starting at `text[pos] == "{"` (text already known to be JSON)."""
    decoder = json.JSONDecoder()
    obj = Obj(pos, -1)
    i = _skip_ws(text, pos + 1)
    if text[i] == "}":
        obj.close = i
        return obj
    while True:
        key, key_end = scanstring(text, i + 1)
        j = _skip_ws(text, key_end)
        value_start = _skip_ws(text, j + 1)  # past ':'
        _, value_end = decoder.raw_decode(text, value_start)
        obj.members.append(Member(key, i, key_end, value_start, value_end))
        k = _skip_ws(text, value_end)
        if text[k] == "}":
            obj.close = k
            return obj
        i = _skip_ws(text, k + 1)  # past ','


def scan_top(text: str) -> Obj:
    """The top-level object."""
    return scan_object(text, _skip_ws(text, 0))


def helpers_obj(text: str, top: Obj) -> tuple[int, Obj] | None:
    """(member index, object) of `credHelpers`, or None when absent."""
    found = top.find(KEY)
    if not found:
        return None
    member = top.members[found[0]]
    return found[0], scan_object(text, member.value_start)


@dataclass
class Style:
    """How the file lays out objects, learned from its top-level object."""

    multiline: bool = True
    newline: str = "\n"
    indent: str = "\t"
    colon: str = ": "
    lead: str = ""
    trail: str = ""
    joiner: str = ", "

    @classmethod
    def of(cls, text: str, top: Obj) -> Style:
        if not top.members:
            return cls()
        first, last = top.members[0], top.members[-1]
        lead = text[top.open + 1 : first.key_start]
        colon = text[first.key_end : first.value_start]
        if "\n" in lead:
            newline = "\r\n" if "\r\n" in lead else "\n"
            return cls(True, newline, lead.rsplit("\n", 1)[1], colon)
        if len(top.members) > 1:
            joiner = text[first.value_end : top.members[1].key_start]
        else:
            joiner = ", " if (lead or " " in colon) else ","
        return cls(False, "\n", "", colon, lead, text[last.value_end : top.close], joiner)

    def empty_inner(self, members: list[str], depth: int) -> str:
        """The inside of a new object at `depth` (0 = top level) holding `members`."""
        if not self.multiline:
            return self.lead + self.joiner.join(members) + self.trail
        inner = self.newline + self.indent * (depth + 1)
        return inner + ("," + inner).join(members) + self.newline + self.indent * depth


def append_members(text: str, obj: Obj, members: list[str], style: Style, depth: int) -> str:
    """Text with `members` (already rendered) appended to `obj`."""
    if not members:
        return text
    if not obj.members:
        return text[: obj.open + 1] + style.empty_inner(members, depth) + text[obj.close :]
    if len(obj.members) > 1:
        joiner = text[obj.members[-2].value_end : obj.members[-1].key_start]
    else:
        joiner = "," + text[obj.open + 1 : obj.members[0].key_start]
    end = obj.members[-1].value_end
    return text[:end] + "".join(joiner + m for m in members) + text[end:]


def remove_member(text: str, obj: Obj, index: int, empty_inner: str = "") -> str:
    """Text without member `index` of `obj` (and its separator)."""
    members = obj.members
    if len(members) == 1:
        return text[: obj.open + 1] + empty_inner + text[obj.close :]
    if index > 0:
        return text[: members[index - 1].value_end] + text[members[index].value_end :]
    return text[: members[0].key_start] + text[members[1].key_start :]


def render_member(key: str, value_text: str, colon: str) -> str:
    return json.dumps(key) + colon + value_text


# ------------------------------------------------------------------ state record


def _load_state() -> dict[str, Any]:
    from ..fast.privatefiles import read_private

    try:
        raw = read_private(state_path())
        data = json.loads(raw) if raw else None
    except (ValueError, AqoraHelperError):
        data = None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {"version": STATE_VERSION, "configs": {}}
    if not isinstance(data.get("configs"), dict):
        data["configs"] = {}
    return data


def _save_state(state: dict[str, Any]) -> None:
    from ..fast.privatefiles import remove_private, write_private

    if state["configs"]:
        write_private(state_path(), json.dumps(state, indent=1, sort_keys=True).encode())
    else:
        with contextlib.suppress(AqoraHelperError):
            remove_private(state_path())


def _new_record() -> dict[str, Any]:
    return {
        "created_file": False,
        "created_dirs": [],
        "created_key": False,
        "top_inner": None,
        "helpers_inner": None,
        "added": [],
        "replaced": {},
    }


# ------------------------------------------------------------------ file I/O


def _target(path: Path) -> Path:
    """The file to edit: a symlinked config is edited at its target."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _read(path: Path) -> tuple[str, os.stat_result] | None:
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except ValueError:
        raise ConfigError(
            f"{path} is not valid JSON",
            "Fix the file (Docker cannot read it either), then run this again.",
        ) from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path} is not a JSON object", "Fix the file, then run this again.")
    _check(path, text, doc)
    return text, st


def _check(path: Path, text: str, doc: dict[str, Any]) -> None:
    top = scan_top(text)
    if len(top.find(KEY)) > 1:
        raise ConfigError(f"{path}: the key {KEY!r} appears more than once")
    helpers = doc.get(KEY)
    if helpers is None:
        return
    if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
        raise ConfigError(f"{path}: {KEY!r} must be an object of registry -> helper name")
    found = helpers_obj(text, top)
    if found is not None:
        keys = [m.key for m in found[1].members]
        if len(keys) != len(set(keys)):
            raise ConfigError(f"{path}: a registry appears more than once in {KEY!r}")


def _write_atomic(path: Path, text: str, old: os.stat_result | None) -> None:
    """Replace `path` by `text` atomically, keeping the old file's mode and owner (0600
    for a new file)."""
    mode = stat.S_IMODE(old.st_mode) if old is not None else 0o600
    try:
        replace_file(path, text.encode("utf-8"), mode, old)
    except OSError as exc:
        raise StorageFailure(str(path), exc.strerror or str(exc)) from None


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


def _verify(path: Path, text: str, expected: dict[str, Any]) -> None:
    """The edited text must parse to exactly the intended document."""
    try:
        got = json.loads(text)
    except ValueError:
        got = None
    if got != expected or list(got) != list(expected):
        raise AqoraHelperError(
            f"Internal error while editing {path}: the result did not match; nothing was written",
            "Please report this; edit 'credHelpers' by hand meanwhile.",
        )


def _creds_store_warning(path: Path, doc: dict[str, Any]) -> list[str]:
    if doc.get("credsStore") == HELPER:
        return [
            f"{path}: 'credsStore' is {HELPER!r}, so Docker asks aqora-helper for every "
            "registry, but it serves only aqora hosts: set 'credsStore' back to your usual "
            "store (or remove it); 'credHelpers' already routes the aqora hosts."
        ]
    return []


# ------------------------------------------------------------------ setup


def add_entries(config: Path, hosts: list[str]) -> tuple[list[str], list[str]]:
    """Add `credHelpers[host] = "aqora"` for each host; (report lines, warnings)."""
    path = _target(config)
    state = _load_state()
    found = _read(path)
    lines: list[str] = []
    warnings: list[str] = []
    created_dirs: list[str] = []
    if found is None:
        text, old_stat = "{}", None
        record = _new_record()
        record["created_file"] = True
    else:
        text, old_stat = found
        record = state["configs"].get(str(path)) or _new_record()
    doc: dict[str, Any] = json.loads(text)
    warnings += _creds_store_warning(path, doc)

    top = scan_top(text)
    style = Style.of(text, top)
    if not top.members and record["top_inner"] is None and not record["created_file"]:
        record["top_inner"] = text[top.open + 1 : top.close]
    helpers: dict[str, str] = dict(doc.get(KEY) or {})
    to_add: list[str] = []
    for host in hosts:
        current = helpers.get(host)
        if current == HELPER:
            lines.append(f"unchanged: {KEY}[{host!r}] is already {HELPER!r} in {path}")
        elif current is None:
            to_add.append(host)
        else:
            warnings.append(
                f"{KEY}[{host!r}] was {current!r} in {path}; now {HELPER!r} "
                "('--remove' puts it back)"
            )
            found_h = helpers_obj(text, top)
            assert found_h is not None
            member = found_h[1].members[found_h[1].find(host)[0]]
            record["replaced"].setdefault(host, text[member.value_start : member.value_end])
            text = text[: member.value_start] + json.dumps(HELPER) + text[member.value_end :]
            top = scan_top(text)
            helpers[host] = HELPER
            lines.append(f"replaced: {KEY}[{host!r}] = {HELPER!r} in {path}")

    if to_add:
        found_h = helpers_obj(text, top)
        if found_h is None:
            nested = [render_member(h, json.dumps(HELPER), style.colon) for h in to_add]
            obj_text = "{" + style.empty_inner(nested, 1) + "}"
            text = append_members(text, top, [render_member(KEY, obj_text, style.colon)], style, 0)
            record["created_key"] = True
        else:
            _, hobj = found_h
            colon = (
                text[hobj.members[0].key_end : hobj.members[0].value_start]
                if hobj.members
                else style.colon
            )
            if not hobj.members and record["helpers_inner"] is None:
                record["helpers_inner"] = text[hobj.open + 1 : hobj.close]
            rendered = [render_member(h, json.dumps(HELPER), colon) for h in to_add]
            text = append_members(text, hobj, rendered, style, 1)
        for host in to_add:
            helpers[host] = HELPER
            if host not in record["added"]:
                record["added"].append(host)
            lines.append(f"added: {KEY}[{host!r}] = {HELPER!r} in {path}")

    expected = dict(doc)
    if helpers or KEY in doc:
        expected[KEY] = helpers
    _verify(path, text, expected)
    if found is None or text != found[0]:
        if found is None:
            created_dirs = _make_dirs(path.parent)
            record["created_dirs"] = created_dirs
        _write_atomic(path, text, old_stat)
    state["configs"][str(path)] = record
    _save_state(state)
    return lines, warnings


# ------------------------------------------------------------------ remove


def remove_entries(config: Path, hosts: list[str] | None) -> tuple[list[str], list[str]]:
    """Undo `add_entries` (for `hosts` only when given); (report lines, warnings)."""
    path = _target(config)
    state = _load_state()
    record: dict[str, Any] | None = state["configs"].get(str(path))
    found = _read(path)
    if found is None:
        if record is not None:
            del state["configs"][str(path)]
            _save_state(state)
        return [f"unchanged: {path} does not exist"], []
    text, old_stat = found
    doc: dict[str, Any] = json.loads(text)
    warnings = _creds_store_warning(path, doc)
    lines: list[str] = []
    helpers: dict[str, str] = dict(doc.get(KEY) or {})

    def in_scope(host: str) -> bool:
        return hosts is None or host in hosts

    ours = [h for h, v in helpers.items() if v == HELPER and in_scope(h)]
    if record is not None:
        recorded = set(record["added"]) | set(record["replaced"])
        for host in ours:
            if host not in recorded:
                lines.append(
                    f"left alone: {KEY}[{host!r}] in {path} (not added by "
                    "'aqora-helper setup docker'; remove it by hand if you wish)"
                )
        ours = [h for h in ours if h in recorded]
        for host in sorted(recorded):
            if in_scope(host) and helpers.get(host) not in (HELPER, None):
                lines.append(f"left alone: {KEY}[{host!r}] in {path} was changed since setup")
            if in_scope(host) and helpers.get(host) != HELPER:
                _forget(record, host)

    for host in ours:
        top = scan_top(text)
        found_h = helpers_obj(text, top)
        assert found_h is not None
        _, hobj = found_h
        index = hobj.find(host)[0]
        if record is not None and host in record["replaced"]:
            raw = record["replaced"][host]
            member = hobj.members[index]
            text = text[: member.value_start] + raw + text[member.value_end :]
            helpers[host] = json.loads(raw)
            lines.append(f"restored: {KEY}[{host!r}] = {helpers[host]!r} in {path}")
        else:
            inner = (record or {}).get("helpers_inner") or ""
            text = remove_member(text, hobj, index, inner)
            del helpers[host]
            lines.append(f"removed: {KEY}[{host!r}] from {path}")
        if record is not None:
            _forget(record, host)

    expected = dict(doc)
    if KEY in expected:
        expected[KEY] = helpers
    drop_key = record is not None and record["created_key"] and not helpers and KEY in doc
    if drop_key:
        top = scan_top(text)
        found_h = helpers_obj(text, top)
        assert found_h is not None
        text = remove_member(text, top, found_h[0], (record or {}).get("top_inner") or "")
        del expected[KEY]
    _verify(path, text, expected)

    delete_file = record is not None and record["created_file"] and not expected
    if delete_file:
        try:
            os.unlink(path)
        except OSError as exc:
            raise StorageFailure(str(path), exc.strerror or str(exc)) from None
        lines.append(f"removed: {path} (created by setup)")
        for directory in reversed((record or {}).get("created_dirs") or []):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
    elif text != found[0]:
        _write_atomic(path, text, old_stat)
    if not lines:
        lines.append(f"unchanged: no {KEY} entries of aqora-helper in {path}")

    if record is not None:
        if delete_file or not (record["added"] or record["replaced"]):
            del state["configs"][str(path)]
        _save_state(state)
    return lines, warnings


def _forget(record: dict[str, Any], host: str) -> None:
    if host in record["added"]:
        record["added"].remove(host)
    record["replaced"].pop(host, None)
