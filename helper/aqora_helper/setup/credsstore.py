"""`aqora-helper setup docker --creds-store`: make aqora Docker's full credentials store.

Sets `"credsStore": "aqora"` in the Docker config (after `credHelpers` were added, which
the containers tools and a later plain setup still use). The value it replaced is kept
twice: its JSON text in the setup record (`dockerrecord`), so `--remove` puts back the
same bytes, and its name in the engine's delegate file (`engine.dockerstore`), so the
helper passes other registries on to that store. With no previous store, the platform's own
store when its program is on PATH (Windows: `desktop`, else `wincred`), else the OS keyring
holds them.

`null` and `""` say "no store" to Docker as an absent key does: as with no key, the
platform's store or the OS keyring then keeps the other registries, and `--remove` puts back the very same text. Any other value that
is not a store name, or a repeated key, is refused before anything is written
(`check_store`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..engine.errors import ConfigError
from .dockerrecord import ConfigRecord
from .jsontext import (
    JsonTextError,
    Style,
    append_members,
    remove_member,
    render_member,
    replace_value,
    scan_top,
)

KEY = "credsStore"
HELPER = "aqora"


def _edit_error(path: Path) -> ConfigError:
    return ConfigError(
        f"Could not edit {KEY!r} in {path} safely; nothing was written",
        f'Set "{KEY}": "{HELPER}" by hand, or use plain \'aqora-helper setup docker\'.',
    )


def check_store(path: Path, text: str) -> None:
    """Refuse a Docker config (the text of a JSON object) whose `credsStore` --creds-store
    could not set and undo byte for byte: a value other than null, "" or a store name,
    or the key more than once. Raises ConfigError."""
    from ..engine.dockerstore import valid_store_name

    current = json.loads(text).get(KEY)
    if current not in (None, "", HELPER) and not (
        isinstance(current, str) and valid_store_name(current)
    ):
        raise ConfigError(
            f"{path}: {KEY!r} is {current!r}, not the name of a credentials store",
            f"Fix {KEY!r} in {path} (or remove it), then run this again.",
        )
    try:
        repeated = len(scan_top(text).find(KEY)) > 1
    except JsonTextError:
        raise _edit_error(path) from None
    if repeated:
        raise ConfigError(
            f"{path}: the key {KEY!r} appears more than once",
            f"Keep one {KEY!r} in {path}, then run this again.",
        )


def set_store(path: Path, text: str, record: ConfigRecord) -> tuple[str, list[str]]:
    """`text` with `credsStore` set to aqora, the change recorded; (text, report lines).
    The value it replaces (its exact text: a store name, `null` or `""`) is recorded."""
    from ..engine.dockerstore import native_store, set_delegate

    check_store(path, text)
    current = json.loads(text).get(KEY)
    if current == HELPER:
        return text, [f"unchanged: {KEY} is already {HELPER!r}"]
    # null and "" name no store: the platform's own store keeps the others when present
    # (Windows: desktop, wincred), else the OS keyring
    previous = current or native_store()
    try:
        top = scan_top(text)
        found = top.find(KEY)
        if found:
            member = top.members[found[0]]
            record.store_replaced = text[member.value_start : member.value_end]
            text = replace_value(text, member, json.dumps(HELPER))
        else:
            record.store_added = True
            style = Style.of(text, top)
            text = append_members(
                text, top, [render_member(KEY, json.dumps(HELPER), style.colon)], style, 0
            )
    except JsonTextError:
        raise _edit_error(path) from None
    set_delegate(path, previous)
    if previous is None:
        where = "the OS keyring keeps other registries' credentials"
    else:
        where = f"other registries go on to docker-credential-{previous}"
    return text, [f"set: {KEY} = {HELPER!r} ({where})"]


def undo_store(path: Path, text: str, record: ConfigRecord) -> tuple[str, list[str]]:
    """`text` with the `credsStore` change of `record` undone (when still aqora)."""
    from ..engine.dockerstore import set_delegate

    if not record.store_changed:
        return text, []
    doc: dict[str, Any] = json.loads(text)
    old, added = record.store_replaced, record.store_added
    record.store_replaced, record.store_added = None, False
    set_delegate(path, None)
    if doc.get(KEY) != HELPER:
        return text, [f"left alone: {KEY} was changed since setup"]
    try:
        top = scan_top(text)
        index = top.find(KEY)[0]
        if old is not None:
            shown = "null" if old == "null" else repr(json.loads(old))
            return replace_value(text, top.members[index], old), [f"restore: {KEY} = {shown}"]
        if added:
            return remove_member(text, top, index, record.top_inner or ""), [f"remove: {KEY}"]
    except (JsonTextError, IndexError):
        raise _edit_error(path) from None
    return text, []
