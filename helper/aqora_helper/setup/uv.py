"""`aqora-helper setup uv`: make uv get aqora tokens through keyring.

Writes, in uv's user config file (`$XDG_CONFIG_HOME/uv/uv.toml`, else
`~/.config/uv/uv.toml` on Linux and macOS; `%APPDATA%\\uv\\uv.toml` on Windows; `--file`
picks another), at the top (top-level keys):

    keyring-provider = "subprocess"
    index-url = "https://aqora@pypi.example.org/simple/"
    publish-url = "https://aqora@pypi.example.org/legacy/"    (with --publish-url)

The username in the URL (the environment's, `aqora` by default; not a secret) makes uv
ask the `keyring` program on PATH (`keyring get URL aqora`); uv keeps it out of
`uv.lock`. `index-url` is uv's default index for every command (`uv pip`, `uv sync`,
`uv add`, `uv tool`), and unlike a `[[index]]` with `default = true` it gives way to
`--index-url`/`--default-index` on the command line (`uv tool install --index-url
OTHER` would otherwise still use ours). A user's own `default = true` in an `[[index]]`
would win over `index-url`, so that line is commented out. `publish-url` with the
username is what `uv publish` needs to ask keyring (else: "Missing credentials").

With `--extra`, instead of `index-url`, an `[[index]]` before the first existing one
(searched before PyPI, like uv's own `--extra-index-url`):

    [[index]]
    name = "aqora"
    url = "https://pypi.example.org/simple/"
    authenticate = "always"          (uv asks keyring without a username in the URL)

Conflicting top-level lines are commented out with a marker; `--remove` undoes exactly
what setup wrote (see `textblocks`).
"""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path
from typing import Any

import tomlkit

