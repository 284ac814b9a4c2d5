"""The record of what `aqora-helper setup docker` changed, so `--remove` undoes exactly that.

One private file (`<data dir>/docker-setup.json`, mode 0600) holds, per edited Docker
config file: whether setup created the file, its directories or the `credHelpers` key;
the whitespace inside an object that was empty before setup filled it; the entries it
added; and, for an entry it replaced, the old value's JSON text (a helper name); with
`--creds-store`, whether it added `credsStore` or the old value's JSON text (a string,
or `null`). Nothing
else of the config file. (Records written before `--creds-store` existed lack its two
fields, which then read as "not changed".) What is read back is checked field by field: a record that
does not validate is refused with a clear error, never half-used or overwritten.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..fast.errors import AqoraHelperError
from ..fast.privatefiles import read_private, remove_private, write_private
from .jsontext import is_whitespace

VERSION = 1
OPTIONAL = ("store_added", "store_replaced")  # absent from records of earlier versions


class InvalidRecord(ValueError):
    """Data that is not a setup record (the message says which field is wrong)."""


class CorruptRecord(AqoraHelperError):
    """The record file exists but cannot be used."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The record of 'aqora-helper setup docker' ({path}) is unusable: {detail}",
            f"Move {path} away and run this again (without it, '--remove' removes every "
            "'aqora' entry of credHelpers, not only those setup added).",
        )


@dataclass
class ConfigRecord:
    """What setup changed in one Docker config file."""

    created_file: bool = False
    created_dirs: list[str] = field(default_factory=list)  # outermost first
    created_key: bool = False
    top_inner: str | None = None  # inside of the top object when it was empty
    helpers_inner: str | None = None  # inside of `credHelpers` when it was empty
    added: list[str] = field(default_factory=list)
    replaced: dict[str, str] = field(default_factory=dict)  # host -> old value's JSON text
    store_added: bool = False  # setup added `credsStore`
    store_replaced: str | None = None  # the JSON text of the `credsStore` setup replaced

    @property
    def store_changed(self) -> bool:
        """True when setup set `credsStore` (and --remove must undo it)."""
        return self.store_added or self.store_replaced is not None

    @property
    def hosts(self) -> set[str]:
        """Every host whose entry setup wrote."""
        return set(self.added) | set(self.replaced)

    def add(self, host: str) -> None:
        if host not in self.added:
            self.added.append(host)

    def forget(self, host: str) -> None:
        """Drop `host` (its entry was undone, or changed by someone else)."""
        if host in self.added:
            self.added.remove(host)
        self.replaced.pop(host, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "created_file": self.created_file,
            "created_dirs": list(self.created_dirs),
            "created_key": self.created_key,
            "top_inner": self.top_inner,
            "helpers_inner": self.helpers_inner,
            "added": list(self.added),
            "replaced": dict(self.replaced),
            "store_added": self.store_added,
            "store_replaced": self.store_replaced,
        }

    @classmethod
    def from_json(cls, data: object) -> ConfigRecord:
        """The record in `data`. Raises InvalidRecord."""
        names = [f.name for f in fields(cls)]
        if isinstance(data, dict) and not set(OPTIONAL) & set(data):
            data = {**data, "store_added": False, "store_replaced": None}  # an older record
        values = _exact_keys(data, names, "a config record")
        stored = values["store_replaced"]
        if stored is not None and not (
            isinstance(stored, str) and (stored == "null" or _is_json_string(stored))
        ):
            raise InvalidRecord(
                "'store_replaced' is neither null nor the text of a JSON string or of null"
            )
        return cls(
            created_file=_bool(values, "created_file"),
            created_dirs=_strings(values, "created_dirs"),
            created_key=_bool(values, "created_key"),
            top_inner=_inner(values, "top_inner"),
            helpers_inner=_inner(values, "helpers_inner"),
            added=_strings(values, "added"),
            replaced=_replaced(values["replaced"]),
            store_added=_bool(values, "store_added"),
            store_replaced=None if stored is None else str(stored),
        )


@dataclass
class SetupRecord:
    """Records by config file path."""

    configs: dict[str, ConfigRecord] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        configs = {path: record.to_json() for path, record in self.configs.items()}
        return {"version": VERSION, "configs": configs}

    @classmethod
    def from_json(cls, data: object) -> SetupRecord:
        """The record in `data`. Raises InvalidRecord."""
        values = _exact_keys(data, ("version", "configs"), "the record")
        version = values["version"]
        if type(version) is not int or version != VERSION:
            raise InvalidRecord(f"version {version!r} is not {VERSION}")
        configs = values["configs"]
        if not isinstance(configs, dict):
            raise InvalidRecord("'configs' is not an object")
        try:
            return cls({path: ConfigRecord.from_json(v) for path, v in configs.items()})
        except InvalidRecord as exc:
            raise InvalidRecord(f"in 'configs': {exc}") from None


def load(path: Path) -> SetupRecord:
    """The record in `path` (empty when there is none). Raises CorruptRecord, or
    UnsafeStorage for a file that is not private."""
    raw = read_private(path)
    if raw is None:
        return SetupRecord()
    try:
        return SetupRecord.from_json(json.loads(raw.decode("utf-8")))
    except InvalidRecord as exc:
        raise CorruptRecord(path, str(exc)) from None
    except ValueError:
        raise CorruptRecord(path, "it is not JSON") from None


def save(path: Path, record: SetupRecord) -> None:
    """Write `record` to `path`, or delete the file when nothing is recorded."""
    if record.configs:
        from ..engine.datadir import data_file  # its folder, made (and recorded) first

        body = json.dumps(record.to_json(), indent=1, sort_keys=True).encode()
        write_private(data_file(path), body)
        return
    with contextlib.suppress(AqoraHelperError):  # an empty record left behind undoes nothing
        remove_private(path)


# ------------------------------------------------------------------ field checks


def _exact_keys(data: object, keys: Collection[str], what: str) -> dict[str, object]:
    if not isinstance(data, dict):
        raise InvalidRecord(f"{what} is not an object")
    if set(data) != set(keys):
        raise InvalidRecord(f"{what} has the keys {sorted(data)}, expected {sorted(keys)}")
    return data


def _bool(values: dict[str, object], key: str) -> bool:
    value = values[key]
    if not isinstance(value, bool):
        raise InvalidRecord(f"'{key}' is not true or false")
    return value


def _strings(values: dict[str, object], key: str) -> list[str]:
    value = values[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRecord(f"'{key}' is not a list of strings")
    if len(set(value)) != len(value):
        raise InvalidRecord(f"'{key}' repeats an entry")
    return list(value)


def _inner(values: dict[str, object], key: str) -> str | None:
    value = values[key]
    if value is None:
        return None
    if not isinstance(value, str) or not is_whitespace(value):
        raise InvalidRecord(f"'{key}' is neither null nor JSON whitespace")
    return value


def _replaced(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidRecord("'replaced' is not an object")
    for host, raw in value.items():
        if not (isinstance(raw, str) and _is_json_string(raw)):
            raise InvalidRecord(f"'replaced' of {host!r} is not the text of a JSON string")
    return dict(value)


def _is_json_string(text: str) -> bool:
    """True when `text` is exactly one JSON string literal (quotes included)."""
    if not (text.startswith('"') and text.endswith('"')):
        return False
    try:
        return isinstance(json.loads(text), str)
    except ValueError:
        return False
