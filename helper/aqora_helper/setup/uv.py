"""`aqora-helper setup uv`: make uv get aqora tokens through keyring.

Writes, in uv's user config file (`$XDG_CONFIG_HOME/uv/uv.toml`, else
`~/.config/uv/uv.toml` on Linux and macOS; `%APPDATA%\\uv\\uv.toml` on Windows; `--file`
picks another):

    keyring-provider = "subprocess"          (at the top: a top-level key)

    [[index]]                                (before the first existing [[index]])
    name = "aqora"
    url = "https://pypi.example.org/simple/"
    authenticate = "always"
    default = true                           (left out with --extra)

`authenticate = "always"` makes uv ask the `keyring` program on PATH (`keyring get URL
--mode creds`) without a username in the URL; uv has no other keyring mode. As the first
`[[index]]`, the index wins over the user's other indexes (uv searches them in order, and
uses the first `default = true` one in place of PyPI); with `--extra` it is searched
before PyPI, like uv's own `--extra-index-url`. A conflicting top-level
`keyring-provider` line is commented out with a marker; `--remove` undoes exactly what
setup wrote (see `textblocks`).
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import typer

from .common import (
    DryRun,
    IndexEnvUrl,
    IndexUrl,
    appdata_dir,
    closing_notes,
    config_home,
    existing_dir,
    file_option,
    remove_option,
    undo_or_resolve,
    write_text_setup,
)
from .files import SetupError
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
_PROVIDER = re.compile(r"""^\s*(keyring-provider|"keyring-provider"|'keyring-provider')\s*=""")


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
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(value, ensure_ascii=True)


def plan(text: str | None, path: Path, index_url: str, extra: bool) -> str:
    """The new file text: the top-level key first, our index before the others."""
    stripped = strip_ours(text or "", MARKERS)
    base = stripped.text
    created = text is None or (stripped.created and base == "")
    before = _loads(base, path)
    indexes = before.get("index", [])
    if not isinstance(indexes, list):
        raise SetupError(f"{path}: 'index' is not an array of tables", f"Fix {path} first.")
    if any(isinstance(i, dict) and i.get("name") == INDEX_NAME for i in indexes):
        raise SetupError(
            f"{path} already has an index named {INDEX_NAME!r}",
            f"Remove or rename that [[index]] in {path}, then retry.",
        )
    ours: dict[str, Any] = {"name": INDEX_NAME, "url": index_url, "authenticate": "always"}
    if not extra:
        ours["default"] = True

    lines = split_lines(base)
    headers = [i for i, line in enumerate(lines) if _TABLE.match(line) and _starts_top(lines, i)]
    first_table = headers[0] if headers else len(lines)
    disable(lines, [i for i in range(first_table) if _PROVIDER.match(lines[i])], MARKERS)
    first_index = next((i for i in headers if _INDEX_TABLE.match(lines[i])), None)
    content = ["[[index]]", *(f"{key} = {_toml_value(value)}" for key, value in ours.items())]
    if first_index is None:
        insert_block(lines, len(lines), MARKERS, content, created=False)
    else:
        insert_block(lines, first_index, MARKERS, content, created=False)
    insert_block(lines, 0, MARKERS, ['keyring-provider = "subprocess"'], created)
    new = "".join(lines)

    expected = copy.deepcopy(before)
    expected["keyring-provider"] = "subprocess"
    expected["index"] = [ours, *indexes]
    if _loads(new, path) != expected:
        raise SetupError(
            f"Could not edit {path} safely (its layout is unusual)",
            f'Add by hand: keyring-provider = "subprocess" at the top, and an [[index]] with '
            f'name = "{INDEX_NAME}", url = {toml_string(index_url)}, authenticate = "always"'
            + ("" if extra else ", default = true")
            + ".",
        )
    return new


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


def command(
    url: IndexEnvUrl = None,
    index_url: IndexUrl = None,
    extra: bool = typer.Option(
        False, "--extra", help="Add the index without making it uv's default (PyPI stays)."
    ),
    remove: bool = remove_option("uv"),
    file: Path | None = file_option("uv", "uv's user uv.toml"),
    dry_run: DryRun = False,
) -> None:
    """Make uv use aqora-helper (through keyring) for an aqora package index."""
    chosen = existing_dir(file) if file is not None else uv_config_file()
    path, target = undo_or_resolve(MARKERS, chosen, remove, index_url, url, dry_run)
    if target is None:
        return
    text = read_text(path)
    new = plan(text, path, target.url, extra)
    write_text_setup(MARKERS, path, text, new, dry_run)
    _warn_about_pip_table(new, path)
    _warn_about_environment(path)
    closing_notes("uv")