from .common import (
    appdata_dir,
    closing_notes,
    config_home,
    resolve_target,
    undo_or_resolve,
    with_username,
    write_text_setup,
)
from .files import SetupError
from .indexprobe import choose_extra
from .textblocks import (
    Markers,
    disable,
    insert_block,
    read_text,
    split_lines,
    status,
    strip_ours,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MARKERS = Markers("uv")
INDEX_NAME = "aqora"
_TABLE = re.compile(r"""^\s*\[\[?\s*[A-Za-z0-9_."' -]+?\s*\]\]?\s*(#.*)?$""")
_INDEX_TABLE = re.compile(r"""^\s*\[\[\s*(index|"index"|'index')\s*\]\]\s*(#.*)?$""")
_KEY = re.compile(r"""^\s*(["']?)(?P<key>[A-Za-z0-9_-]+)\1\s*=""")
_DEFAULT_TRUE = re.compile(r"""^\s*(["']?)default\1\s*=\s*true\s*(#.*)?$""")


def uv_config_file() -> Path:
    """uv's user configuration file on this platform."""
    if sys.platform == "win32":
        return appdata_dir() / "uv" / "uv.toml"
    return config_home() / "uv" / "uv.toml"


def _loads(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(
            f"{path} is not valid TOML: {exc}", f"Fix {path} first, then retry."
        ) from None


def toml_string(value: str) -> str:
    """A TOML basic string, by a TOML writer (JSON's `\\ud83d\\udd11` escapes of a character
    outside the Basic Multilingual Plane are not TOML)."""
    return tomlkit.string(value).as_string()


def plan(
    text: str | None, path: Path, index_url: str, extra: bool, publish_url: str | None = None
) -> str:
    """The new file text: top-level keys first; with `extra`, our index before the others.

    Without `extra`, `index-url` (a URL naming a user) replaces uv's default index, and
    any `default = true` of the user's `[[index]]` tables is commented out (the first
    default index would win over `index-url`); with `extra`, an `[[index]]` with
    `authenticate = "always"`. `publish_url` (naming a user) becomes `publish-url`."""
    stripped = strip_ours(text or "", MARKERS)
    base = stripped.text
    created = text is None or (stripped.created and base == "")
    before = _loads(base, path)
    indexes = before.get("index", [])
    if not isinstance(indexes, list):
        raise SetupError(f"{path}: 'index' is not an array of tables", f"Fix {path} first.")
    if extra and any(isinstance(i, dict) and i.get("name") == INDEX_NAME for i in indexes):
        raise SetupError(
            f"{path} already has an index named {INDEX_NAME!r}",
            f"Remove or rename that [[index]] in {path}, then retry.",
        )
    top: dict[str, Any] = {"keyring-provider": "subprocess"}
    if not extra:
        top["index-url"] = index_url
    if publish_url is not None:
        top["publish-url"] = publish_url
    ours: dict[str, Any] = {"name": INDEX_NAME, "url": index_url, "authenticate": "always"}

    lines = split_lines(base)
    headers = [i for i, line in enumerate(lines) if _TABLE.match(line) and _starts_top(lines, i)]
    first_table = headers[0] if headers else len(lines)
    conflicts = [i for i in range(first_table) if _top_key(lines[i]) in top]
    if not extra:
        conflicts += _index_defaults(lines, headers)
    disable(lines, conflicts, MARKERS)
    if extra:
        first_index = next((i for i in headers if _INDEX_TABLE.match(lines[i])), len(lines))
        content = ["[[index]]", *(f"{key} = {_toml_value(value)}" for key, value in ours.items())]
        insert_block(lines, first_index, MARKERS, content, created=False)
    top_lines = [f"{key} = {_toml_value(value)}" for key, value in top.items()]
    insert_block(lines, 0, MARKERS, top_lines, created)
    new = "".join(lines)

    expected = copy.deepcopy(before)
    expected.update(top)
    if extra:
        expected["index"] = [ours, *indexes]
    else:
        for index in expected.get("index", []):
            if isinstance(index, dict) and index.get("default") is True:
                del index["default"]
    if _loads(new, path) != expected:
        raise SetupError(
            f"Could not edit {path} safely (its layout is unusual)",
            "Add by hand, at the top: "
            + ", ".join(top_lines)
            + (
                f'; and an [[index]] with name = "{INDEX_NAME}", url = {toml_string(index_url)}, '
                'authenticate = "always"'
                if extra
                else "; and remove default = true from your [[index]] tables"
            )
            + ".",
        )
    return new


def _top_key(line: str) -> str | None:
    """The key a top-level `key = value` line sets (quotes removed), else None."""
    match = _KEY.match(line)
    return match.group("key") if match else None


def _index_defaults(lines: list[str], headers: list[int]) -> list[int]:
    """`default = true` lines inside `[[index]]` tables."""
    found = []
    for n, start in enumerate(headers):
        if not _INDEX_TABLE.match(lines[start]):
            continue
        end = headers[n + 1] if n + 1 < len(headers) else len(lines)
        found += [i for i in range(start + 1, end) if _DEFAULT_TRUE.match(lines[i])]
    return found


def _starts_top(lines: list[str], i: int) -> bool:
    """True when line `i` is not inside a multi-line value: the lines before it form a
    complete TOML document (a `[x]` line inside an array or string does not)."""
    try:
        tomllib.loads("".join(lines[:i]))
    except tomllib.TOMLDecodeError:
        return False
    return True


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return toml_string(str(value))


def _warn_about_pip_table(text: str, path: Path) -> None:
    pip_table = tomllib.loads(text).get("pip", {})
    for key in ("keyring-provider", "index-url", "index"):
        if isinstance(pip_table, dict) and key in pip_table:
            status(
                f"aqora-helper: warning: [pip] {key} in {path} overrides the top-level "
                "settings for 'uv pip' commands"
            )


def _warn_about_environment(path: Path) -> None:
    if os.environ.get("UV_NO_CONFIG"):
        status(f"aqora-helper: warning: UV_NO_CONFIG is set, so uv does not read {path}")
    config_file = os.environ.get("UV_CONFIG_FILE")
    if config_file and Path(config_file) != path:
        status(f"aqora-helper: warning: UV_CONFIG_FILE={config_file} is set; uv reads that file")
    if os.environ.get("UV_KEYRING_PROVIDER"):
        status(f"aqora-helper: warning: UV_KEYRING_PROVIDER is set and overrides {path}")


def configure(
    chosen: Path,
    index_url: str | None,
    url: str | None,
    extra: bool | None,
    publish_url: str | None,
    dry_run: bool,
) -> None:
    """`setup uv`: add the aqora index `index_url` (served by the environment `url`,
    else the one serving its host) to the uv.toml `chosen`, as uv's default index unless
    `extra` (None: decided by `indexprobe.choose_extra`), with the keyring provider and,
    given `publish_url` (the caller checked it with common.check_index_url before
    anything was written), uv publish's upload URL;
    `index_url` None undoes that (`--remove`). The changes are shown first (only them,
    with `dry_run`)."""
    # decided before anything is written (config.toml's hosts included)
    beside = None if index_url is None else choose_extra("uv", index_url, extra, url)
    path, target = undo_or_resolve(MARKERS, chosen, index_url, url, dry_run, _loads)
    if target is None or beside is None:
        return
    publish = None
    if publish_url is not None:
        upload = resolve_target(publish_url, url, dry_run, "--publish-url")
        publish = with_username(upload.url, upload.username)
    configured = target.url if beside else with_username(target.url, target.username)
    text = read_text(path)
    new = plan(text, path, configured, beside, publish)
    write_text_setup(MARKERS, path, text, new, dry_run, _loads)
    _warn_about_pip_table(new, path)
    _warn_about_environment(path)
    closing_notes("uv", dry_run)
