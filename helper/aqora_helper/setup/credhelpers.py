"""The `credHelpers` object of the Docker client config, edited as text (`jsontext`):
found, checked, an entry pointed to aqora (appended, or replaced with the value it had
recorded), an entry put back or removed, the key dropped when setup created it, and
the result verified to parse to exactly the intended document. Used by `docker`, which
reads and writes the file and keeps the record of what it changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.errors import ConfigError
from ..fast.errors import AqoraHelperError
from .dockerrecord import ConfigRecord
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


def check_helpers(path: Path, text: str, doc: dict[str, Any]) -> None:
    """Refuse a config with more than one `credHelpers`, or one that is not an object of
    strings without repeated keys."""
    if len(top_object(path, text).find(KEY)) > 1:
        raise ConfigError(f"{path}: the key {KEY!r} appears more than once", _edit_hint(path))
    helpers = doc.get(KEY)
    if helpers is None:
        return
    if not isinstance(helpers, dict) or not all(isinstance(v, str) for v in helpers.values()):
        raise ConfigError(
            f"{path}: {KEY!r} must be an object of registry -> helper name", _edit_hint(path)
        )
    keys = [m.key for m in _helpers_of(path, text).obj.members]
    if len(keys) != len(set(keys)):
        raise ConfigError(
            f"{path}: a registry appears more than once in {KEY!r}", _edit_hint(path)
        )


def _edit_hint(path: Path) -> str:
    return (
        f"Edit {path} so that {KEY!r} is one object naming each registry once, then run "
        "this again."
    )


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


def top_object(path: Path, text: str) -> JsonObject:
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


def _helpers_of(path: Path, text: str) -> _Helpers:
    """`credHelpers` of the text, which must have it."""
    found = _find_helpers(path, text, top_object(path, text))
    if found is None:
        raise _internal_error(path)
    return found


def replace_helper(path: Path, text: str, host: str, record: ConfigRecord) -> str:
    """Point `host` to aqora, recording the value it had."""
    _, member = _helpers_of(path, text).member(path, host)
    record.replaced.setdefault(host, text[member.value_start : member.value_end])
    return replace_value(text, member, HELPER_JSON)


def append_helpers(path: Path, text: str, hosts: list[str], record: ConfigRecord) -> str:
    """Add `host: aqora` entries, creating `credHelpers` when it is missing."""
    top = top_object(path, text)
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


def undo_helper(
    path: Path, text: str, host: str, record: ConfigRecord | None
) -> tuple[str, str | None]:
    """Put back the value setup replaced, or remove the entry; (text, old value)."""
    helpers = _helpers_of(path, text)
    index, member = helpers.member(path, host)
    raw = None if record is None else record.replaced.get(host)
    if record is not None:
        record.forget(host)
    if raw is not None:
        return replace_value(text, member, raw), str(json.loads(raw))
    inner = (record.helpers_inner if record is not None else None) or ""
    return remove_member(text, helpers.obj, index, inner), None


def drop_helpers_key(path: Path, text: str, record: ConfigRecord) -> str:
    """Remove the (now empty) `credHelpers` that setup created."""
    helpers = _helpers_of(path, text)
    return remove_member(text, helpers.top, helpers.index, record.top_inner or "")


def verify(path: Path, text: str, expected: dict[str, Any]) -> None:
    """The edited text must parse to exactly the intended document."""
    try:
        got = json.loads(text)
    except ValueError:
        got = None
    if not isinstance(got, dict) or got != expected or list(got) != list(expected):
        raise _internal_error(path)
